export type { AuthMethod, OidcConfig, OidcRoleGrant, OidcRoleMapping, OidcSelector } from './auth.ts';
export { AuthMethods, parseOidcRoles } from './auth.ts';
export type { FerryConfig } from './config.ts';
export { loadConfig } from './config.ts';
export type { OtlpExportConfig, OtlpProtocol } from './otlp.ts';
export { OtlpProtocols } from './otlp.ts';
