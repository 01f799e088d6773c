import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FetchLike, RegistryClient, type RegistrySpanHook } from './client.ts';

// The span hook: one span per registry request attempt, named by method, with registry, repository,
// method and the answer's status (or error.type when no answer came).
test('span wraps every registry request with registry, repository, method and status', async () => {
  const answers: (Response | Error)[] = [
    new Response('{}', { status: 429, headers: { 'Retry-After': '1' } }),
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
  const spans: { name: string; attributes: Record<string, string | number> }[] = [];
  const span: RegistrySpanHook = async (name, attributes, fn) => {
    const recorded = { name, attributes: { ...attributes } as Record<string, string | number> };
    spans.push(recorded);
    return fn((k, v) => {
      recorded.attributes[k] = v;
    });
  };
  const client = new RegistryClient({ fetch, now: () => Date.UTC(2026, 0, 1), sleep: async () => {}, span });
  assert.deepEqual(await client.listTags('docker.io/library/nginx'), ['1.0']);
  await assert.rejects(client.listTags('ghcr.io/acme/app'));
  const nginx = {
    'ferry.registry': 'docker.io',
    'ferry.repository': 'library/nginx',
    'http.request.method': 'GET',
  };
  assert.deepEqual(spans, [
    { name: 'registry GET', attributes: { ...nginx, 'http.response.status_code': 429 } },
    { name: 'registry GET', attributes: { ...nginx, 'http.response.status_code': 200 } },
    {
      name: 'registry GET',
      attributes: {
        'ferry.registry': 'ghcr.io',
        'ferry.repository': 'acme/app',
        'http.request.method': 'GET',
        'error.type': 'unreachable',
      },
    },
  ]);
});
