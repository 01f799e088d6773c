import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Bus } from '@ferry/bus';
import { createLogger } from '@ferry/observability';
import { Store } from '@ferry/store';
import { startNatsServer, type TestNatsServer } from '@ferry/support';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';

let nats: TestNatsServer;
let store: Store;
let bus: Bus;
let app: FastifyInstance;
const log = createLogger('api-test', 'silent');

before(async () => {
  nats = await startNatsServer();
  store = Store.connect('redis://127.0.0.1:6379/11', 'api-test');
  await store.redis.flushdb();
  bus = await Bus.connect({ servers: nats.url, name: 'api-test', log, maxDeliver: 3 });
  app = await buildApp({ store, bus, log });
});
after(async () => {
  await app.close();
  await bus.close();
  await store.redis.flushdb();
  await store.close();
  await nats.close();
});

const MANIFESTS = `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: shop
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: app
  namespace: shop
spec:
  subscriptions:
    - image:
        repoURL: ghcr.io/acme/app
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: prod
  namespace: shop
spec:
  requestedFreight:
    - origin: { kind: Warehouse, name: app }
      sources: { stages: [uat] }
`;

test('apply creates, then reports unchanged; a bad file applies nothing and names every problem', async () => {
  const first = await app.inject({ method: 'POST', url: '/api/v1/apply', payload: { manifests: MANIFESTS } });
  assert.equal(first.statusCode, 200, first.body);
  assert.deepEqual(
    first.json().results.map((r: { kind: string; action: string }) => `${r.kind}:${r.action}`),
    ['Project:created', 'Warehouse:created', 'Stage:created'],
  );
  const again = await app.inject({ method: 'POST', url: '/api/v1/apply', payload: { manifests: MANIFESTS } });
  assert.deepEqual(
    again.json().results.map((r: { action: string }) => r.action),
    ['unchanged', 'unchanged', 'unchanged'],
  );
  const bad = await app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    payload: { manifests: MANIFESTS.replace('ghcr.io/acme/app', '""').replace('name: prod', 'name: Prod') },
  });
  assert.equal(bad.statusCode, 400);
  const body = bad.json();
  assert.equal(body.code, 'FERRY_ERR_BAD_MANIFEST');
  assert.equal(body.details.problems.length, 2, JSON.stringify(body.details.problems));
  assert.ok(body.details.problems.every((p: { path: string }) => /^document \d/.test(p.path)));
  assert.equal(
    (await store.listStages('shop')).map((s) => s.metadata.name).join(),
    'prod',
    'nothing applied',
  );
});

test('apply with create refuses the whole file when anything in it exists, writing nothing', async () => {
  const EXTRA = `apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: created-once
  namespace: shop
spec:
  subscriptions:
    - image:
        repoURL: ghcr.io/acme/other
`;
  const first = await app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    payload: { manifests: EXTRA, create: true },
  });
  assert.equal(first.statusCode, 200, first.body);
  assert.deepEqual(
    first.json().results.map((r: { kind: string; action: string }) => `${r.kind}:${r.action}`),
    ['Warehouse:created'],
  );
  const both = await app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    payload: { manifests: `${MANIFESTS}---\n${EXTRA}`.replace('name: prod', 'name: qa'), create: true },
  });
  assert.equal(both.statusCode, 409, both.body);
  assert.equal(both.json().code, 'FERRY_ERR_ALREADY_EXISTS');
  assert.equal(
    both.json().message,
    'nothing created: Project "shop", Warehouse "app" in Project "shop", Warehouse "created-once" in Project "shop" already exist; use ferry apply to change them',
  );
  assert.equal(await store.getStage('shop', 'qa'), undefined, 'the new Stage was not created either');
});

