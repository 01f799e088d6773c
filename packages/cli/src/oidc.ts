/**
 * OpenID Connect for the CLI: the OAuth 2.0 Device Authorization Grant (RFC 8628) for
 * `ferry login --oidc`, and refreshing the saved ID token with its refresh token when it expires.
 * The issuer and client id come from the api (`GET /api/v1/auth/config`), the endpoints from the
 * issuer's discovery document.
 */
import type { FetchFn } from './http.ts';

/** An OIDC login saved in the CLI config file. */
export interface OidcSession {
  /** The issuer the token is from. */
  issuer?: string;
  /** The client id the token was issued to (needed to refresh it). */
  clientId?: string;
  /** The ID token, sent as the bearer token. */
  idToken: string;
  /** The refresh token; absent for `ferry login --id-token` and issuers that give none. */
  refreshToken?: string;
}

/** What `GET /api/v1/auth/config` says about OIDC. */
export interface ApiOidcConfig {
  /** The issuer URL. */
  issuer: string;
  /** The web UI's client id. */
  clientId: string;
  /** The CLI's client id. */
  cliClientId: string;
  /** The scopes to ask for. */
  scopes: string[];
}

/** The endpoints of the discovery document the CLI uses. */
interface Discovery {
  token_endpoint?: string;
  device_authorization_endpoint?: string;
}

/** What the device flow and refresh need from the outside world. */
export interface OidcIo {
  /** The fetch; default global fetch. */
  fetch: FetchFn;
  /** The clock in ms. */
  now: () => number;
  /** Waits between polls. */
  sleep: (ms: number) => Promise<void>;
  /** Where the instructions for the user go. */
  say: (text: string) => void;
}

/** The tokens an issuer answered with. */
export interface IssuedTokens {
  /** The ID token. */
  idToken: string;
  /** The refresh token, if the issuer gave one. */
  refreshToken?: string;
}

/** An OIDC step failed; the message says what and what to do. Exit code 1. */
export class OidcLoginError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidcLoginError';
  }
}

/** `exp` of a JWT in seconds since the epoch; undefined when the token cannot be read. */
export const jwtExpiry = (token: string): number | undefined => {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
};

