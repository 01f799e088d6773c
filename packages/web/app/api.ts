/**
 * Talking to Ferry's api: JSON reads and writes that surface the api's error message, and
 * `useWatch`, a live map of a list kept current over Server-Sent Events (no polling).
 */
import { useEffect, useState } from 'preact/hooks';
import type { Identity } from '../src/gates.ts';

/** An api answer that was not 2xx, with the api's stable code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

const TOKEN_KEY = 'ferry.token';

/** The API token saved by the login screen; undefined when there is none. */
export const getToken = (): string | undefined => localStorage.getItem(TOKEN_KEY) ?? undefined;

/** Saves the API token (the login screen), or forgets it (undefined: log out). */
export const setToken = (token: string | undefined): void => {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  window.dispatchEvent(new Event(AUTH_CHANGED));
};

/** Fired on window when the token changes or the api refuses it (401): the app shows the login screen. */
export const AUTH_CHANGED = 'ferry-auth-changed';

const authHeaders = (): Record<string, string> => {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
};

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? authHeaders() : { 'content-type': 'application/json', ...authHeaders() },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // A refused token (revoked, expired): the app goes back to the login screen.
  if (res.status === 401) window.dispatchEvent(new Event(AUTH_CHANGED));
  const text = await res.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok) {
    throw new ApiError(
      res.status,
      String(json.code ?? 'FERRY_ERR_HTTP'),
      String(json.message ?? `${method} ${path} answered ${res.status}`),
    );
  }
  return json as T;
}

/** GET a JSON document. */
export const getJSON = <T>(path: string) => request<T>('GET', path);
/** POST a JSON body (or none) and read the JSON answer. */
export const postJSON = <T>(path: string, body?: unknown) => request<T>('POST', path, body);

/** Base path of a Project's resources. */
export const projectPath = (project: string) => `/api/v1/projects/${encodeURIComponent(project)}`;

/** A watched list: its objects by name, whether the first full list has arrived, and the last error. */
export interface Watched<T> {
  items: Map<string, T>;
  synced: boolean;
  error?: string;
}

type Named = { metadata: { name: string } };

/**
 * Keeps a list current from `<path>?watch=true`. The api sends the whole list as ADDED, then a
 * BOOKMARK, then each change. After a reconnect the list is sent again, so the map is rebuilt from
 * scratch at each BOOKMARK: objects deleted while disconnected disappear.
 */
export function useWatch<T extends Named>(path: string | undefined): Watched<T> {
  const [state, setState] = useState<Watched<T>>({ items: new Map(), synced: false });
  useEffect(() => {
    if (!path) return;
    setState({ items: new Map(), synced: false });
    // EventSource cannot set headers: the api takes the token from the query on watch streams only.
    const token = getToken();
    const auth = token ? `&access_token=${encodeURIComponent(token)}` : '';
    const url = `${path}${path.includes('?') ? '&' : '?'}watch=true${auth}`;
    const source = new EventSource(url);
    let initial = new Map<string, T>();
    let live = false;
    const apply = (type: string) => (ev: MessageEvent<string>) => {
      const obj = JSON.parse(ev.data) as T;
      if (type === 'BOOKMARK') {
        live = true;
        const items = initial;
        setState({ items: new Map(items), synced: true });
        return;
      }
      if (!live) {
        if (type !== 'DELETED') initial.set(obj.metadata.name, obj);
        return;
      }
      setState((prev) => {
        const items = new Map(prev.items);
        if (type === 'DELETED') items.delete(obj.metadata.name);
        else items.set(obj.metadata.name, obj);
        return { items, synced: true };
      });
    };
    for (const type of ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']) {
      source.addEventListener(type, apply(type) as EventListener);
    }
    source.addEventListener('open', () => {
      initial = new Map();
      live = false;
    });
    source.addEventListener('error', () => {
      setState((prev) => ({ ...prev, error: 'connection lost; reconnecting' }));
      // EventSource does not tell a 401 from a lost connection; a plain request does.
      void getJSON('/api/v1/whoami').catch(() => {});
    });
    return () => source.close();
  }, [path]);
  return state;
}

/**
 * Who the browser's token belongs to and its roles (`GET /api/v1/whoami`), read again when the
 * token changes. Undefined until the api answers (or when it refuses): the UI then allows nothing
 * that needs a role, and the api would refuse it anyway.
 */
export function useIdentity(): Identity | undefined {
  const [identity, setIdentity] = useState<Identity>();
  useEffect(() => {
    let live = true;
    // Plain fetch: a 401 here must not fire AUTH_CHANGED, which would call this again.
    const load = () =>
      void fetch('/api/v1/whoami', { headers: authHeaders() })
        .then(async (res) => (res.ok ? ((await res.json()) as Identity) : undefined))
        .catch(() => undefined)
        .then((id) => live && setIdentity(id));
    load();
    window.addEventListener(AUTH_CHANGED, load);
    return () => {
      live = false;
      window.removeEventListener(AUTH_CHANGED, load);
    };
  }, []);
  return identity;
}
