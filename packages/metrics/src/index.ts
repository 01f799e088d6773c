export type { ArgoCDOutcome, CacheKind, GitOperation } from './catalogue.ts';
export {
  ArgoCDOutcomes,
  argocdOperations,
  argocdWait,
  CacheKinds,
  discoveryCacheLookups,
  discoveryDuration,
  GitOperations,
  gitOperationDuration,
  gitPushRejections,
  leadTime,
  promotionDuration,
  promotionOldestPendingAge,
  promotionQueueDepth,
  promotionsFinished,
  registryRateLimited,
  registryRateLimitWait,
  registryRequestDuration,
  registryRequests,
  timeToRestore,
} from './catalogue.ts';
export type { PromotionTimes, QueueStats } from './dora.ts';
export {
  queueStats,
  recordPromotionFinished,
  recordQueue,
  secondsBetween,
  timeToRestoreSeconds,
} from './dora.ts';
export type { HandleOutcome, LeaseOutcome } from './metrics.ts';
export {
  consumerPending,
  deadLetters,
  HandleOutcomes,
  LeaseOutcomes,
  leaseAcquire,
  leaseKind,
  METRIC_PREFIX,
  messageHandleSeconds,
  messagesHandled,
  messagesPublished,
  registry,
  startDefaultMetrics,
} from './metrics.ts';
