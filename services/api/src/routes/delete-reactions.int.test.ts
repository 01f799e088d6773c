/**
 * What services do when the api deletes: the promoter aborts a deleted Stage's unfinished
 * Promotions, and warehouse-poller stops polling a deleted Warehouse, even one whose discovery was
 * running when it was deleted. Real NATS and Redis (database 11); the api, promoter and poller run
 * in this process: a service never imports another, but this test is about them together.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Bus } from '@ferry/bus';
import { loadConfig } from '@ferry/config';
import type { Freight } from '@ferry/contracts';
import { createLogger } from '@ferry/observability';
import type { RunningService } from '@ferry/runtime';
import { Keys, Store } from '@ferry/store';
import { startNatsServer, type TestNatsServer, waitFor } from '@ferry/support';
import type { FastifyInstance } from 'fastify';
import { startPromoter } from '../../../promoter/src/service.ts';
import { NO_CACHE, type RegistryPort } from '../../../warehouse-poller/src/discover.ts';
import { startWarehousePoller } from '../../../warehouse-poller/src/service.ts';
import { buildApp } from '../app.ts';

const log = createLogger('delete-reactions-test', 'silent');
const ID = 'd'.repeat(40);

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
  interval: 1s
  freightCreationPolicy: Manual
  subscriptions:
    - image:
        repoURL: registry.example/app
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: dev
  namespace: shop
spec:
  requestedFreight:
    - origin: {kind: Warehouse, name: app}
      sources: {direct: true}
  promotionTemplate:
    spec:
      steps:
        - uses: wait-for-approval
`;

/** A registry whose tag listing waits at `gate` while one is set, and counts listings. */
let listings = 0;
let gate: Promise<void> | undefined;
let entered: (() => void) | undefined;
const registry: RegistryPort = {
  listTags: async () => {
    listings++;
    entered?.();
    if (gate) await gate;
    return ['1.0.0'];
  },
  resolveTag: async () => ({ digest: `sha256:${'1'.repeat(64)}` }),
  getImageInfo: async (_repo, reference) => ({ digest: reference }),
};

let nats: TestNatsServer;
let store: Store;
let bus: Bus;
let app: FastifyInstance;
let promoter: RunningService;
let poller: RunningService;

before(async () => {
  nats = await startNatsServer();
  store = Store.connect('redis://127.0.0.1:6379/11', 'delete-reactions-test');
  await store.redis.flushdb();
  bus = await Bus.connect({ servers: nats.url, name: 'delete-reactions-test', log, maxDeliver: 5 });
  const config = loadConfig({ FERRY_RECONCILE_INTERVAL_MS: '60000' });
  app = await buildApp({ store, bus, log });
  const applied = await app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    payload: { manifests: MANIFESTS },
  });
  assert.equal(applied.statusCode, 200, applied.body);
  const freight: Freight = {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Freight',
    metadata: { name: ID, namespace: 'shop', creationTimestamp: new Date().toISOString() },
    alias: 'wild-otter',
    origin: { kind: 'Warehouse', name: 'app' },
    images: [{ repoURL: 'registry.example/app', tag: '1.0.0', digest: `sha256:${'1'.repeat(64)}` }],
    commits: [],
    charts: [],
    status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
  };
  assert.equal(await store.createFreight(freight, Date.now()), 'created');
  promoter = await startPromoter({ config, log, store, bus });
  poller = await startWarehousePoller(
    { config, log, store, bus },
    { registry, cache: NO_CACHE, charts: async () => [], tickMs: 50 },
  );
});

after(async () => {
  await poller?.stop();
  await promoter?.stop();
  await app?.close();
  await bus?.close();
  await store?.redis.flushdb();
  await store?.close();
  await nats?.close();
});

const promote = async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/projects/shop/promotions',
    payload: { stage: 'dev', freight: ID },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().metadata.name as string;
};
const phaseOf = async (name: string) => (await store.getPromotion('shop', name))?.status;

test('deleting a Stage aborts its Running (forced) and Pending Promotions; new ones are refused', async () => {
  const running = await promote();
  await waitFor(
    'the first Promotion to wait for approval',
    async () => (await phaseOf(running))?.phase === 'Running',
    10_000,
  );
  const pending = await promote();
  await waitFor(
    'the second Promotion to queue',
    async () => (await phaseOf(pending))?.phase === 'Pending',
    10_000,
  );

  const refused = await app.inject({ method: 'DELETE', url: '/api/v1/projects/shop/stages/dev' });
  assert.equal(refused.statusCode, 409, refused.body);
  const res = await app.inject({ method: 'DELETE', url: '/api/v1/projects/shop/stages/dev?force=true' });
  assert.equal(res.statusCode, 200, res.body);

  for (const name of [running, pending]) {
    await waitFor(`${name} aborted`, async () => (await phaseOf(name))?.phase === 'Aborted', 10_000);
    // By the DefinitionsDeleted handler (which names who deleted it), or by the Stage's next pass.
    assert.match((await phaseOf(name))?.message ?? '', /^aborted: Stage "dev" was deleted( by api)?$/);
  }
  // Promoting to the deleted Stage is refused by the api; a command sent anyway is dropped.
  const again = await app.inject({
    method: 'POST',
    url: '/api/v1/projects/shop/promotions',
    payload: { stage: 'dev', freight: ID },
  });
  assert.equal(again.json().code, 'FERRY_ERR_STAGE_NOT_FOUND');
  await bus.publish(
    'CreatePromotion',
    {
      project: 'shop',
      promotion: 'dev.late.ddddddd',
      stage: 'dev',
      freight: ID,
      requestedBy: 'test',
      requestedAt: new Date().toISOString(),
    },
    'create-promotion:shop:dev.late.ddddddd',
  );
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await store.getPromotion('shop', 'dev.late.ddddddd'), undefined);
});

test('a Warehouse deleted while its discovery runs is no longer polled', async () => {
  await waitFor('the Warehouse polled', async () => listings > 0, 10_000);
  // Hold the next discovery inside its tag listing, then delete the Warehouse under it.
  let release!: () => void;
  gate = new Promise((r) => {
    release = r;
  });
  const inside = new Promise<void>((r) => {
    entered = r;
  });
  await app.inject({ method: 'POST', url: '/api/v1/projects/shop/warehouses/app/refresh' });
  await inside;
  entered = undefined;
  const res = await app.inject({ method: 'DELETE', url: '/api/v1/projects/shop/warehouses/app' });
  assert.equal(res.statusCode, 200, res.body);
  gate = undefined;
  release();
  // The discovery finishes and writes its status and next due time; the poller's reaction, which
  // waited for the discovery's lease, removes them again.
  await waitFor(
    'the schedule entry and status gone',
    async () =>
      (await store.redis.zscore(Keys.pollSchedule(), 'shop/app')) === null &&
      (await store.redis.exists(Keys.warehouseStatus('shop', 'app'))) === 0,
    10_000,
  );
  const seen = listings;
  // The interval is 1 s: two intervals without a listing.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(listings, seen, 'no discovery after the delete');
  assert.equal(await store.redis.zscore(Keys.pollSchedule(), 'shop/app'), null);
});
