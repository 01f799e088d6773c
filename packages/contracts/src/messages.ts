/**
 * Payloads of every fact and command, as JSON Schemas (TypeBox) with their static types.
 * Facts are past tense, commands imperative. Every payload names its Project.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { MessageType } from './subjects.ts';

const Name = Type.String({ minLength: 1, maxLength: 253 });

/** An image artifact as discovery reports it. */
export const DiscoveredImageSchema = Type.Object({
  repoURL: Type.String({ minLength: 1, description: 'the repository as the subscription names it' }),
  tag: Type.String({ minLength: 1 }),
  digest: Type.String({ pattern: '^sha256:[a-f0-9]{64}$' }),
});

/** A git commit as discovery reports it. */
export const DiscoveredCommitSchema = Type.Object({
  repoURL: Type.String({ minLength: 1, description: 'the repository as the subscription names it' }),
  id: Type.String({ pattern: '^[a-f0-9]{40}([a-f0-9]{24})?$', description: 'the commit sha' }),
  tag: Type.Optional(Type.String({ minLength: 1, description: 'the tag, for tag strategies' })),
  branch: Type.Optional(Type.String({ minLength: 1, description: 'the branch, for NewestFromBranch' })),
  message: Type.Optional(Type.String({ description: 'first line of the commit message' })),
  author: Type.Optional(Type.String({ description: '`Name <email>` of the author' })),
});

/** A Helm chart version as discovery reports it. */
export const DiscoveredChartSchema = Type.Object({
  repoURL: Type.String({ minLength: 1, description: 'the repository as the subscription names it' }),
  name: Type.String({
    description:
      "the chart's name in an HTTP(S) repository; empty for OCI, whose repoURL names the chart (as Kargo)",
  }),
  version: Type.String({ minLength: 1 }),
});

/** Fact: discovery found these artifacts as the best candidate of each subscription. */
export const FreightDiscoveredSchema = Type.Object({
  project: Name,
  warehouse: Name,
  images: Type.Array(DiscoveredImageSchema),
  /** Best commit of each git subscription; absent when the Warehouse has none. */
  commits: Type.Optional(Type.Array(DiscoveredCommitSchema)),
  /** Best version of each chart subscription; absent when the Warehouse has none. */
  charts: Type.Optional(Type.Array(DiscoveredChartSchema)),
  discoveredAt: Type.String({ description: 'RFC 3339' }),
  /** W3C traceparent of the discovery, so the Promotions it causes can link back to it. */
  traceparent: Type.Optional(Type.String()),
});

/** Fact: a new piece of Freight was stored. */
export const FreightCreatedSchema = Type.Object({
  project: Name,
  freight: Type.String({ pattern: '^[a-f0-9]{40}$' }),
  alias: Name,
  warehouse: Name,
  /** W3C traceparent of the discovery that found the Freight; auto-Promotions link to it. */
  traceparent: Type.Optional(Type.String()),
});

/** Fact: Freight was verified in a Stage. */
export const FreightVerifiedSchema = Type.Object({
  project: Name,
  freight: Type.String({ pattern: '^[a-f0-9]{40}$' }),
  stage: Name,
  promotion: Type.Optional(Name),
});

/** Fact: Freight was approved for a Stage (it may go there without upstream verification). */
export const FreightApprovedSchema = Type.Object({
  project: Name,
  freight: Type.String({ pattern: '^[a-f0-9]{40}$' }),
  stage: Name,
  by: Type.String(),
});

/** Fact: Freight was rejected for a Stage (`stage` = `*`: everywhere), or a rejection was undone. */
export const FreightRejectedSchema = Type.Object({
  project: Name,
  freight: Type.String({ pattern: '^[a-f0-9]{40}$' }),
  stage: Type.String({ minLength: 1 }),
  undone: Type.Boolean(),
  by: Type.String(),
});

/** Command: approve Freight for a Stage. */
export const ApproveFreightSchema = Type.Object({
  project: Name,
  freight: Type.String({ pattern: '^[a-f0-9]{40}$' }),
  stage: Name,
  by: Type.String({ minLength: 1 }),
  at: Type.String(),
});

