export { AUDIT_KEEP, type AuditEntry, AuditLog } from './audit.ts';
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
