export type { Application } from './evaluate.ts';
export {
  AUTHORIZED_STAGE_ANNOTATION,
  authorizationProblem,
  evaluateOp,
  OP_INFO_NAME,
  syncPatch,
} from './evaluate.ts';
export type { SyncerOptions } from './service.ts';
export { startArgoCDSyncer } from './service.ts';