/** Command: reject Freight for a Stage (`*` for every Stage), or undo that (`undo`). */
export const RejectFreightSchema = Type.Object({
  project: Name,
  freight: Type.String({ pattern: '^[a-f0-9]{40}$' }),
  stage: Type.String({ minLength: 1 }),
  by: Type.String({ minLength: 1 }),
  reason: Type.String(),
  at: Type.String(),
  undo: Type.Boolean(),
});

/** Command: abort a Promotion that has not finished. */
export const AbortPromotionSchema = Type.Object({
  project: Name,
  promotion: Name,
  by: Type.String({ minLength: 1 }),
  at: Type.String(),
});

/** Command: record a user's approval (or rejection) of a Promotion waiting in a `wait-for-approval` step. */
export const ApprovePromotionSchema = Type.Object({
  project: Name,
  promotion: Name,
  /** Who decides (the `X-Ferry-User` header until authentication lands). */
  by: Type.String({ minLength: 1 }),
  /** True for a rejection, which fails the step. */
  reject: Type.Optional(Type.Boolean()),
  /** Why, for the record; empty when none was given. */
  reason: Type.Optional(Type.String()),
  at: Type.String(),
});

/** Fact: a verification of Freight in a Stage started, progressed or ended. */
export const VerificationChangedSchema = Type.Object({
  project: Name,
  stage: Name,
  freight: Type.String({ pattern: '^[a-f0-9]{40}$' }),
  phase: Type.String(),
});

/** Fact: a Stage's health (from watching its Argo CD Applications) changed state or issues. */
export const StageHealthChangedSchema = Type.Object({
  project: Name,
  stage: Name,
  /** The new state: Healthy, NotApplicable, Progressing, Unknown or Unhealthy. */
  status: Type.String(),
  /** The state before; empty when the Stage had no health yet. */
  previous: Type.Optional(Type.String()),
  /** Why it is not Healthy; empty when it is. */
  issues: Type.Array(Type.String()),
  at: Type.String(),
});

/** Command: run the Stage's verification again for its current Freight, or abort the running one. */
export const VerifyStageSchema = Type.Object({
  project: Name,
  stage: Name,
  abort: Type.Boolean(),
  by: Type.String({ minLength: 1 }),
  at: Type.String(),
});

/** Fact: definitions were applied (created or changed) in a Project. */
export const DefinitionsAppliedSchema = Type.Object({
  project: Name,
  resources: Type.Array(Type.Object({ kind: Type.String(), name: Name, generation: Type.Integer() })),
});

/**
 * Fact: resources were deleted from a Project (`ferry delete`). Every key naming them is gone from
 * Redis by the time it is published; services drop what they hold of them (schedules, watches) and
 * the promoter aborts the deleted Stages' unfinished Promotions. A deleted Project is listed as
 * `{kind: 'Project', name: <project>}`.
 */
export const DefinitionsDeletedSchema = Type.Object({
  project: Name,
  /** What was deleted: `kind` is Kargo's (Warehouse, Stage, Freight, Promotion, …). */
  resources: Type.Array(Type.Object({ kind: Type.String(), name: Name })),
  /** Who deleted them (the token's subject). */
  by: Type.String({ minLength: 1 }),
  /** When (RFC 3339); Promotions of a deleted Stage requested after this are not aborted. */
  at: Type.String(),
  /** True when the delete was forced past Running Promotions (they are aborted too). */
  force: Type.Boolean(),
});

/** Fact: a Promotion was created (Pending). */
export const PromotionCreatedSchema = Type.Object({
  project: Name,
  promotion: Name,
  stage: Name,
  freight: Type.String(),
});

/** Fact: a Promotion changed phase or step. */
export const PromotionChangedSchema = Type.Object({
  project: Name,
  promotion: Name,
  stage: Name,
  phase: Type.String(),
  step: Type.Integer(),
  revision: Type.Integer(),
});

