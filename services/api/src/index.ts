export type { ApiDeps } from './app.ts';
export { buildApp } from './app.ts';
export type { ErrorBody } from './errors.ts';
export { startApi } from './service.ts';
