/**
 * NATS subjects and JetStream streams. Subjects are versioned and go from general to
 * specific; the last token is always the Project. Within v1, changes are additive only.
 */

/** Facts (past tense): anyone may read them. Stream retention: limits (age and size). */
export const EVENTS_STREAM = 'FERRY_EVENTS';
/** Commands (imperative): each consumed by one service's shared durable consumer. */
export const COMMANDS_STREAM = 'FERRY_COMMANDS';
/** Messages that failed too many times, kept for operators. */
export const DEAD_LETTER_STREAM = 'FERRY_DEAD_LETTER';

/** Subject families stored in the events stream. */
export const EVENT_SUBJECT_FILTERS = [
  'ferry.v1.warehouse.>',
  'ferry.v1.freight.>',
  'ferry.v1.promotion.>',
  'ferry.v1.git.>',
  'ferry.v1.argocd.>',
  'ferry.v1.definition.>',
  'ferry.v1.stage.>',
] as const;
/** Subjects stored in the commands stream. */
export const COMMAND_SUBJECT_FILTER = 'ferry.v1.cmd.>';
/** Subjects stored in the dead-letter stream. */
export const DEAD_LETTER_SUBJECT_FILTER = 'ferry.v1.dead.>';

/** Every message type, with its subject prefix (the Project is appended). */
export const Subjects = {
  // facts
  FreightDiscovered: 'ferry.v1.warehouse.discovered',
  FreightCreated: 'ferry.v1.freight.created',
  FreightVerified: 'ferry.v1.freight.verified',
  FreightApproved: 'ferry.v1.freight.approved',
  FreightRejected: 'ferry.v1.freight.rejected',
  DefinitionsApplied: 'ferry.v1.definition.applied',
  DefinitionsDeleted: 'ferry.v1.definition.deleted',
  PromotionCreated: 'ferry.v1.promotion.created',
  PromotionChanged: 'ferry.v1.promotion.changed',
  GitWritten: 'ferry.v1.git.written',
  ArgoCDSynced: 'ferry.v1.argocd.synced',
  VerificationChanged: 'ferry.v1.stage.verification',
  StageHealthChanged: 'ferry.v1.stage.health',
  // commands
  RefreshWarehouse: 'ferry.v1.cmd.poller.refresh',
  CreatePromotion: 'ferry.v1.cmd.promoter.create',
  MarkFreightVerified: 'ferry.v1.cmd.freight.verify',
  ApproveFreight: 'ferry.v1.cmd.freight.approve',
  RejectFreight: 'ferry.v1.cmd.freight.reject',
  AbortPromotion: 'ferry.v1.cmd.promoter.abort',
  ApprovePromotion: 'ferry.v1.cmd.promoter.approve',
  VerifyStage: 'ferry.v1.cmd.promoter.verify',
  WriteGit: 'ferry.v1.cmd.git.write',
  SyncArgoCDApp: 'ferry.v1.cmd.argocd.sync',
} as const;
/** The name of a message type. */
export type MessageType = keyof typeof Subjects;

/** The full subject of a message about a Project. */
export const subjectFor = (type: MessageType, project: string): string => `${Subjects[type]}.${project}`;

/** The subject a dead message is moved to: its original subject under `ferry.v1.dead`. */
export const deadLetterSubject = (original: string): string =>
  `ferry.v1.dead.${original.replace(/^ferry\.v1\./, '')}`;
