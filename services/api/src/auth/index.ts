export { AUDIT_KEEP, type AuditEntry, AuditLog } from './audit.ts';
export {
  type DiscoveryDocument,
  type IdTokenClaims,
  looksLikeJwt,
  type OidcFailure,
  OidcFailures,
  OidcTokenError,
  OidcVerifier,
  type OidcVerifierOptions,
  SUPPORTED_ALGS,
} from './oidc.ts';
export {
  AUTH_CONFIG_URL,
  type AuthConfigAnswer,
  authConfigAnswer,
  OidcAuthenticator,
  type OidcAuthOptions,
} from './oidc-auth.ts';
export { type ClaimMapping, OIDC_PRINCIPAL_NAME, principalFromClaims, usernameOf } from './oidc-principal.ts';
export {
  ANONYMOUS,
  type AuthOptions,
  headerUser,
  installAuth,
  liftQueryToken,
  principalOf,
  setAuditProjects,
} from './plugin.ts';
export {
  hasRole,
  isSystemAdmin,
  type Principal,
  type Requirement,
  type Role,
  type RoleBinding,
  Roles,
  requirementFor,
} from './roles.ts';
export { BOOTSTRAP_NAME, hashToken, newToken, type TokenInfo, TokenStore } from './tokens.ts';
