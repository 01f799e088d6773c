import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FetchLike, RegistryClient, type RegistryRequestEvent } from './client.ts';

// The onRequest hook: one event per registry request, with the status (or `error`) and, for a 429
// that is retried, the wait before the retry.
test('onRequest reports every registry request, 429 waits and unanswered requests', async () => {
  const answers: (Response | Error)[] = [
    new Response('{}', { status: 429, headers: { 'Retry-After': '3' } }),
    new Response(JSON.stringify({ name: 'library/nginx', tags: ['1.0'] }), {
      status: 200,
      headers: { 'Content-Type': 'application/json' },
    }),
    new Error('connection refused'),
  ];
  const fetch: FetchLike = async () => {
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return next ?? new Response('', { status: 500 });
  };
  const events: RegistryRequestEvent[] = [];
  const slept: number[] = [];
  const client = new RegistryClient({
    fetch,
    now: () => Date.UTC(2026, 0, 1),
    sleep: async (ms) => {
      slept.push(ms);
    },
    onRequest: (e) => events.push(e),
  });
  assert.deepEqual(await client.listTags('docker.io/library/nginx'), ['1.0']);
  await assert.rejects(client.listTags('ghcr.io/acme/app'));
  assert.deepEqual(slept, [3000]);
  assert.deepEqual(
    events.map(({ ms, ...rest }) => {
      assert.ok(ms >= 0, 'ms is a duration');
      return rest;
    }),
    [
      { registry: 'docker.io', method: 'GET', status: 429, retryWaitMs: 3000 },
      { registry: 'docker.io', method: 'GET', status: 200 },
      { registry: 'ghcr.io', method: 'GET', status: 'error' },
    ],
  );
});