test('errors carry stable codes and statuses', async () => {
  const cases: Array<[string, string, unknown, number, string]> = [
    ['GET', '/api/v1/projects/nope', undefined, 404, 'FERRY_ERR_PROJECT_NOT_FOUND'],
    ['GET', '/api/v1/projects/shop/stages/nope', undefined, 404, 'FERRY_ERR_STAGE_NOT_FOUND'],
    ['GET', '/api/v1/projects/shop/freight/nope', undefined, 404, 'FERRY_ERR_FREIGHT_NOT_FOUND'],
    ['POST', '/api/v1/projects/shop/promotions', { stage: 'prod' }, 400, 'FERRY_ERR_VALIDATION'],
    [
      'POST',
      '/api/v1/projects/shop/promotions',
      { stage: 'prod', freight: 'xyz' },
      400,
      'FERRY_ERR_VALIDATION',
    ],
    [
      'POST',
      '/api/v1/projects/shop/promotions',
      { stage: 'prod', freightAlias: 'nope' },
      404,
      'FERRY_ERR_FREIGHT_NOT_FOUND',
    ],
    [
      'POST',
      '/api/v1/projects/shop/warehouses/nope/refresh',
      undefined,
      404,
      'FERRY_ERR_WAREHOUSE_NOT_FOUND',
    ],
    ['GET', '/api/v1/nothing-here', undefined, 404, 'FERRY_ERR_NOT_FOUND'],
  ];
  for (const [method, url, payload, status, code] of cases) {
    const res = await app.inject({
      method: method as 'GET',
      url,
      ...(payload ? { payload: payload as object } : {}),
    });
    assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
    assert.equal(res.json().code, code, `${method} ${url}`);
  }
});

test('promoting Freight not verified upstream is refused with the reason', async () => {
  await store.createFreight(
    {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Freight',
      metadata: { name: 'c'.repeat(40), namespace: 'shop' },
      alias: 'brave-lynx',
      origin: { kind: 'Warehouse', name: 'app' },
      images: [{ repoURL: 'ghcr.io/acme/app', tag: '1.0.0', digest: `sha256:${'d'.repeat(64)}` }],
      commits: [],
      charts: [],
      status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
    },
    Date.now(),
  );
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/projects/shop/promotions',
    payload: { stage: 'prod', freightAlias: 'brave-lynx' },
  });
  assert.equal(res.statusCode, 409);
  assert.equal(res.json().code, 'FERRY_ERR_FREIGHT_NOT_AVAILABLE');
  assert.match(res.json().message, /not verified in any upstream Stage of "prod"/);
});

test('the OpenAPI document lists the routes', async () => {
  const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  const doc = res.json();
  assert.equal(doc.openapi, '3.1.0');
  for (const path of [
    '/api/v1/apply',
    '/api/v1/projects/{project}/promotions',
    '/api/v1/projects/{project}/freight/{name}',
  ]) {
    assert.ok(doc.paths[path], `${path} in OpenAPI`);
  }
});