const getJson = async (
  f: FetchFn,
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> => {
  let res: Response;
  try {
    res = await f(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new OidcLoginError(`${url} did not answer: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      return { status: res.status, body: body as Record<string, unknown> };
    }
  } catch {}
  throw new OidcLoginError(`${url} answered ${res.status} without a JSON object`);
};

/** The issuer's discovery document (`<issuer>/.well-known/openid-configuration`). */
export const discover = async (f: FetchFn, issuer: string): Promise<Discovery> => {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const { status, body } = await getJson(f, url, { headers: { accept: 'application/json' } });
  if (status !== 200)
    throw new OidcLoginError(`${url} answered ${status}; is ${issuer} an OpenID Connect issuer?`);
  return body as Discovery;
};

const postForm = (f: FetchFn, url: string, form: Record<string, string>) =>
  getJson(f, url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });

const oauthError = (body: Record<string, unknown>): string =>
  `${String(body.error ?? 'error')}${body.error_description ? `: ${String(body.error_description)}` : ''}`;

const tokensOf = (body: Record<string, unknown>, url: string): IssuedTokens => {
  if (typeof body.id_token !== 'string') {
    throw new OidcLoginError(`${url} answered without an id_token; the "openid" scope may be missing`);
  }
  return {
    idToken: body.id_token,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
  };
};

/**
 * Runs the device flow (RFC 8628): asks for a device code, tells the user where to enter it,
 * then polls the token endpoint at the interval the issuer asks (slower after `slow_down`) until
 * the user approves, denies or the code expires.
 */
export async function deviceLogin(cfg: ApiOidcConfig, io: OidcIo): Promise<IssuedTokens> {
  const d = await discover(io.fetch, cfg.issuer);
  if (!d.device_authorization_endpoint || !d.token_endpoint) {
    throw new OidcLoginError(
      `the issuer ${cfg.issuer} offers no device authorization endpoint (RFC 8628); get an ID token another way and run "ferry login --id-token TOKEN"`,
    );
  }
  const start = await postForm(io.fetch, d.device_authorization_endpoint, {
    client_id: cfg.cliClientId,
    scope: cfg.scopes.join(' '),
  });
  const b = start.body;
  if (start.status !== 200 || typeof b.device_code !== 'string' || typeof b.user_code !== 'string') {
    throw new OidcLoginError(
      `the issuer refused the device login (${start.status === 200 ? 'no device_code in the answer' : oauthError(b)}); check that client "${cfg.cliClientId}" may use the device flow`,
    );
  }
  const uri = String(b.verification_uri ?? b.verification_url ?? '');
  io.say(`To log in, open ${uri} and enter the code ${b.user_code}\n`);
  if (typeof b.verification_uri_complete === 'string') io.say(`(or open ${b.verification_uri_complete})\n`);
  let interval = (typeof b.interval === 'number' ? b.interval : 5) * 1000;
  const deadline = io.now() + (typeof b.expires_in === 'number' ? b.expires_in : 600) * 1000;
  for (;;) {
    await io.sleep(interval);
    if (io.now() > deadline)
      throw new OidcLoginError(
        'the device code expired before the login was approved; run "ferry login --oidc" again',
      );
    const { status, body } = await postForm(io.fetch, d.token_endpoint, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: b.device_code,
      client_id: cfg.cliClientId,
    });
    if (status === 200) return tokensOf(body, d.token_endpoint);
    if (body.error === 'authorization_pending') continue;
    if (body.error === 'slow_down') {
      interval += 5000;
      continue;
    }
    if (body.error === 'access_denied') throw new OidcLoginError('the login was denied at the issuer');
    if (body.error === 'expired_token') {
      throw new OidcLoginError(
        'the device code expired before the login was approved; run "ferry login --oidc" again',
      );
    }
    throw new OidcLoginError(`the issuer refused the device login: ${oauthError(body)}`);
  }
}

/** Exchanges the session's refresh token for a new ID token (and maybe a new refresh token). */
export async function refreshSession(s: OidcSession, f: FetchFn): Promise<OidcSession> {
  if (!s.refreshToken || !s.issuer || !s.clientId) {
    throw new OidcLoginError('there is no refresh token to renew the ID token with');
  }
  const d = await discover(f, s.issuer);
  if (!d.token_endpoint) throw new OidcLoginError(`the issuer ${s.issuer} names no token endpoint`);
  const { status, body } = await postForm(f, d.token_endpoint, {
    grant_type: 'refresh_token',
    refresh_token: s.refreshToken,
    client_id: s.clientId,
  });
  if (status !== 200) throw new OidcLoginError(`the issuer refused the refresh token: ${oauthError(body)}`);
  const t = tokensOf(body, d.token_endpoint);
  return { ...s, idToken: t.idToken, refreshToken: t.refreshToken ?? s.refreshToken };
}

/** Seconds before `exp` at which the CLI already refreshes, so a token does not expire in flight. */
export const REFRESH_MARGIN_SECONDS = 30;

/**
 * The ID token to send for a saved session: as saved while it is valid for at least
 * {@link REFRESH_MARGIN_SECONDS}, else refreshed (and `save` called with the new session).
 */
export async function currentIdToken(
  s: OidcSession,
  f: FetchFn,
  nowMs: number,
  save: (s: OidcSession) => Promise<void>,
): Promise<string> {
  const exp = jwtExpiry(s.idToken);
  if (exp === undefined || exp - REFRESH_MARGIN_SECONDS > nowMs / 1000) return s.idToken;
  if (!s.refreshToken) {
    throw new OidcLoginError(
      `the saved ID token expired at ${new Date(exp * 1000).toISOString()}; run "ferry login --oidc" (or --id-token) again`,
    );
  }
  let next: OidcSession;
  try {
    next = await refreshSession(s, f);
  } catch (err) {
    throw new OidcLoginError(
      `the saved ID token expired and could not be refreshed (${(err as Error).message}); run "ferry login --oidc" again`,
      { cause: err },
    );
  }
  await save(next);
  return next.idToken;
}
