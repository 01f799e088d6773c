/**
 * The api's authentication settings: `FERRY_AUTH` and the `FERRY_OIDC_*` variables, read and
 * checked here so a bad setting stops start-up with every problem named.
 */
import type { Problem } from '@ferry/contracts';

/** The kinds of credential the api can accept. */
export const AuthMethods = { token: 'token', oidc: 'oidc' } as const;

/** One kind of credential: a Ferry API token, or an ID token from an OpenID Connect issuer. */
export type AuthMethod = (typeof AuthMethods)[keyof typeof AuthMethods];

/** Which ID tokens a {@link OidcRoleMapping} applies to. */
export type OidcSelector =
  /** Every user the issuer vouches for (`*`). */
  | { kind: 'any' }
  /** Users whose groups claim holds `value` (`group:VALUE`). */
  | { kind: 'group'; value: string }
  /** The user whose user-name claim equals `value` (`user:VALUE`). */
  | { kind: 'user'; value: string }
  /** Users whose claim `claim` equals `value`, or, for a list, holds it (`claim:NAME=VALUE`). */
  | { kind: 'claim'; claim: string; value: string };

/** A role granted through OIDC: a role in one Project, or (without `project`) the system admin. */
export interface OidcRoleGrant {
  /** The Project the role holds in; absent for the system role `admin`. */
  project?: string;
  /** The role: `viewer`, `promoter` or `admin`. */
  role: 'viewer' | 'promoter' | 'admin';
}

/** One entry of `FERRY_OIDC_ROLES`: users matching `selector` get `grant`. */
export interface OidcRoleMapping {
  /** Which users. */
  selector: OidcSelector;
  /** What they get. */
  grant: OidcRoleGrant;
}

/** OpenID Connect settings of the api. */
export interface OidcConfig {
  /**
   * The issuer (`FERRY_OIDC_ISSUER_URL`), exactly as it appears in the tokens' `iss`; its discovery
   * document is at `<issuer>/.well-known/openid-configuration`. https, or http on loopback only.
   */
  issuerUrl: string;
  /** The client id the web UI signs in with (`FERRY_OIDC_CLIENT_ID`). */
  clientId: string;
  /** The client id `ferry login --oidc` uses (`FERRY_OIDC_CLI_CLIENT_ID`, default the client id). */
  cliClientId: string;
  /**
   * The `aud` values an ID token may carry, one is enough (`FERRY_OIDC_AUDIENCES`, comma separated;
   * default the client id and the CLI client id).
   */
  audiences: readonly string[];
  /**
   * The scopes the UI and the CLI ask for: `openid profile email` and `FERRY_OIDC_ADDITIONAL_SCOPES`
   * (space or comma separated, default `groups`, as Kargo's `additionalScopes`).
   */
  scopes: readonly string[];
  /** The claim naming the user (`FERRY_OIDC_USERNAME_CLAIM`); undefined = `email`, else `sub`. */
  usernameClaim: string | undefined;
  /** The claim listing the user's groups (`FERRY_OIDC_GROUPS_CLAIM`, default `groups`). */
  groupsClaim: string;
  /** Who gets which role (`FERRY_OIDC_ROLES`); a user no entry matches is authenticated but has no role. */
  roles: readonly OidcRoleMapping[];
  /** Leeway for `exp`, `nbf` and `iat` (`FERRY_OIDC_CLOCK_SKEW_SECONDS`, default 30, at most 300). */
  clockSkewSeconds: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const PROJECT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const BASE_SCOPES = ['openid', 'profile', 'email'];

/** Reads `FERRY_AUTH` and, when it names `oidc`, the `FERRY_OIDC_*` settings; problems go to `problems`. */
export function authConfig(
  env: Env,
  problems: Problem[],
): { auth: AuthMethod[]; oidc: OidcConfig | undefined } {
  const raw = (env.FERRY_AUTH ?? '').trim() || 'token';
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const auth: AuthMethod[] = [];
  if (parts.length === 1 && parts[0] === 'none') return { auth, oidc: undefined };
  for (const p of parts) {
    if (p !== 'token' && p !== 'oidc') {
      problems.push({
        path: 'FERRY_AUTH',
        message: `"${p}" is not a method; use "token", "oidc", "token,oidc", or "none" alone`,
      });
    } else if (!auth.includes(p)) auth.push(p);
  }
  if (!auth.includes('oidc')) {
    for (const name of Object.keys(env).filter((k) => k.startsWith('FERRY_OIDC_') && env[k])) {
      problems.push({
        path: name,
        message: 'is set but FERRY_AUTH does not include "oidc"; add it or unset this',
      });
    }
    return { auth, oidc: undefined };
  }
  return { auth, oidc: oidcConfig(env, problems) };
}

function oidcConfig(env: Env, problems: Problem[]): OidcConfig {
  const get = (name: string): string | undefined => env[name]?.trim() || undefined;
  const issuerUrl = get('FERRY_OIDC_ISSUER_URL') ?? '';
  if (!issuerUrl) {
    problems.push({
      path: 'FERRY_OIDC_ISSUER_URL',
      message: 'is required with FERRY_AUTH=oidc; give the issuer, e.g. https://accounts.example.com',
    });
  } else {
    let u: URL | undefined;
    try {
      u = new URL(issuerUrl);
    } catch {
      problems.push({ path: 'FERRY_OIDC_ISSUER_URL', message: `is not a URL: "${issuerUrl}"` });
    }
    if (u && !(u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname)))) {
      problems.push({
        path: 'FERRY_OIDC_ISSUER_URL',
        message: `must be an https URL (http only on 127.0.0.1 or localhost), got "${issuerUrl}"`,
      });
    }
    if (u && (u.search || u.hash)) {
      problems.push({ path: 'FERRY_OIDC_ISSUER_URL', message: 'must have no query or fragment' });
    }
  }
  const clientId = get('FERRY_OIDC_CLIENT_ID') ?? '';
  if (!clientId) {
    problems.push({
      path: 'FERRY_OIDC_CLIENT_ID',
      message: 'is required with FERRY_AUTH=oidc; give the client id registered with the issuer',
    });
  }
  const cliClientId = get('FERRY_OIDC_CLI_CLIENT_ID') ?? clientId;
  const list = (v: string | undefined) => (v ?? '').split(/[\s,]+/).filter(Boolean);
  const audiences = list(get('FERRY_OIDC_AUDIENCES'));
  const additional =
    get('FERRY_OIDC_ADDITIONAL_SCOPES') === undefined
      ? ['groups']
      : list(get('FERRY_OIDC_ADDITIONAL_SCOPES'));
  const skewRaw = get('FERRY_OIDC_CLOCK_SKEW_SECONDS');
  let clockSkewSeconds = 30;
  if (skewRaw !== undefined) {
    const n = Number(skewRaw);
    if (!Number.isInteger(n) || n < 0 || n > 300) {
      problems.push({
        path: 'FERRY_OIDC_CLOCK_SKEW_SECONDS',
        message: `must be an integer from 0 to 300, got "${skewRaw}"`,
      });
    } else clockSkewSeconds = n;
  }
  return {
    issuerUrl,
    clientId,
    cliClientId,
    audiences: audiences.length > 0 ? audiences : [...new Set([clientId, cliClientId])],
    scopes: [...new Set([...BASE_SCOPES, ...additional])],
    usernameClaim: get('FERRY_OIDC_USERNAME_CLAIM'),
    groupsClaim: get('FERRY_OIDC_GROUPS_CLAIM') ?? 'groups',
    roles: parseOidcRoles(get('FERRY_OIDC_ROLES') ?? '', problems),
    clockSkewSeconds,
  };
}

