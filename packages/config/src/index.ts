export type { FerryConfig } from './config.ts';
export { loadConfig } from './config.ts';
export type { OtlpExportConfig, OtlpProtocol } from './otlp.ts';
export { OtlpProtocols } from './otlp.ts';