test('lists page with limit and continue', async () => {
  const all = (await app.inject({ method: 'GET', url: '/api/v1/projects/shop/freight' })).json();
  assert.equal(all.items.length, 1);
  await store.createFreight(
    {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Freight',
      metadata: { name: 'e'.repeat(40), namespace: 'shop', creationTimestamp: '2026-11-26T10:00:00Z' },
      alias: 'calm-heron',
      origin: { kind: 'Warehouse', name: 'app' },
      images: [],
      commits: [],
      charts: [],
      status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
    },
    Date.now(),
  );
  const first = (await app.inject({ method: 'GET', url: '/api/v1/projects/shop/freight?limit=1' })).json();
  assert.equal(first.items.length, 1);
  assert.ok(first.metadata.continue);
  const second = (
    await app.inject({
      method: 'GET',
      url: `/api/v1/projects/shop/freight?limit=1&continue=${first.metadata.continue}`,
    })
  ).json();
  assert.equal(second.items.length, 1);
  assert.equal(second.metadata, undefined);
  assert.notEqual(second.items[0].metadata.name, first.items[0].metadata.name);
  const bad = await app.inject({ method: 'GET', url: '/api/v1/projects/shop/freight?continue=zzz' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().message, 'continue: not a token from a previous page; start again without it');
});

test('?watch=true streams the list, then each change, as Server-Sent Events', async () => {
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const ac = new AbortController();
  const res = await fetch(`${address}/api/v1/projects/shop/promotions?watch=true`, { signal: ac.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const nextEvent = async (): Promise<{
    type: string;
    data: { metadata: { name: string }; status?: { phase: string } };
  }> => {
    for (;;) {
      const i = buffer.indexOf('\n\n');
      if (i >= 0) {
        const chunk = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (chunk.startsWith(':')) continue;
        const type = /^event: (.*)$/m.exec(chunk)![1]!;
        const data = JSON.parse(/^data: (.*)$/m.exec(chunk)![1]!);
        return { type, data };
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += value;
    }
  };
  assert.equal((await nextEvent()).type, 'BOOKMARK', 'no Promotions yet: the list is empty');
  const promotion = {
    apiVersion: 'kargo.akuity.io/v1alpha1' as const,
    kind: 'Promotion' as const,
    metadata: { name: 'prod.01.ccccccc', namespace: 'shop' },
    spec: { stage: 'prod', freight: 'c'.repeat(40), steps: [] },
    status: { phase: 'Pending' as const, currentStep: 0, stepExecutionMetadata: [], state: {}, revision: 0 },
  };
  await store.createPromotion(promotion);
  await bus.publish(
    'PromotionCreated',
    { project: 'shop', promotion: 'prod.01.ccccccc', stage: 'prod', freight: 'c'.repeat(40) },
    'w-1',
  );
  const added = await nextEvent();
  assert.equal(added.type, 'ADDED');
  assert.equal(added.data.metadata.name, 'prod.01.ccccccc');
  await store.casPromotionStatus('shop', 'prod.01.ccccccc', 'prod', 0, {
    ...promotion.status,
    phase: 'Running',
  });
  await bus.publish(
    'PromotionChanged',
    { project: 'shop', promotion: 'prod.01.ccccccc', stage: 'prod', phase: 'Running', step: 0, revision: 1 },
    'w-2',
  );
  const modified = await nextEvent();
  assert.equal(modified.type, 'MODIFIED');
  assert.equal(modified.data.status?.phase, 'Running');
  ac.abort();
});

/** One Server-Sent Event of a watch: its type and the object (a Stage here). */
interface WatchEvent {
  type: string;
  data: {
    metadata: { name: string };
    status?: { health?: { status: string; issues: string[] } };
  };
}

/** Reads Server-Sent Events from a response, failing after `timeoutMs` when none comes. */
const sseReader = (res: Response, timeoutMs = 5000) => {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return async (): Promise<WatchEvent> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = buffer.indexOf('\n\n');
      if (i >= 0) {
        const chunk = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (chunk.startsWith(':')) continue;
        return {
          type: /^event: (.*)$/m.exec(chunk)![1]!,
          data: JSON.parse(/^data: (.*)$/m.exec(chunk)![1]!),
        };
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), deadline - Date.now());
      });
      const { value, done } = await Promise.race([reader.read(), late]).finally(() => clearTimeout(timer));
      if (done) throw new Error('stream ended');
      buffer += value;
    }
  };
};

test('?watch=true sends a Stage MODIFIED when only its health changes (StageHealthChanged)', async () => {
  const address = app.server.listening
    ? `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    : await app.listen({ host: '127.0.0.1', port: 0 });
  const ac = new AbortController();
  const res = await fetch(`${address}/api/v1/projects/shop/stages?watch=true`, { signal: ac.signal });
  const next = sseReader(res);
  const added = await next();
  assert.deepEqual(
    [added.type, added.data.metadata.name, added.data.status?.health],
    ['ADDED', 'prod', undefined],
  );
  assert.equal((await next()).type, 'BOOKMARK');
  const health = (status: 'Healthy' | 'Unhealthy', issues: string[]) => ({
    status,
    issues,
    apps: [
      {
        namespace: 'argocd',
        name: 'shop-prod',
        state: status,
        healthStatus: { status: status === 'Healthy' ? 'Healthy' : 'Degraded' },
        syncStatus: { status: 'Synced', revision: 'a'.repeat(40) },
      },
    ],
    updatedAt: new Date().toISOString(),
  });
  const steps: Array<['Healthy' | 'Unhealthy', string[], string | undefined]> = [
    [
      'Unhealthy',
      ['Argo CD Application "shop-prod" in namespace "argocd" has health state "Degraded"'],
      undefined,
    ],
    ['Healthy', [], 'Unhealthy'],
  ];
  for (const [i, [status, issues, previous]] of steps.entries()) {
    // What argocd-syncer does: store the health, then announce it; nothing else about the Stage changes.
    await store.swapStageHealth('shop', 'prod', health(status, issues), `fp-${i}`);
    await bus.publish(
      'StageHealthChanged',
      {
        project: 'shop',
        stage: 'prod',
        status,
        ...(previous ? { previous } : {}),
        issues,
        at: new Date().toISOString(),
      },
      `health-${i}`,
    );
    const modified = await next();
    assert.deepEqual(
      [
        modified.type,
        modified.data.metadata.name,
        modified.data.status?.health?.status,
        modified.data.status?.health?.issues,
      ],
      ['MODIFIED', 'prod', status, issues],
    );
  }
  ac.abort();
});
