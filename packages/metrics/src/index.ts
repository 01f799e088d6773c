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
