export { Keys } from './keys.ts';
export type {
  ApplyItem,
  ApplyOutcome,
  ArgoCDOpRecord,
  GitWriteRecord,
  Lease,
  PromotionApproval,
  StageHistoryEntry,
} from './store.ts';
export { Store } from './store.ts';
