/**
 * The browser's OIDC login: the Authorization Code flow with PKCE (RFC 7636, method S256) against
 * the issuer the api names in `GET /api/v1/auth/config`. Pure apart from WebCrypto, so it is
 * tested under Node, against the test issuer.
 */

/** What `GET /api/v1/auth/config` says about OIDC. */
export interface UiOidcConfig {
  /** The issuer URL. */
  issuer: string;
  /** The web UI's client id. */
  clientId: string;
  /** The scopes to ask for. */
  scopes: string[];
}

/** What the browser keeps (in sessionStorage) between leaving for the issuer and coming back. */
export interface PendingLogin {
  /** The PKCE code verifier; only its hash went to the issuer. */
  verifier: string;
  /** The `state` sent, which the callback must bring back. */
  state: string;
  /** The `nonce` sent, which the ID token must carry. */
  nonce: string;
  /** The issuer's token endpoint. */
  tokenEndpoint: string;
  /** The client id. */
  clientId: string;
  /** Where the issuer sends the browser back; the same value goes to the token request. */
  redirectUri: string;
  /** The UI path to return to after the login. */
  returnTo: string;
}

/** The path the issuer redirects back to; the api serves the UI there like any `/ui/*` path. */
export const CALLBACK_PATH = '/ui/login/callback';

const b64url = (bytes: Uint8Array): string => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

/** A random base64url string of `bytes` random bytes (verifier, state, nonce). */
export const randomString = (bytes = 32): string => b64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** The S256 code challenge of a verifier: base64url(SHA-256(verifier)). */
export const pkceChallenge = async (verifier: string): Promise<string> =>
  b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));

/** Starts a login: the pending state to keep, and the issuer URL to send the browser to. */
export async function beginLogin(
  cfg: UiOidcConfig,
  discovery: { authorization_endpoint?: string; token_endpoint?: string },
  origin: string,
  returnTo: string,
): Promise<{ pending: PendingLogin; url: string }> {
  if (!discovery.authorization_endpoint || !discovery.token_endpoint) {
    throw new Error(
      `the issuer ${cfg.issuer} names no authorization or token endpoint in its discovery document`,
    );
  }
  const pending: PendingLogin = {
    verifier: randomString(32),
    state: randomString(16),
    nonce: randomString(16),
    tokenEndpoint: discovery.token_endpoint,
    clientId: cfg.clientId,
    redirectUri: `${origin}${CALLBACK_PATH}`,
    returnTo,
  };
  const url = new URL(discovery.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', cfg.clientId);
  url.searchParams.set('redirect_uri', pending.redirectUri);
  url.searchParams.set('scope', cfg.scopes.join(' '));
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  url.searchParams.set('code_challenge', await pkceChallenge(pending.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return { pending, url: url.toString() };
}

/** The authorization code from the callback's query; an error saying why when there is none or the state differs. */
export function codeFromCallback(search: string, pending: PendingLogin | undefined): string {
  const q = new URLSearchParams(search);
  const error = q.get('error');
  if (error)
    throw new Error(
      `the issuer refused the login: ${error}${q.get('error_description') ? ` (${q.get('error_description')})` : ''}`,
    );
  if (!pending) throw new Error('this browser started no login (or it was in another tab); sign in again');
  if (q.get('state') !== pending.state)
    throw new Error('the login answer does not match the login this browser started; sign in again');
  const code = q.get('code');
  if (!code) throw new Error('the issuer sent no authorization code; sign in again');
  return code;
}

/** The form body of the token request that trades the code (and the verifier) for tokens. */
export const tokenRequestBody = (code: string, p: PendingLogin): string =>
  new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: p.redirectUri,
    client_id: p.clientId,
    code_verifier: p.verifier,
  }).toString();

/** The ID token from the token endpoint's answer, after checking it carries the login's nonce. */
export function idTokenFromAnswer(answer: Record<string, unknown>, p: PendingLogin): string {
  if (typeof answer.id_token !== 'string') {
    const why =
      typeof answer.error === 'string'
        ? `: ${answer.error} ${String(answer.error_description ?? '')}`.trimEnd()
        : '';
    throw new Error(`the issuer answered without an ID token${why}`);
  }
  let nonce: unknown;
  try {
    const part = answer.id_token.split('.')[1] ?? '';
    nonce = (JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { nonce?: unknown }).nonce;
  } catch {
    throw new Error('the issuer answered with an ID token that cannot be read');
  }
  if (nonce !== p.nonce) throw new Error("the ID token does not carry this login's nonce; sign in again");
  return answer.id_token;
}
