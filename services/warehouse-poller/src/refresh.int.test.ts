/**
 * The poller's RefreshWarehouse handling against a real NATS and Redis (database 12), with a registry
 * port that shows a pushed tag only after a delay, as docker-registry can when it notifies before the
 * tag is readable.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Bus } from '@ferry/bus';
import { loadConfig } from '@ferry/config';
import type { FreightDiscovered, Warehouse } from '@ferry/contracts';
import { createLogger } from '@ferry/observability';
import type { RunningService } from '@ferry/runtime';
import { Store } from '@ferry/store';
import { startNatsServer, type TestNatsServer, waitFor } from '@ferry/support';
import { NO_CACHE, type RegistryPort } from './discover.ts';
import { startWarehousePoller } from './service.ts';

const log = createLogger('poller-refresh-test', 'silent');
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** Tags visible to listings; a tag pushed with `pushLate` shows up only after `visibleAfter` listings. */
const tags = new Map<string, number>([['1.0.0', 1]]);
let listings = 0;
const late = new Map<string, number>();
const registry: RegistryPort = {
  listTags: async () => {
    listings++;
    for (const [tag, at] of late) if (listings > at) tags.set(tag, tags.size + 1);
    return [...tags.keys()];
  },
  resolveTag: async (_repo, tag) => ({ digest: digest(tags.get(tag) ?? 0) }),
  getImageInfo: async (_repo, reference) => ({ digest: reference }),
};

const warehouse: Warehouse = {
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'app', namespace: 'shop' },
  spec: {
    interval: '1h0m0s',
    freightCreationPolicy: 'Automatic',
    subscriptions: [
      {
        image: {
          repoURL: 'registry.example/app',
          imageSelectionStrategy: 'SemVer',
          strictSemvers: true,
          allowTagsRegexes: [],
          ignoreTagsRegexes: [],
          discoveryLimit: 20,
        },
      },
    ],
  },
};

let nats: TestNatsServer;
let store: Store;
let bus: Bus;
let poller: RunningService;
const discovered: FreightDiscovered[] = [];

before(async () => {
  nats = await startNatsServer();
  store = Store.connect('redis://127.0.0.1:6379/12', 'poller-refresh-test');
  await store.redis.flushdb();
  bus = await Bus.connect({ servers: nats.url, name: 'poller-refresh-test', log, maxDeliver: 5 });
  await store.applyResources(
    [
      {
        project: 'shop',
        resource: {
          apiVersion: 'kargo.akuity.io/v1alpha1',
          kind: 'Project',
          metadata: { name: 'shop' },
        },
      },
      { project: 'shop', resource: warehouse },
    ],
    new Date().toISOString(),
  );
  await bus.consume({
    type: 'FreightDiscovered',
    durable: 'test-discovered',
    handler: async (evt) => void discovered.push(evt),
  });
  poller = await startWarehousePoller(
    { config: loadConfig({}), log, store, bus },
    { registry, cache: NO_CACHE, charts: async () => [], tickMs: 50 },
  );
  // The first, scheduled discovery finds 1.0.0.
  await waitFor('the first discovery', async () => discovered.length === 1, 10_000);
});

after(async () => {
  await poller.stop();
  await bus.close();
  await store.redis.flushdb();
  await store.close();
  await nats.close();
});

test('a webhook refresh that finds nothing new looks again, and finds a tag that became readable late', async () => {
  // The tag appears in listings only from the third one after now: the first look misses it.
  late.set('1.1.0', listings + 2);
  const before = listings;
  await bus.publish(
    'RefreshWarehouse',
    { project: 'shop', warehouse: 'app', expectChange: true },
    'refresh-late-1',
  );
  await waitFor(
    'Freight for 1.1.0',
    async () => discovered.some((d) => d.images[0]?.tag === '1.1.0'),
    15_000,
  );
  assert.ok(listings - before >= 2, `looked ${listings - before} times`);
});

test('a refresh asked by a person looks once, and a webhook refresh gives up after four looks', async () => {
  let before = listings;
  await bus.publish('RefreshWarehouse', { project: 'shop', warehouse: 'app' }, 'refresh-person-1');
  await waitFor('one discovery', async () => listings > before, 10_000);
  // Time for more looks, were there any.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(listings - before, 1, 'one look for a person');

  before = listings;
  await bus.publish(
    'RefreshWarehouse',
    { project: 'shop', warehouse: 'app', expectChange: true },
    'refresh-nothing-1',
  );
  // 0.5 + 1 + 2 s between the four looks.
  await waitFor('four looks', async () => listings - before >= 4, 15_000);
  await new Promise((r) => setTimeout(r, 4500));
  assert.equal(listings - before, 4, 'the first look and three more');
  assert.equal(await deadLetters(), 0, 'nothing dead-lettered');
});

async function deadLetters(): Promise<number> {
  return (await bus.jsm.streams.info('FERRY_DEAD_LETTER')).state.messages;
}
