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

/** Fact: discovery found these artifacts as the best candidate of each subscription. */
export const FreightDiscoveredSchema = Type.Object({
  project: Name,
  warehouse: Name,
  images: Type.Array(DiscoveredImageSchema),
  discoveredAt: Type.String({ description: 'RFC 3339' }),
});

/** Fact: a new piece of Freight was stored. */
export const FreightCreatedSchema = Type.Object({
  project: Name,
  freight: Type.String({ pattern: '^[a-f0-9]{40}$' }),
  alias: Name,
  warehouse: Name,
});

/** Fact: Freight was verified in a Stage. */
export const FreightVerifiedSchema = Type.Object({
  project: Name,
  freight: Type.String({ pattern: '^[a-f0-9]{40}$' }),
  stage: Name,
  promotion: Type.Optional(Name),
});

/** Fact: definitions were applied (created or changed) in a Project. */
export const DefinitionsAppliedSchema = Type.Object({
  project: Name,
  resources: Type.Array(Type.Object({ kind: Type.String(), name: Name, generation: Type.Integer() })),
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
export const RefreshWarehouseSchema = Type.Object({ project: Name, warehouse: Name });

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

/** One file edit git-writer applies in the work tree. */
export const GitEditSchema = Type.Object({
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
});

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
});

/** Schema of every message type. */
export const MessageSchemas = {
  FreightDiscovered: FreightDiscoveredSchema,
  FreightCreated: FreightCreatedSchema,
  FreightVerified: FreightVerifiedSchema,
  DefinitionsApplied: DefinitionsAppliedSchema,
  PromotionCreated: PromotionCreatedSchema,
  PromotionChanged: PromotionChangedSchema,
  GitWritten: GitWrittenSchema,
  ArgoCDSynced: ArgoCDSyncedSchema,
  RefreshWarehouse: RefreshWarehouseSchema,
  CreatePromotion: CreatePromotionSchema,
  MarkFreightVerified: MarkFreightVerifiedSchema,
  WriteGit: WriteGitSchema,
  SyncArgoCDApp: SyncArgoCDAppSchema,
} as const satisfies Record<MessageType, TSchema>;

/** The payload type of a message type. */
export type Payload<T extends MessageType> = Static<(typeof MessageSchemas)[T]>;
export type FreightDiscovered = Payload<'FreightDiscovered'>;
export type FreightCreated = Payload<'FreightCreated'>;
export type FreightVerified = Payload<'FreightVerified'>;
export type DefinitionsApplied = Payload<'DefinitionsApplied'>;
export type PromotionCreated = Payload<'PromotionCreated'>;
export type PromotionChanged = Payload<'PromotionChanged'>;
export type GitWritten = Payload<'GitWritten'>;
export type ArgoCDSynced = Payload<'ArgoCDSynced'>;
export type RefreshWarehouse = Payload<'RefreshWarehouse'>;
export type CreatePromotion = Payload<'CreatePromotion'>;
export type MarkFreightVerified = Payload<'MarkFreightVerified'>;
export type WriteGit = Payload<'WriteGit'>;
export type GitEdit = Static<typeof GitEditSchema>;
export type SyncArgoCDApp = Payload<'SyncArgoCDApp'>;
