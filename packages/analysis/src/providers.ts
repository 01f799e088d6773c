/**
 * The real measurement providers. Both take `fetch` as a parameter so tests and callers choose
 * the HTTP client; `measureWith` joins them into the function `advanceAnalysis` calls.
 */
import { evaluateJsonPath } from './jsonpath.ts';
import type { MeasureFn } from './run.ts';
import type {
  MeasurementResult,
  Metric,
  PrometheusProviderSpec,
  ProviderSpec,
  WebProviderSpec,
} from './types.ts';

/** The `fetch` signature the providers use (the global one fits). */
export type Fetch = typeof globalThis.fetch;

/** Measures with one provider kind. */
export type Provider<P extends ProviderSpec> = (spec: P) => Promise<MeasurementResult>;

const describe = (err: unknown): string => {
  const e = err as { name?: string; message?: string; cause?: { message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.message ? `${e.message}: ${e.cause.message}` : (e?.message ?? String(err));
};

const headerRecord = (headers: readonly { key: string; value: string }[]) =>
  Object.fromEntries(headers.map((h) => [h.key, h.value]));

/**
 * The `web` provider: sends the request, treats a non-2xx answer as an Error, parses the body as
 * JSON (plain text when it is not JSON and no jsonPath is set) and returns the part `jsonPath`
 * selects (see `evaluateJsonPath`), or the whole document without one.
 */
export function webProvider(fetch: Fetch): Provider<WebProviderSpec> {
  return async (spec) => {
    const what = `${spec.method} ${spec.url}`;
    let res: Response;
    let text: string;
    try {
      const init: RequestInit = {
        method: spec.method,
        headers: headerRecord(spec.headers),
        signal: AbortSignal.timeout(spec.timeoutSeconds * 1000),
      };
      if (spec.body !== undefined) init.body = spec.body;
      res = await fetch(spec.url, init);
      text = await res.text();
    } catch (err) {
      return { error: `${what}: ${describe(err)}` };
    }
    if (!res.ok) return { error: `${what} answered ${res.status}: ${text.slice(0, 200)}` };
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      if (spec.jsonPath)
        return { error: `${what} did not answer JSON, so jsonPath "${spec.jsonPath}" cannot apply` };
      return { value: text };
    }
    if (!spec.jsonPath) return { value: doc };
    try {
      return { value: evaluateJsonPath(doc, spec.jsonPath) };
    } catch (err) {
      return { error: `${what}: ${(err as Error).message}` };
    }
  };
}

/** The documented Prometheus HTTP API answer to `/api/v1/query`. */
interface PrometheusAnswer {
  status?: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** A sample value as Prometheus sends it: a string, so `NaN` and `+Inf` survive JSON. */
const sample = (v: unknown): number => Number.parseFloat(String(v).replace(/^\+?Inf$/, 'Infinity'));

/**
 * The `prometheus` provider: an instant query, `GET {address}/api/v1/query?query=…` (with
 * `timeout` when the spec sets one). A vector gives an array of numbers (one per series, in the
 * server's order; empty when no series matched), a scalar gives a number, a string gives a string.
 * Matrices (range queries) and `status: "error"` answers are Errors.
 */
export function prometheusProvider(fetch: Fetch): Provider<PrometheusProviderSpec> {
  return async (spec) => {
    const url = new URL('api/v1/query', spec.address.endsWith('/') ? spec.address : `${spec.address}/`);
    url.searchParams.set('query', spec.query);
    if (spec.timeoutSeconds) url.searchParams.set('timeout', `${spec.timeoutSeconds}s`);
    const what = `prometheus ${spec.address} query "${spec.query}"`;
    let answer: PrometheusAnswer;
    let status: number;
    try {
      const res = await fetch(url, {
        headers: { accept: 'application/json', ...headerRecord(spec.headers) },
        // A little past the server-side timeout so the server's own error wins.
        signal: AbortSignal.timeout(((spec.timeoutSeconds ?? 30) + 5) * 1000),
      });
      status = res.status;
      const text = await res.text();
      try {
        answer = JSON.parse(text) as PrometheusAnswer;
      } catch {
        return {
          error: `${what}: answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`,
        };
      }
    } catch (err) {
      return { error: `${what}: ${describe(err)}` };
    }
    if (answer.status === 'error') {
      return { error: `${what} failed: ${answer.errorType ?? 'error'}: ${answer.error ?? 'no message'}` };
    }
    if (answer.status !== 'success' || status < 200 || status > 299) {
      return { error: `${what}: answered ${status} without a success status` };
    }
    const { resultType, result } = answer.data ?? {};
    if (resultType === 'vector' && Array.isArray(result)) {
      return { value: result.map((s) => sample((s as { value?: unknown[] }).value?.[1])) };
    }
    if (resultType === 'scalar' && Array.isArray(result)) return { value: sample(result[1]) };
    if (resultType === 'string' && Array.isArray(result)) return { value: String(result[1]) };
    return {
      error: `${what}: result type ${resultType ?? 'missing'} is not supported (use an instant query giving a vector or scalar)`,
    };
  };
}

/** The providers `measureWith` dispatches to. */
export interface Providers {
  /** Measures `web` metrics. */
  web: Provider<WebProviderSpec>;
  /** Measures `prometheus` metrics. */
  prometheus: Provider<PrometheusProviderSpec>;
}

/** A `MeasureFn` over real providers: `measureWith({ web: webProvider(fetch), prometheus: prometheusProvider(fetch) })`. */
export function measureWith(providers: Providers): MeasureFn {
  return (_metric: Metric, provider: ProviderSpec) =>
    provider.type === 'web' ? providers.web(provider) : providers.prometheus(provider);
}