/**
 * Parses `FERRY_OIDC_ROLES`: comma-separated `SELECTOR=ROLE` entries. SELECTOR is `*`,
 * `group:VALUE`, `user:VALUE` or `claim:NAME=VALUE`; ROLE is `system:admin` or
 * `project:NAME:viewer|promoter|admin`, as in `ferry token create --role`. The entry is split at
 * its last `=`, since roles never hold one. Each bad entry becomes a problem naming it.
 */
export function parseOidcRoles(raw: string, problems: Problem[]): OidcRoleMapping[] {
  const out: OidcRoleMapping[] = [];
  const entries = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    const bad = (why: string) =>
      problems.push({ path: 'FERRY_OIDC_ROLES', message: `entry #${i + 1} "${entry}": ${why}` });
    const eq = entry.lastIndexOf('=');
    if (eq <= 0) {
      bad('is not SELECTOR=ROLE, like "group:platform=system:admin"');
      continue;
    }
    const sel = entry.slice(0, eq).trim();
    const roleSpec = entry.slice(eq + 1).trim();
    const selector = parseSelector(sel);
    const grant = parseGrant(roleSpec);
    if (typeof selector === 'string') bad(selector);
    if (typeof grant === 'string') bad(grant);
    if (typeof selector !== 'string' && typeof grant !== 'string') out.push({ selector, grant });
  }
  return out;
}

function parseSelector(sel: string): OidcSelector | string {
  if (sel === '*') return { kind: 'any' };
  const colon = sel.indexOf(':');
  const kind = colon > 0 ? sel.slice(0, colon) : '';
  const value = sel.slice(colon + 1);
  if ((kind === 'group' || kind === 'user') && value) return { kind, value };
  if (kind === 'claim') {
    const eq = value.indexOf('=');
    if (eq > 0 && eq < value.length - 1)
      return { kind, claim: value.slice(0, eq), value: value.slice(eq + 1) };
    return `selector "${sel}" is not claim:NAME=VALUE`;
  }
  return `selector "${sel}" is not "*", group:VALUE, user:VALUE or claim:NAME=VALUE`;
}

function parseGrant(spec: string): OidcRoleGrant | string {
  if (spec === 'system:admin') return { role: 'admin' };
  const m = /^project:([^:]+):(viewer|promoter|admin)$/.exec(spec);
  if (!m) return `role "${spec}" is not system:admin or project:NAME:viewer|promoter|admin`;
  if (!PROJECT.test(m[1]!) || m[1]!.length > 63) {
    return `"${m[1]}" is not a Project name (lower-case letters, digits and "-", at most 63)`;
  }
  return { project: m[1]!, role: m[2] as OidcRoleGrant['role'] };
}
