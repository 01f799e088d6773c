import { ApiError, type ApiErrorBody, UnreachableError } from './errors.ts';

/** The `fetch` the client calls; global fetch unless a test passes another. */
export type FetchFn = typeof fetch;

/** Options of an ApiClient. */
export interface ApiClientOptions {
  /** Base URL of the Ferry API, e.g. `http://127.0.0.1:8080`; a trailing slash is ignored. */
  server: string;
  /** The fetch implementation; default global fetch. */
  fetch?: FetchFn;
  /** How long one request may take, in ms; default 30 000. */
  requestTimeoutMs?: number;
  /** The API token, sent as `Authorization: Bearer <token>`; none when undefined. */
  token?: string;
}

/** A successful answer: the status and the parsed JSON body (undefined when the body is empty). */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/** Socket error codes that mean nothing answers at the server's address. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A small client for Ferry's REST API. It speaks JSON, turns error answers into ApiError and
 * a server that does not answer into UnreachableError.
 */
export class ApiClient {
  /** The base URL, without a trailing slash. */
  readonly server: string;
  readonly #fetch: FetchFn;
  readonly #timeoutMs: number;
  readonly #auth: Record<string, string>;

  constructor(options: ApiClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#auth = options.token ? { authorization: `Bearer ${options.token}` } : {};
  }

  /** GET `path` (already URL-encoded) with optional query parameters; undefined values are left out. */
  get(path: string, query: Record<string, string | undefined> = {}): Promise<ApiResponse> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
    const qs = params.toString();
    return this.request('GET', qs === '' ? path : `${path}?${qs}`);
  }

  /** POST `body` as JSON to `path`. */
  post(path: string, body: unknown): Promise<ApiResponse> {
    return this.request('POST', path, body);
  }

  /** Sends one request and parses the answer; throws ApiError on a status >= 400. */
  async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const init: RequestInit = {
      method,
      headers: { accept: 'application/json', ...this.#auth },
      signal: AbortSignal.timeout(this.#timeoutMs),
    };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { accept: 'application/json', 'content-type': 'application/json', ...this.#auth };
    }
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(this.server + path, init);
      text = await res.text();
    } catch (err) {
      if (isUnreachable(err)) throw new UnreachableError(this.server, { cause: err });
      if (err instanceof Error && err.name === 'TimeoutError') {
        throw new Error(
          `${method} ${path}: no answer from ${this.server} within ${this.#timeoutMs / 1000}s`,
          {
            cause: err,
          },
        );
      }
      throw new Error(`${method} ${path} failed: ${describeCause(err)}`, { cause: err });
    }
    const parsed = parseJson(text);
    if (res.status >= 400) throw toApiError(res, parsed, method, path);
    if (text !== '' && parsed === undefined) {
      throw new Error(`${method} ${path}: the API answered ${res.status} with a body that is not JSON`);
    }
    return { status: res.status, body: parsed };
  }
}

const parseJson = (text: string): unknown => {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const toApiError = (res: Response, body: unknown, method: string, path: string): ApiError => {
  if (isErrorBody(body)) return new ApiError(res.status, body.code, body.message, body.details);
  // A proxy or an older server may answer without Ferry's error body; keep the status visible.
  const reason = res.statusText ? ` ${res.statusText}` : '';
  return new ApiError(
    res.status,
    `FERRY_ERR_HTTP_${res.status}`,
    `${method} ${path}: HTTP ${res.status}${reason}`,
  );
};

const isErrorBody = (body: unknown): body is ApiErrorBody =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as ApiErrorBody).code === 'string' &&
  typeof (body as ApiErrorBody).message === 'string';

/** True when fetch failed because nothing answers at the address (undici puts the socket error in `cause`). */
const isUnreachable = (err: unknown): boolean => {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0) {
    const e = stack.pop();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    stack.push((e as { cause?: unknown }).cause);
    // Happy-eyeballs connects fail with an AggregateError holding one error per address.
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) stack.push(...errors);
  }
  return false;
};

const describeCause = (err: unknown): string => {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
};