/** Fact: a git write finished (a commit pushed, or nothing to change). */
export const GitWrittenSchema = Type.Object({
  project: Name,
  writeId: Name,
  repoURL: Type.String(),
  branch: Type.String(),
  commit: Type.String({ description: 'the sha the branch points at after the write' }),
  outcome: Type.Union([Type.Literal('Committed'), Type.Literal('NoChange'), Type.Literal('Failed')]),
  message: Type.Optional(Type.String()),
});

/** Fact: an Argo CD sync operation reached an end (Healthy at the revision, or not). */
export const ArgoCDSyncedSchema = Type.Object({
  project: Name,
  opId: Name,
  outcome: Type.Union([Type.Literal('Healthy'), Type.Literal('Failed'), Type.Literal('Errored')]),
  message: Type.Optional(Type.String()),
});

/** Command: discover a Warehouse now. */
export const RefreshWarehouseSchema = Type.Object({
  project: Name,
  warehouse: Name,
  /**
   * Set by webhook receivers: the sender says an artifact changed. When discovery finds nothing new,
   * the poller looks again a few times over a few seconds (a registry may notify before the tag is
   * readable). Absent for refreshes asked by people.
   */
  expectChange: Type.Optional(Type.Boolean()),
});

/** Command: create a Promotion (the api has checked the Freight is available; the promoter checks again). */
export const CreatePromotionSchema = Type.Object({
  project: Name,
  promotion: Name,
  stage: Name,
  freight: Type.String({ pattern: '^[a-f0-9]{40}$' }),
  requestedBy: Type.String(),
  requestedAt: Type.String(),
});

/** Command: record that Freight was verified in a Stage. */
export const MarkFreightVerifiedSchema = Type.Object({
  project: Name,
  freight: Type.String({ pattern: '^[a-f0-9]{40}$' }),
  stage: Name,
  promotion: Type.Optional(Name),
  verifiedAt: Type.String(),
});

/** The `kustomize-set-image` edit: point a kustomization's `images:` at new revisions. */
export const KustomizeSetImageEditSchema = Type.Object({
  kind: Type.Literal('kustomize-set-image'),
  /** Directory of the kustomization, relative to the repository root. */
  path: Type.String(),
  images: Type.Array(
    Type.Object({
      /** The `name` of the kustomization `images:` entry to update (or add). */
      name: Type.String({ minLength: 1 }),
      newName: Type.Optional(Type.String()),
      newTag: Type.Optional(Type.String()),
      digest: Type.Optional(Type.String()),
    }),
  ),
});

/** A scalar an update edit sets (Kargo's `value`: any scalar). */
const EditScalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

/** One `key`/`value` update of a `yaml-update` or `json-update` edit. */
const KeyUpdate = Type.Object({
  /** Dot path of the key; array items by index (`spec.containers.0.image`). */
  key: Type.String({ minLength: 1 }),
  value: EditScalar,
});

/** The `yaml-update` edit: set keys of a YAML file, keeping its comments and layout. */
export const YamlUpdateEditSchema = Type.Object({
  kind: Type.Literal('yaml-update'),
  /** The YAML file, relative to the repository root. */
  path: Type.String(),
  updates: Type.Array(KeyUpdate, { minItems: 1 }),
});

/** The `json-update` edit: set keys of a JSON file, keeping its indentation. */
export const JsonUpdateEditSchema = Type.Object({
  kind: Type.Literal('json-update'),
  /** The JSON file, relative to the repository root. */
  path: Type.String(),
  updates: Type.Array(KeyUpdate, { minItems: 1 }),
});

/** The `helm-update-chart` edit: set dependency versions in a chart's `Chart.yaml`. */
export const HelmUpdateChartEditSchema = Type.Object({
  kind: Type.Literal('helm-update-chart'),
  /** The chart directory (holding `Chart.yaml`), relative to the repository root. */
  path: Type.String(),
  charts: Type.Array(
    Type.Object({
      /** The dependency's `repository` as written in `Chart.yaml`. */
      repository: Type.String({ minLength: 1 }),
      /** The dependency's `name`. */
      name: Type.String({ minLength: 1 }),
      /** The version to set. */
      version: Type.String({ minLength: 1 }),
    }),
    { minItems: 1 },
  ),
});

