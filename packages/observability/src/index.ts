export type { Logger } from './logger.ts';
export { createLogger } from './logger.ts';
export type { HeaderCarrier, OtlpExportOptions, Telemetry, TelemetryOptions } from './telemetry.ts';
export {
  contextFromTraceparent,
  createOtlpExporter,
  currentTraceId,
  extractTraceContext,
  initTelemetry,
  injectTraceContext,
  Kinds,
  traceparentOf,
  tracer,
  withSpan,
} from './telemetry.ts';
