import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPrometheus, type TestPrometheus } from './prometheus.ts';

describe('Prometheus HTTP API double', () => {
  let prom: TestPrometheus;
  before(async () => {
    prom = await startPrometheus();
  });
  after(() => prom.close());

  const query = async (q: string, init: RequestInit = {}) => {
    const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`, init);
    const body = (await res.json()) as { data?: { result?: unknown[] } };
    // Timestamps are the server's clock; blank them for exact comparison.
    const result = body.data?.result;
    if (Array.isArray(result)) {
      for (const r of result) if (r && typeof r === 'object' && 'value' in r) (r.value as unknown[])[0] = 0;
      if (typeof result[0] === 'number') result[0] = 0;
    }
    return { status: res.status, body };
  };

  it('answers vectors, scalars, errors and unknown queries in the documented format', async () => {
    prom.set('up', [1, Number.NaN]);
    prom.set('scalar(1)', 1.5);
    prom.set('bad(', { error: 'parse error' });
    prom.set('heavy', { errorType: 'execution', error: 'too many samples' });
    assert.deepEqual(await query('up'), {
      status: 200,
      body: {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            { metric: { instance: 'i0' }, value: [0, '1'] },
            { metric: { instance: 'i1' }, value: [0, 'NaN'] },
          ],
        },
      },
    });
    assert.deepEqual(await query('scalar(1)'), {
      status: 200,
      body: { status: 'success', data: { resultType: 'scalar', result: [0, '1.5'] } },
    });
    assert.deepEqual(await query('other'), {
      status: 200,
      body: { status: 'success', data: { resultType: 'vector', result: [] } },
    });
    assert.deepEqual(await query('bad('), {
      status: 400,
      body: { status: 'error', errorType: 'bad_data', error: 'parse error' },
    });
    assert.deepEqual(await query('heavy'), {
      status: 422,
      body: { status: 'error', errorType: 'execution', error: 'too many samples' },
    });
  });

  it('accepts form-encoded POSTs and logs every request', async () => {
    prom.requests.length = 0;
    const res = await fetch(`${prom.url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: 'up', timeout: '5s' }),
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.deepEqual(
      prom.requests.map((r) => [r.method, r.path, r.query, r.timeout]),
      [['POST', '/api/v1/query', 'up', '5s']],
    );
  });
});