/** The `file-write` edit: write a file's whole text. */
export const FileWriteEditSchema = Type.Object({
  kind: Type.Literal('file-write'),
  /** The file, relative to the repository root; missing directories are made. */
  path: Type.String(),
  contents: Type.String(),
  /** Replace an existing file; when false an existing file fails the write, as in Kargo. */
  overwrite: Type.Optional(Type.Boolean()),
});

/** The `copy` edit: copy a file or directory inside the repository. */
export const CopyEditSchema = Type.Object({
  kind: Type.Literal('copy'),
  /** Source file or directory, relative to the repository root. */
  inPath: Type.String(),
  /** Destination, relative to the repository root; replaced when it exists. */
  outPath: Type.String(),
  /**
   * The work-tree path of the checkout `inPath` is read from: one of the write's `sources` (another
   * `git-clone` checkout, e.g. a commit or tag of the Freight). Absent: the repository being written.
   */
  fromCheckout: Type.Optional(Type.String({ minLength: 1 })),
});

/** The `delete` edit: remove a file or directory. */
export const DeleteEditSchema = Type.Object({
  kind: Type.Literal('delete'),
  /** The file or directory, relative to the repository root. */
  path: Type.String(),
  /** Fail when the path does not exist (default: a missing path is fine). */
  strict: Type.Optional(Type.Boolean()),
});

/** The `git-clear` edit: remove everything in a directory of the work tree except `.git`. */
export const GitClearEditSchema = Type.Object({
  kind: Type.Literal('git-clear'),
  /** The directory, relative to the repository root ('' or '.' is the whole work tree). */
  path: Type.String(),
});

/** One file edit git-writer applies in the work tree, in order; discriminated by `kind`. */
export const GitEditSchema = Type.Union([
  KustomizeSetImageEditSchema,
  YamlUpdateEditSchema,
  JsonUpdateEditSchema,
  HelmUpdateChartEditSchema,
  FileWriteEditSchema,
  CopyEditSchema,
  DeleteEditSchema,
  GitClearEditSchema,
]);

/** Command: edit, commit and push to a branch. Idempotent per `writeId`. */
export const WriteGitSchema = Type.Object({
  project: Name,
  writeId: Name,
  stage: Name,
  promotion: Name,
  repoURL: Type.String({ minLength: 1 }),
  /** The branch to start from; empty = the repository's default branch. */
  sourceBranch: Type.Optional(Type.String()),
  /** The branch to push to; created from the source when missing. */
  targetBranch: Type.String({ minLength: 1 }),
  edits: Type.Array(GitEditSchema),
  message: Type.String({ minLength: 1 }),
  maxAttempts: Type.Integer({ minimum: 1, maximum: 50 }),
  /**
   * When neither the target nor the source branch exists: start the target as a new orphan branch
   * (no parent, empty tree) instead of failing (`git-clone` `checkout[].create: true`).
   */
  orphan: Type.Optional(Type.Boolean()),
  /**
   * Base the commit on the source branch (not the target's head) and overwrite the target branch
   * (`git-push` `generateTargetBranch` or `forcePush`). The write-id trailer check still runs first.
   */
  force: Type.Optional(Type.Boolean()),
  /**
   * Read-only checkouts the write's `copy` edits read from (`fromCheckout`), by their work-tree path:
   * a branch head, a commit or a tag of any repository (exactly one of them), with the edits made in
   * that checkout before it was copied from. They are materialised from the clone cache, never pushed.
   */
  sources: Type.Optional(
    Type.Array(
      Type.Object({
        /** The checkout's path in the Promotion's work tree (`./src`), as `fromCheckout` names it. */
        path: Type.String({ minLength: 1 }),
        repoURL: Type.String({ minLength: 1 }),
        branch: Type.Optional(Type.String({ minLength: 1 })),
        commit: Type.Optional(Type.String({ minLength: 1 })),
        tag: Type.Optional(Type.String({ minLength: 1 })),
        /** Edits applied to the source checkout before anything is copied from it. */
        edits: Type.Optional(Type.Array(GitEditSchema)),
      }),
    ),
  ),
  /**
   * A tag write (`git-tag`) instead of a commit: `edits` is empty and `name` is pushed as a lightweight
   * tag at `commit`, else at the commit of the tag `sourceTag`, else at the head of `targetBranch`.
   * A tag already at that commit is success; at another commit the write is Failed (tags never move).
   */
  tag: Type.Optional(
    Type.Object({
      name: Type.String({ minLength: 1 }),
      commit: Type.Optional(Type.String({ minLength: 1 })),
      sourceTag: Type.Optional(Type.String({ minLength: 1 })),
    }),
  ),
});

