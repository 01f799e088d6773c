/**
 * From verified ID token claims to a Ferry principal: the user-name claim names the user (in
 * Promotions, approvals and the audit log) and `FERRY_OIDC_ROLES` turns claims and groups into roles.
 * Pure.
 */
import type { OidcRoleMapping, OidcSelector } from '@ferry/config';
import { OidcFailures, OidcTokenError } from './oidc.ts';
import type { Principal, RoleBinding } from './roles.ts';

/** The name OIDC principals carry where token principals carry the token's name (audit `token`). */
export const OIDC_PRINCIPAL_NAME = 'oidc';

/** How claims become a principal. */
export interface ClaimMapping {
  /** The claim naming the user; undefined = `email`, else `sub`. */
  usernameClaim: string | undefined;
  /** The claim listing the user's groups. */
  groupsClaim: string;
  /** Who gets which role. */
  roles: readonly OidcRoleMapping[];
}

// A claim as a list of strings: a string is a one-element list, anything else none.
const strings = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** The user's name from the claims; throws when the configured claim is absent. */
export const usernameOf = (claims: Readonly<Record<string, unknown>>, claim: string | undefined): string => {
  if (claim === undefined) {
    const email = claims.email;
    if (typeof email === 'string' && email !== '') return email;
    return String(claims.sub);
  }
  const v = claims[claim];
  if (typeof v === 'string' && v !== '') return v;
  throw new OidcTokenError(
    OidcFailures.missingClaim,
    `the ID token has no "${claim}" claim to name the user (FERRY_OIDC_USERNAME_CLAIM); ask for the scope that adds it`,
  );
};

const matches = (
  s: OidcSelector,
  claims: Readonly<Record<string, unknown>>,
  user: string,
  groups: string[],
) => {
  switch (s.kind) {
    case 'any':
      return true;
    case 'user':
      return s.value === user;
    case 'group':
      return groups.includes(s.value);
    case 'claim':
      return strings(claims[s.claim]).includes(s.value);
  }
};

/** The principal of a verified ID token: its user name and every role a mapping entry grants. */
export function principalFromClaims(claims: Readonly<Record<string, unknown>>, m: ClaimMapping): Principal {
  const subject = usernameOf(claims, m.usernameClaim);
  const groups = strings(claims[m.groupsClaim]);
  const roles: RoleBinding[] = [];
  const seen = new Set<string>();
  for (const r of m.roles) {
    if (!matches(r.selector, claims, subject, groups)) continue;
    const key = `${r.grant.project ?? ''}/${r.grant.role}`;
    if (seen.has(key)) continue;
    seen.add(key);
    roles.push(
      r.grant.project === undefined
        ? { role: r.grant.role }
        : { project: r.grant.project, role: r.grant.role },
    );
  }
  return { name: OIDC_PRINCIPAL_NAME, subject, roles };
}
