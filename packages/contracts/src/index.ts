export type { ErrorCode, FerryErrorOptions, Problem } from './errors.ts';
export { ErrorCodes, FerryError, ValidationError } from './errors.ts';
export type { Brand, FreightId, ProjectName, PromotionName, StageName, WarehouseName } from './ids.ts';
export {
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  freightId,
  projectName,
  promotionName,
  stageName,
  warehouseName,
} from './ids.ts';
export type {
  ArgoCDSynced,
  CreatePromotion,
  DefinitionsApplied,
  FreightCreated,
  FreightDiscovered,
  FreightVerified,
  GitEdit,
  GitWritten,
  MarkFreightVerified,
  Payload,
  PromotionChanged,
  PromotionCreated,
  RefreshWarehouse,
  SyncArgoCDApp,
  WriteGit,
} from './messages.ts';
export { MessageSchemas } from './messages.ts';
export type {
  DiscoveredImages,
  Freight,
  FreightChart,
  FreightCommit,
  FreightImage,
  FreightOrigin,
  FreightRequest,
  FreightStatus,
  ImageSubscription,
  ObjectMeta,
  Project,
  ProjectConfig,
  Promotion,
  PromotionPolicy,
  PromotionStatus,
  PromotionStep,
  PromotionWorkspace,
  Stage,
  StageSelector,
  StageStatus,
  StepExecution,
  Warehouse,
  WarehouseStatus,
} from './resources.ts';
export {
  FreightCreationPolicy,
  ImageSelectionStrategy,
  isTerminalPhase,
  KARGO_API_VERSION,
  PromotionPhase,
  StepStatus,
} from './resources.ts';
export type { MessageType } from './subjects.ts';
export {
  COMMAND_SUBJECT_FILTER,
  COMMANDS_STREAM,
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECT_FILTER,
  deadLetterSubject,
  EVENT_SUBJECT_FILTERS,
  EVENTS_STREAM,
  Subjects,
  subjectFor,
} from './subjects.ts';
export { validate } from './validate.ts';