/** An update to one source of an Argo CD Application, with the field names of Kargo's `argocd-update`. */
export const ArgoCDSourceUpdateSchema = Type.Object({
  /** Picks the source whose `repoURL` (and `chart`) match. */
  repoURL: Type.String({ minLength: 1 }),
  /** The Helm chart of the source, for a chart repository. */
  chart: Type.Optional(Type.String()),
  /** The revision the source must be observably synced to. */
  desiredRevision: Type.Optional(Type.String()),
  /** Write `desiredRevision` into the source's `targetRevision`. */
  updateTargetRevision: Type.Optional(Type.Boolean()),
  /** Entries for the source's `kustomize.images`. */
  kustomize: Type.Optional(
    Type.Object({
      images: Type.Array(
        Type.Object({
          /** The image repository. */
          repoURL: Type.String({ minLength: 1 }),
          /** The tag to set; exclusive with digest. */
          tag: Type.Optional(Type.String()),
          /** The digest to set; exclusive with tag. */
          digest: Type.Optional(Type.String()),
          /** A replacement image name. */
          newName: Type.Optional(Type.String()),
        }),
      ),
    }),
  ),
  /** Entries for the source's `helm.parameters`. */
  helm: Type.Optional(
    Type.Object({
      images: Type.Array(
        Type.Object({
          /** The Helm parameter name. */
          key: Type.String({ minLength: 1 }),
          /** Its new value. */
          value: Type.String(),
        }),
      ),
    }),
  ),
});

