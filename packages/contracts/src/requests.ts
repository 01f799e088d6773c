/**
 * Request/reply over NATS core (no stream): questions one service answers for another while a
 * caller waits. An answer nobody waits for is worth nothing, so nothing is stored or redelivered;
 * the caller times out and reports the answering service as unavailable. Subjects end with the
 * Project, like every other subject; each is answered by one queue group.
 */
import { type Static, Type } from '@sinclair/typebox';

/** Every request type, with its subject prefix (the Project is appended). */
export const RequestSubjects = {
  /** warehouse-poller resolves image tags to digests with its registry client. */
  ResolveImages: 'ferry.v1.req.poller.resolve',
  /** warehouse-poller runs a discovery of an unsaved Warehouse and changes nothing. */
  TestSubscriptions: 'ferry.v1.req.poller.test',
} as const;
/** The name of a request type. */
export type RequestType = keyof typeof RequestSubjects;

/** The full subject of a request about a Project (`*` subscribes to every Project). */
export const requestSubjectFor = (type: RequestType, project: string): string =>
  `${RequestSubjects[type]}.${project}`;

/** The queue group answering every warehouse-poller request (one replica answers each). */
export const POLLER_REQUEST_QUEUE = 'warehouse-poller';

const Name = Type.String({ minLength: 1, maxLength: 253 });

/** One image tag to resolve. */
export const ImageToResolveSchema = Type.Object({
  repoURL: Type.String({ minLength: 1, description: 'the repository as the subscription names it' }),
  tag: Type.String({ minLength: 1 }),
  platform: Type.Optional(
    Type.String({ description: 'os/arch[/variant] the image must offer (the subscription’s platform)' }),
  ),
});

/** Request: resolve these tags to the digests they point at now. */
export const ResolveImagesRequestSchema = Type.Object({
  project: Name,
  /** The Warehouse asking (for logs; the poller reads nothing of it). */
  warehouse: Name,
  images: Type.Array(ImageToResolveSchema, { minItems: 1, maxItems: 100 }),
});
/** Request payload of `ResolveImages`. */
export type ResolveImagesRequest = Static<typeof ResolveImagesRequestSchema>;

/** The answer for one image: its digest, or why it could not be resolved. */
export const ResolvedImageSchema = Type.Object({
  repoURL: Type.String(),
  tag: Type.String(),
  /** The digest the tag points at (an index digest for a multi-platform image); absent with `error`. */
  digest: Type.Optional(Type.String({ pattern: '^sha256:[a-f0-9]{64}$' })),
  /** Why the tag could not be resolved (gone, no such platform, registry error); absent on success. */
  error: Type.Optional(Type.String()),
});
/** One resolved image of a {@link ResolveImagesReply}. */
export type ResolvedImage = Static<typeof ResolvedImageSchema>;

/** Reply to `ResolveImages`: one entry per requested image, in order; or an error for a bad request. */
export const ResolveImagesReplySchema = Type.Union([
  Type.Object({ images: Type.Array(ResolvedImageSchema) }),
  Type.Object({ error: Type.String() }),
]);
/** Reply payload of `ResolveImages`. */
export type ResolveImagesReply = Static<typeof ResolveImagesReplySchema>;

/** Request: discover this (normalised, unsaved) Warehouse and report what it would pick. */
export const TestSubscriptionsRequestSchema = Type.Object({
  project: Name,
  /** A normalised Warehouse, as the api's manifest parser returns it; it need not be stored. */
  warehouse: Type.Object(
    {
      kind: Type.Literal('Warehouse'),
      metadata: Type.Object({ name: Name }, { additionalProperties: true }),
      spec: Type.Object(
        { subscriptions: Type.Array(Type.Object({}, { additionalProperties: true }), { minItems: 1 }) },
        { additionalProperties: true },
      ),
    },
    { additionalProperties: true },
  ),
});
/** Request payload of `TestSubscriptions`. */
export type TestSubscriptionsRequest = Static<typeof TestSubscriptionsRequestSchema>;

/** A candidate a subscription found: the fields of its kind are set, the others absent. */
export const CandidateSchema = Type.Object({
  /** Image or git tag. */
  tag: Type.Optional(Type.String()),
  /** Image digest; discovery resolves it only for the image it picks. */
  digest: Type.Optional(Type.String()),
  /** RFC 3339 build time of an image, when discovery read it (NewestBuild, platform). */
  createdAt: Type.Optional(Type.String()),
  /** Git commit sha. */
  id: Type.Optional(Type.String()),
  /** Git branch (NewestFromBranch). */
  branch: Type.Optional(Type.String()),
  /** First line of a git commit message. */
  subject: Type.Optional(Type.String()),
  /** RFC 3339 commit (or tagger) date. */
  creatorDate: Type.Optional(Type.String()),
  /** Chart version. */
  version: Type.Optional(Type.String()),
});
/** A candidate of a {@link SubscriptionTest}. */
export type Candidate = Static<typeof CandidateSchema>;

/** What one subscription would pick, and its ranked candidates. */
export const SubscriptionTestSchema = Type.Object({
  /** Position of the subscription in `spec.subscriptions`. */
  index: Type.Integer({ minimum: 0 }),
  kind: Type.Union([Type.Literal('image'), Type.Literal('git'), Type.Literal('chart')]),
  /** The subscription's repository. */
  repoURL: Type.String(),
  /** The chart's name (HTTP(S) chart repositories); absent otherwise. */
  name: Type.Optional(Type.String()),
  /** The candidate it would put in Freight (the first); absent when it found nothing. */
  picked: Type.Optional(CandidateSchema),
  /** Candidates, best first, at most the subscription's `discoveryLimit`. */
  candidates: Type.Array(CandidateSchema),
  /** Why the subscription found nothing or failed; absent when it found a candidate. */
  error: Type.Optional(Type.String()),
});
/** One subscription's result of a `TestSubscriptions` request. */
export type SubscriptionTest = Static<typeof SubscriptionTestSchema>;

/** Reply to `TestSubscriptions`, or an error for a bad request. */
export const TestSubscriptionsReplySchema = Type.Union([
  Type.Object({
    subscriptions: Type.Array(SubscriptionTestSchema),
    /** The id the Freight of the picks would have; absent when a subscription found nothing. */
    freight: Type.Optional(Type.String()),
  }),
  Type.Object({ error: Type.String() }),
]);
/** Reply payload of `TestSubscriptions`. */
export type TestSubscriptionsReply = Static<typeof TestSubscriptionsReplySchema>;
