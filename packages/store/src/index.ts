export { Keys } from './keys.ts';
export type {
  ApplyItem,
  ApplyOutcome,
  ArgoCDOpRecord,
  GitWriteRecord,
  Lease,
  StageHistoryEntry,
} from './store.ts';
export { Store } from './store.ts';
