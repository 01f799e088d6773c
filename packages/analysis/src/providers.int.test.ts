import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { freePort, startPrometheus, type TestPrometheus } from '@ferry/support';
import { parseAnalysisTemplate } from './manifest.ts';
import { measureWith, prometheusProvider, webProvider } from './providers.ts';
import { advanceAnalysis, startAnalysis } from './run.ts';
import type { PrometheusProviderSpec, WebProviderSpec } from './types.ts';

/** A small real HTTP service: each path answers a fixed status and body; requests are logged. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
const routes: Record<string, { status: number; body: string; delayMs?: number }> = {
  '/health': { status: 200, body: '{"status":"healthy","checks":[{"ok":true},{"ok":false}]}' },
  '/text': { status: 200, body: 'ok' },
  '/broken': { status: 503, body: 'upstream down' },
  '/slow': { status: 200, body: '{}', delayMs: 3000 },
};
let server: Server;
let base: string;
const seen: Seen[] = [];

const web = (over: Partial<WebProviderSpec>): WebProviderSpec => ({
  type: 'web',
  url: `${base}/health`,
  method: 'GET',
  headers: [],
  timeoutSeconds: 5,
  ...over,
});

describe('webProvider against a real HTTP service', () => {
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        const r = routes[req.url ?? ''] ?? { status: 404, body: 'no such page' };
        setTimeout(() => res.writeHead(r.status).end(r.body), r.delayMs ?? 0).unref();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const provider = () => webProvider(fetch);
  const cases: Array<{ name: string; spec: () => WebProviderSpec; want: () => unknown }> = [
    {
      name: 'jsonPath in braces',
      spec: () => web({ jsonPath: '{$.status}' }),
      want: () => ({ value: 'healthy' }),
    },
    {
      name: 'jsonPath with index',
      spec: () => web({ jsonPath: '$.checks[1].ok' }),
      want: () => ({ value: false }),
    },
    {
      name: 'jsonPath with wildcard',
      spec: () => web({ jsonPath: '$.checks[*].ok' }),
      want: () => ({ value: [true, false] }),
    },
    {
      name: 'no jsonPath: the whole document',
      spec: () => web({}),
      want: () => ({ value: { status: 'healthy', checks: [{ ok: true }, { ok: false }] } }),
    },
    {
      name: 'plain text without jsonPath',
      spec: () => web({ url: `${base}/text` }),
      want: () => ({ value: 'ok' }),
    },
    {
      name: 'a jsonPath matching nothing',
      spec: () => web({ jsonPath: '$.nope' }),
      want: () => ({ error: `GET ${base}/health: jsonPath "$.nope" matches nothing in the response` }),
    },
    {
      name: 'a non-2xx answer',
      spec: () => web({ url: `${base}/broken` }),
      want: () => ({ error: `GET ${base}/broken answered 503: upstream down` }),
    },
    {
      name: 'text where JSON is needed',
      spec: () => web({ url: `${base}/text`, jsonPath: '$.a' }),
      want: () => ({ error: `GET ${base}/text did not answer JSON, so jsonPath "$.a" cannot apply` }),
    },
    {
      name: 'a timeout',
      spec: () => web({ url: `${base}/slow`, timeoutSeconds: 1 }),
      want: () => ({ error: `GET ${base}/slow: timed out` }),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => assert.deepEqual(await provider()(c.spec()), c.want()));
  }

  it('sends method, headers and body', async () => {
    seen.length = 0;
    const out = await provider()(
      web({
        method: 'POST',
        body: '{"q":1}',
        headers: [{ key: 'X-Token', value: 'abc' }],
        jsonPath: '$.status',
      }),
    );
    assert.deepEqual(out, { value: 'healthy' });
    assert.deepEqual(
      seen.map((s) => [s.method, s.url, s.headers['x-token'], s.body]),
      [['POST', '/health', 'abc', '{"q":1}']],
    );
  });

  it('reports a refused connection as an error', async () => {
    const port = await freePort();
    const out = await provider()(web({ url: `http://127.0.0.1:${port}/x` }));
    assert.deepEqual(out, {
      error: `GET http://127.0.0.1:${port}/x: fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });
});

describe('prometheusProvider against the Prometheus double', () => {
  let prom: TestPrometheus;
  before(async () => {
    prom = await startPrometheus();
  });
  after(() => prom.close());

  const spec = (query: string, over: Partial<PrometheusProviderSpec> = {}): PrometheusProviderSpec => ({
    type: 'prometheus',
    address: prom.url,
    query,
    headers: [],
    ...over,
  });

  it('reads vectors, scalars, empty results and errors', async () => {
    prom.set('sum(rate(ok[5m]))', [0.97, 0.5]);
    prom.set('scalar(x)', 42);
    prom.set('nan', [Number.NaN]);
    prom.set('bad(', { error: 'parse error at char 5: unclosed left parenthesis' });
    prom.set('slow', { errorType: 'timeout', error: 'query timed out in expression evaluation' });
    const p = prometheusProvider(fetch);
    assert.deepEqual(await p(spec('sum(rate(ok[5m]))')), { value: [0.97, 0.5] });
    assert.deepEqual(await p(spec('scalar(x)')), { value: 42 });
    assert.deepEqual(await p(spec('nothing_matches')), { value: [] });
    const nan = await p(spec('nan'));
    assert.ok('value' in nan && Array.isArray(nan.value) && Number.isNaN(nan.value[0]));
    assert.deepEqual(await p(spec('bad(')), {
      error: `prometheus ${prom.url} query "bad(" failed: bad_data: parse error at char 5: unclosed left parenthesis`,
    });
    assert.deepEqual(await p(spec('slow')), {
      error: `prometheus ${prom.url} query "slow" failed: timeout: query timed out in expression evaluation`,
    });
  });

  it('sends the query, timeout and headers as the HTTP API documents', async () => {
    prom.requests.length = 0;
    prom.set('up{job="shop"}', [1]);
    await prometheusProvider(fetch)(
      spec('up{job="shop"}', {
        address: `${prom.url}/`,
        timeoutSeconds: 7,
        headers: [{ key: 'Authorization', value: 'Bearer t' }],
      }),
    );
    assert.deepEqual(
      prom.requests.map((r) => [r.method, r.path, r.query, r.timeout, r.headers.authorization]),
      [['GET', '/api/v1/query', 'up{job="shop"}', '7s', 'Bearer t']],
    );
  });

  it('verifies end to end: template → run → real providers', async () => {
    prom.set('success_rate{service="shop"}', [0.99]);
    const t = parseAnalysisTemplate(
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AnalysisTemplate',
        metadata: { name: 'shop' },
        spec: {
          args: [{ name: 'service' }, { name: 'prometheus' }],
          metrics: [
            {
              name: 'success-rate',
              successCondition: 'len(result) > 0 && result[0] >= 0.95',
              provider: {
                prometheus: {
                  address: '{{args.prometheus}}',
                  query: 'success_rate{service="{{args.service}}"}',
                },
              },
            },
          ],
        },
      },
      'test',
    );
    const now = new Date('2026-01-01T00:00:00Z');
    const run0 = startAnalysis(
      [t],
      [
        { name: 'service', value: 'shop' },
        { name: 'prometheus', value: prom.url },
      ],
      now,
    );
    const measure = measureWith({ web: webProvider(fetch), prometheus: prometheusProvider(fetch) });
    const { run, nextAt } = await advanceAnalysis(run0, now, measure);
    assert.equal(nextAt, undefined);
    assert.equal(run.phase, 'Successful');
    assert.equal(run.metrics[0]?.measurements[0]?.value, '[0.99]');
  });
});
