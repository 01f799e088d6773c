import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistryClient } from './client.ts';
import { RegistryRateLimitedError } from './errors.ts';

const NOW = Date.parse('2026-11-26T10:00:00Z');

/** A fake registry answering the listed statuses (and Retry-After) in order, then 200. */
function fakeFetch(answers: Array<[number, string | undefined]>) {
  const calls: string[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push(`${init.method} ${new URL(url).pathname}`);
    const next = answers.shift();
    if (next && next[0] === 429) {
      return new Response('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}', {
        status: 429,
        headers: next[1] === undefined ? {} : { 'retry-after': next[1] },
      });
    }
    return new Response(JSON.stringify({ name: 'app', tags: ['v1'] }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { fetch, calls };
}

test('429 answers are waited out and retried, honouring Retry-After (seconds or date)', async () => {
  // [case, answers, expected waits in ms]
  const cases: Array<[string, Array<[number, string | undefined]>, number[]]> = [
    ['seconds', [[429, '2']], [2000]],
    ['HTTP date', [[429, new Date(NOW + 3000).toUTCString()]], [3000]],
    [
      'no header: exponential backoff',
      [
        [429, undefined],
        [429, undefined],
        [429, undefined],
      ],
      [100, 200, 400],
    ],
    ['capped', [[429, '3600']], [5000]],
  ];
  for (const [name, answers, waits] of cases) {
    const slept: number[] = [];
    const acquired: string[] = [];
    const { fetch, calls } = fakeFetch(answers);
    const client = new RegistryClient({
      fetch,
      now: () => NOW,
      rateLimitBackoffMs: 100,
      maxRateLimitWaitMs: 5000,
      sleep: async (ms) => {
        slept.push(ms);
      },
      limiter: { acquire: async (host) => void acquired.push(host) },
    });
    assert.deepEqual(await client.listTags('ghcr.io/acme/app'), ['v1'], name);
    assert.deepEqual(slept, waits, name);
    assert.equal(calls.length, waits.length + 1, name);
    assert.deepEqual(
      acquired,
      calls.map(() => 'ghcr.io'),
      name,
    );
    assert.deepEqual(
      client.throttling,
      { retries: waits.length, waitMs: waits.reduce((a, b) => a + b, 0) },
      name,
    );
  }
});

test('after the retries a 429 becomes a RegistryRateLimitedError', async () => {
  const { fetch, calls } = fakeFetch([
    [429, '1'],
    [429, '1'],
    [429, '1'],
  ]);
  const client = new RegistryClient({ fetch, now: () => NOW, maxRateLimitRetries: 2, sleep: async () => {} });
  await assert.rejects(client.listTags('ghcr.io/acme/app'), (err: unknown) => {
    assert.ok(err instanceof RegistryRateLimitedError);
    assert.equal(
      err.message,
      'repository "acme/app" on registry ghcr.io: rate-limited while listing tags (HTTP 429, TOOMANYREQUESTS: slow down); ' +
        'retry after 1 s, or configure credentials: authenticated pulls get higher limits',
    );
    return true;
  });
  assert.equal(calls.length, 3);
  assert.deepEqual(client.throttling, { retries: 2, waitMs: 2000 });
});
