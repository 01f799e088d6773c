export type { FerryConfig } from './config.ts';
export { loadConfig } from './config.ts';
