import { createServer, type IncomingHttpHeaders } from 'node:http';

/** What the double answers for one query. */
export type PrometheusAnswer =
  /** A scalar result: `{"resultType":"scalar","result":[<ts>,"<value>"]}`. */
  | number
  /** An instant vector, one series per value, labelled `{instance:"i0"}`, `{instance:"i1"}`, …. */
  | number[]
  /** An error answer, as Prometheus sends it: HTTP 400 (422 for `execution`) with `status: "error"`. */
  | { error: string; errorType?: string };

/** One request the double received. */
export interface PrometheusRequest {
  /** `GET` or `POST`. */
  method: string;
  /** The path, e.g. `/api/v1/query`. */
  path: string;
  /** The `query` parameter (from the URL or a form-encoded body). */
  query: string;
  /** The `timeout` parameter; empty when absent. */
  timeout?: string;
  /** Request headers, lower-cased. */
  headers: IncomingHttpHeaders;
}

/** A stand-in for a Prometheus server's `/api/v1/query` endpoint. */
export interface TestPrometheus {
  /** Base URL, for `provider.prometheus.address`. */
  url: string;
  /** Sets the answer for a query (exact text); unknown queries answer an empty vector, as Prometheus does. */
  set(query: string, answer: PrometheusAnswer): void;
  /** Every request, in order. */
  requests: PrometheusRequest[];
  /** Stops the server. */
  close(): Promise<void>;
}

/** Formats a sample as Prometheus does: a string, with `NaN`, `+Inf` and `-Inf` spelled out. */
const sample = (n: number): string =>
  Number.isNaN(n) ? 'NaN' : n === Infinity ? '+Inf' : n === -Infinity ? '-Inf' : String(n);

/**
 * Starts a Prometheus HTTP API double on 127.0.0.1 answering `GET|POST /api/v1/query` in the
 * documented format (`{"status":"success","data":{"resultType":…,"result":…}}`), so providers are
 * tested against the wire format rather than a fake function.
 */
export async function startPrometheus(): Promise<TestPrometheus> {
  const answers = new Map<string, PrometheusAnswer>();
  const requests: PrometheusRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const params =
        req.method === 'POST'
          ? new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
          : url.searchParams;
      const send = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname !== '/api/v1/query' || (req.method !== 'GET' && req.method !== 'POST')) {
        send(404, {
          status: 'error',
          errorType: 'not_found',
          error: `no route ${req.method} ${url.pathname}`,
        });
        return;
      }
      const query = params.get('query') ?? '';
      const entry: PrometheusRequest = {
        method: req.method,
        path: url.pathname,
        query,
        headers: req.headers,
      };
      const timeout = params.get('timeout');
      if (timeout !== null) entry.timeout = timeout;
      requests.push(entry);
      if (query === '') {
        send(400, {
          status: 'error',
          errorType: 'bad_data',
          error: 'invalid parameter "query": unknown position: parse error: no expression found in input',
        });
        return;
      }
      const ts = Date.now() / 1000;
      const answer = answers.get(query) ?? [];
      if (typeof answer === 'number') {
        send(200, { status: 'success', data: { resultType: 'scalar', result: [ts, sample(answer)] } });
      } else if (Array.isArray(answer)) {
        const result = answer.map((v, i) => ({ metric: { instance: `i${i}` }, value: [ts, sample(v)] }));
        send(200, { status: 'success', data: { resultType: 'vector', result } });
      } else {
        const errorType = answer.errorType ?? 'bad_data';
        send(errorType === 'execution' ? 422 : 400, { status: 'error', errorType, error: answer.error });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    set: (query, answer) => answers.set(query, answer),
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
