/**
 * The login screen: takes an API token, or signs in at the api's OIDC issuer (Authorization Code
 * with PKCE), checks the credential with the api and keeps it in localStorage.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  beginLogin,
  CALLBACK_PATH,
  codeFromCallback,
  idTokenFromAnswer,
  type PendingLogin,
  tokenRequestBody,
  type UiOidcConfig,
} from '../src/oidc-login.ts';
import { getToken, setToken } from './api.ts';

// The login in progress while the browser is at the issuer; per tab, gone when the tab closes.
const PENDING_KEY = 'ferry.oidc.pending';

/** Asks for an API token (from `ferry login`'s admin, or `POST /api/v1/tokens`). */
export function Login({ refused }: { refused: boolean }) {
  const [token, setValue] = useState('');
  const [error, setError] = useState<string | undefined>(
    refused ? 'the saved token was refused; it may be revoked or expired' : undefined,
  );
  const [oidc, setOidc] = useState<UiOidcConfig | undefined>(undefined);
  useEffect(() => {
    void fetch('/api/v1/auth/config')
      .then((r) => (r.ok ? r.json() : {}))
      .then((c: { oidc?: UiOidcConfig }) => setOidc(c.oidc))
      .catch(() => undefined);
    if (location.pathname === CALLBACK_PATH) void finishOidcLogin().catch((e: Error) => setError(e.message));
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const res = await fetch('/api/v1/whoami', { headers: { authorization: `Bearer ${token.trim()}` } });
    if (res.ok) {
      setToken(token.trim());
      return;
    }
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    setError(body.message ?? `the api answered ${res.status}`);
  };
  return (
    <main class="page login">
      <h1>Log in</h1>
      <form onSubmit={submit} data-login>
        <label>
          API token
          <input
            name="token"
            type="password"
            autocomplete="off"
            placeholder="ferry_…"
            value={token}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={token.trim() === ''}>
          Log in
        </button>
        {error && <p class="error">{error}</p>}
      </form>
      {oidc && (
        <p class="oidc">
          <button
            type="button"
            data-oidc-login
            onClick={() => void startOidcLogin(oidc).catch((e: Error) => setError(e.message))}
          >
            Sign in with OIDC
          </button>
        </p>
      )}
    </main>
  );
}

/** Sends the browser to the issuer, keeping the PKCE verifier, state and nonce for the way back. */
async function startOidcLogin(cfg: UiOidcConfig): Promise<void> {
  const res = await fetch(`${cfg.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the issuer ${cfg.issuer} answered ${res.status} for its discovery document`);
  const here = location.pathname === CALLBACK_PATH ? '/ui' : location.pathname + location.search;
  const { pending, url } = await beginLogin(cfg, await res.json(), location.origin, here);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  location.assign(url);
}

/** Back from the issuer: trades the code for an ID token, checks it with the api and keeps it. */
async function finishOidcLogin(): Promise<void> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const pending = raw ? (JSON.parse(raw) as PendingLogin) : undefined;
  const code = codeFromCallback(location.search, pending);
  const p = pending as PendingLogin;
  const res = await fetch(p.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: tokenRequestBody(code, p),
  });
  const idToken = idTokenFromAnswer((await res.json().catch(() => ({}))) as Record<string, unknown>, p);
  const who = await fetch('/api/v1/whoami', { headers: { authorization: `Bearer ${idToken}` } });
  if (!who.ok) {
    const body = (await who.json().catch(() => ({}))) as { message?: string };
    throw new Error(body.message ?? `the api answered ${who.status}`);
  }
  history.replaceState(null, '', p.returnTo);
  // The router listens for popstate; replaceState fires none.
  dispatchEvent(new PopStateEvent('popstate'));
  setToken(idToken);
}

/**
 * Whether the api needs a token from this browser: GET /api/v1/whoami with the saved token, if
 * any. Plain fetch, so a 401 here does not fire AUTH_CHANGED again.
 */
export async function needsLogin(): Promise<boolean> {
  const token = getToken();
  const res = await fetch('/api/v1/whoami', token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return res.status === 401;
}
