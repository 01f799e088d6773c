export { Keys } from './keys.ts';
export type { RepoCredentials, SecretAction, SecretStoreOptions } from './secrets.ts';
export { SecretStore, secretKey } from './secrets.ts';
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
