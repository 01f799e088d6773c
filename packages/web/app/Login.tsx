/** The login screen: takes an API token, checks it with the api and keeps it in localStorage. */
import { useState } from 'preact/hooks';
import { getToken, setToken } from './api.ts';

/** Asks for an API token (from `ferry login`'s admin, or `POST /api/v1/tokens`). */
export function Login({ refused }: { refused: boolean }) {
  const [token, setValue] = useState('');
  const [error, setError] = useState<string | undefined>(
    refused ? 'the saved token was refused; it may be revoked or expired' : undefined,
  );
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
    </main>
  );
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