/** A Kubernetes label selector (Kargo's `apps[].selector` of argocd-update and argocd-wait). */
export const LabelSelectorSchema = Type.Object(
  {
    /** Labels an Application must carry, all of them. */
    matchLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** Requirements an Application's labels must all meet. */
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object({
          key: Type.String({ minLength: 1 }),
          operator: Type.Union([
            Type.Literal('In'),
            Type.Literal('NotIn'),
            Type.Literal('Exists'),
            Type.Literal('DoesNotExist'),
          ]),
          values: Type.Optional(Type.Array(Type.String())),
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

/** Command: sync an Argo CD Application to a revision and wait until it is Synced and Healthy there. */
export const SyncArgoCDAppSchema = Type.Object({
  project: Name,
  opId: Name,
  stage: Name,
  promotion: Name,
  appName: Name,
  appNamespace: Name,
  /** The revision to sync to; empty = the Application's targetRevision. */
  revision: Type.Optional(Type.String()),
  /** Give up (outcome Errored) after this long. */
  timeoutSeconds: Type.Integer({ minimum: 1 }),
  /** Kubeconfig context of the Argo CD installation (a Ferry extension); empty = the current context. */
  cluster: Type.Optional(Type.String()),
  /** `sync` (default) patches and syncs the app; `wait` only waits until it is Synced and Healthy (`argocd-wait`). */
  mode: Type.Optional(Type.Union([Type.Literal('sync'), Type.Literal('wait')])),
  /** Updates to the app's sources, as Kargo's `argocd-update` `apps[].sources[]`. */
  sources: Type.Optional(Type.Array(ArgoCDSourceUpdateSchema)),
  /**
   * Kargo's `apps[].selector`: every Application in `appNamespace` whose labels match is synced
   * (those not authorized for the Stage are skipped), or with mode `wait` waited for (every match:
   * waiting writes nothing, so needs no authorization). With a selector, `appName` is the selector in
   * label-selector syntax, for logs only.
   */
  selector: Type.Optional(LabelSelectorSchema),
});

/** Schema of every message type. */
export const MessageSchemas = {
  FreightDiscovered: FreightDiscoveredSchema,
  FreightCreated: FreightCreatedSchema,
  FreightVerified: FreightVerifiedSchema,
  FreightApproved: FreightApprovedSchema,
  FreightRejected: FreightRejectedSchema,
  DefinitionsApplied: DefinitionsAppliedSchema,
  DefinitionsDeleted: DefinitionsDeletedSchema,
  PromotionCreated: PromotionCreatedSchema,
  PromotionChanged: PromotionChangedSchema,
  GitWritten: GitWrittenSchema,
  ArgoCDSynced: ArgoCDSyncedSchema,
  VerificationChanged: VerificationChangedSchema,
  StageHealthChanged: StageHealthChangedSchema,
  RefreshWarehouse: RefreshWarehouseSchema,
  CreatePromotion: CreatePromotionSchema,
  MarkFreightVerified: MarkFreightVerifiedSchema,
  ApproveFreight: ApproveFreightSchema,
  RejectFreight: RejectFreightSchema,
  AbortPromotion: AbortPromotionSchema,
  ApprovePromotion: ApprovePromotionSchema,
  VerifyStage: VerifyStageSchema,
  WriteGit: WriteGitSchema,
  SyncArgoCDApp: SyncArgoCDAppSchema,
} as const satisfies Record<MessageType, TSchema>;

/** The payload type of a message type. */
export type Payload<T extends MessageType> = Static<(typeof MessageSchemas)[T]>;
export type FreightDiscovered = Payload<'FreightDiscovered'>;
export type FreightCreated = Payload<'FreightCreated'>;
export type FreightVerified = Payload<'FreightVerified'>;
export type FreightApproved = Payload<'FreightApproved'>;
export type FreightRejected = Payload<'FreightRejected'>;
export type ApproveFreight = Payload<'ApproveFreight'>;
export type RejectFreight = Payload<'RejectFreight'>;
export type AbortPromotion = Payload<'AbortPromotion'>;
export type ApprovePromotion = Payload<'ApprovePromotion'>;
export type VerificationChanged = Payload<'VerificationChanged'>;
export type StageHealthChanged = Payload<'StageHealthChanged'>;
export type VerifyStage = Payload<'VerifyStage'>;
export type DefinitionsApplied = Payload<'DefinitionsApplied'>;
export type DefinitionsDeleted = Payload<'DefinitionsDeleted'>;
export type PromotionCreated = Payload<'PromotionCreated'>;
export type PromotionChanged = Payload<'PromotionChanged'>;
export type GitWritten = Payload<'GitWritten'>;
export type ArgoCDSynced = Payload<'ArgoCDSynced'>;
export type RefreshWarehouse = Payload<'RefreshWarehouse'>;
export type CreatePromotion = Payload<'CreatePromotion'>;
export type MarkFreightVerified = Payload<'MarkFreightVerified'>;
export type WriteGit = Payload<'WriteGit'>;
export type GitEdit = Static<typeof GitEditSchema>;
/** One kind of git edit, by its `kind`. */
export type GitEditOf<K extends GitEdit['kind']> = Extract<GitEdit, { kind: K }>;
export type SyncArgoCDApp = Payload<'SyncArgoCDApp'>;
/** Kargo's `apps[].selector` of {@link SyncArgoCDApp}: matchLabels and matchExpressions. */
export type ArgoCDAppSelector = NonNullable<SyncArgoCDApp['selector']>;
/** One source update of {@link SyncArgoCDApp}. */
export type ArgoCDSourceUpdate = Static<typeof ArgoCDSourceUpdateSchema>;
