export type {
  DepsReadinessOptions,
  MetricsSource,
  OpsServer,
  OpsServerOptions,
  Readiness,
} from './ops.ts';
export { depsReadiness, OpsServerError, startOpsServer } from './ops.ts';
export type { RunningService, ServiceDeps, StartService } from './runtime.ts';
export { connectDeps, every, runService } from './runtime.ts';
