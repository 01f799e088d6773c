export type { RunningService, ServiceDeps, StartService } from './runtime.ts';
export { connectDeps, every, runService } from './runtime.ts';
