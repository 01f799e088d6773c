/**
 * Manual Freight and `subscriptions/test` against the real chain: a private NATS, Redis database 14,
 * a real docker-registry, and warehouse-poller and freight-store running as their own processes
 * (a service never imports another); the api in-process through `app.inject()`.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Bus } from '@ferry/bus';
import { freightId } from '@ferry/kargo';
import { createLogger } from '@ferry/observability';
import { Store } from '@ferry/store';
import {
  freePortRange,
  startNatsServer,
  startRegistry,
  type TestNatsServer,
  type TestRegistry,
  waitFor,
} from '@ferry/support';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const REDIS_URL = 'redis://127.0.0.1:6379/14';
const log = createLogger('manual-freight-test', 'silent');

describe('manual Freight and subscription tests (NATS, Redis DB 14, docker-registry, poller + freight-store)', () => {
  let nats: TestNatsServer;
  let registry: TestRegistry;
  let store: Store;
  let bus: Bus;
  let app: FastifyInstance;
  let dir: string;
  const children: ChildProcess[] = [];
  const output: string[] = [];
  const digests: Record<string, string> = {};
  let repoURL: string;

  const startService = (name: string, opsPort = 0) => {
    const child = spawn(process.execPath, [join(ROOT, 'services', name, 'src', 'main.ts')], {
      env: {
        ...process.env,
        FERRY_NATS_URL: nats.url,
        FERRY_REDIS_URL: REDIS_URL,
        FERRY_OPS_PORT: String(opsPort),
        FERRY_GIT_CACHE_DIR: join(dir, 'git-cache'),
        FERRY_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b: Buffer) => output.push(`[${name}] ${b}`));
    child.stderr!.on('data', (b: Buffer) => output.push(`[${name}] ${b}`));
    children.push(child);
  };

  const post = (url: string, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url, payload });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-manual-freight-'));
    nats = await startNatsServer();
    registry = await startRegistry();
    store = Store.connect(REDIS_URL, 'manual-freight-test');
    await store.redis.flushdb();
    bus = await Bus.connect({ servers: nats.url, name: 'manual-freight-test', log, maxDeliver: 3 });
    app = await buildApp({ store, bus, log });
    repoURL = `${registry.host}/team/app`;
    for (const tag of ['1.0.0', '1.1.0', '1.2.0', '0.9.0-rc.1']) {
      digests[tag] = (await registry.pushImage('team/app', tag)).digest;
    }
    startService('warehouse-poller');
    const freightStoreOps = await freePortRange(1);
    startService('freight-store', freightStoreOps);
    const applied = await post('/api/v1/apply', {
      manifests: `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata: { name: shop }
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: { name: app, namespace: shop }
spec:
  freightCreationPolicy: Manual
  subscriptions:
    - image: { repoURL: "${repoURL}", constraint: "^1.0.0" }
`,
    });
    assert.equal(applied.statusCode, 200, applied.body);
    // The poller discovers a Warehouse when it is applied; a Manual one makes no Freight.
    await waitFor(
      'the discovery of Warehouse app',
      async () => (await store.getWarehouseStatus('shop', 'app'))?.discoveredArtifacts !== undefined,
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${output.join('')}`);
    });
    // freight-store takes Freight from FreightDiscovered facts through a consumer that, made for the
    // first time, starts with new ones: the tests publish only once it is ready (consumers made).
    await waitFor(
      'freight-store to be ready',
      async () =>
        (await fetch(`http://127.0.0.1:${freightStoreOps}/readyz`).catch(() => undefined))?.ok === true,
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${output.join('')}`);
    });
  });

  after(async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)),
    );
    await app?.close();
    await bus?.close();
    await store?.redis.flushdb();
    await store?.close();
    await registry?.close();
    await nats?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a Manual Warehouse discovers candidates but makes no Freight by itself', async () => {
    const status = await store.getWarehouseStatus('shop', 'app');
    assert.deepEqual(
      status?.discoveredArtifacts?.images[0]?.references.map((r) => r.tag),
      ['1.2.0', '1.1.0', '1.0.0'],
    );
    assert.deepEqual(await store.listFreight('shop'), []);
  });

  it('makes Freight of a discovered tag with the digest the registry gives, once', async () => {
    const body = { origin: { kind: 'Warehouse', name: 'app' }, images: [{ repoURL, tag: '1.1.0' }] };
    const first = await post('/api/v1/projects/shop/freight', body);
    assert.equal(first.statusCode, 201, first.body);
    const expected = freightId({
      origin: { kind: 'Warehouse', name: 'app' },
      images: [{ repoURL, tag: '1.1.0', digest: digests['1.1.0']! }],
    });
    const f = first.json();
    assert.equal(f.metadata.name, expected);
    assert.deepEqual(f.images, [{ repoURL, tag: '1.1.0', digest: digests['1.1.0'] }]);
    assert.match(f.alias, /^[a-z]+-[a-z]+$/);

    const again = await post('/api/v1/projects/shop/freight', body);
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().metadata.name, expected);
    assert.equal((await store.listFreight('shop')).length, 1);
  });

  it('with no artifacts takes the best candidate of every subscription', async () => {
    const res = await post('/api/v1/projects/shop/freight', { origin: { kind: 'Warehouse', name: 'app' } });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().images, [{ repoURL, tag: '1.2.0', digest: digests['1.2.0'] }]);
  });

  it('refuses a tag that was not discovered, naming it and what was', async () => {
    await registry.pushImage('team/app', '2.0.0');
    const res = await post('/api/v1/projects/shop/freight', {
      origin: { kind: 'Warehouse', name: 'app' },
      images: [{ repoURL, tag: '2.0.0' }],
    });
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().code, 'FERRY_ERR_ARTIFACT_NOT_DISCOVERED');
    assert.equal(
      res.json().message,
      `image ${repoURL}:2.0.0 is not among the artifacts Warehouse "app" discovered (1.2.0, 1.1.0, 1.0.0); ` +
        'run "ferry refresh warehouse app -p shop" first if it was published since, then pick one it lists',
    );
    assert.deepEqual(res.json().details.problems[0].path, '/images/0');
  });

  it('refuses a digest the tag does not point at, and artifacts that fit no subscription', async () => {
    const wrong = await post('/api/v1/projects/shop/freight', {
      origin: { kind: 'Warehouse', name: 'app' },
      images: [{ repoURL, tag: '1.0.0', digest: digests['1.1.0'] }],
    });
    assert.equal(wrong.statusCode, 422, wrong.body);
    assert.equal(wrong.json().code, 'FERRY_ERR_ARTIFACT_UNRESOLVED');
    assert.equal(
      wrong.json().message,
      `${repoURL}:1.0.0 now points at ${digests['1.0.0']}, not ${digests['1.1.0']}; leave the digest out to ` +
        'take what the tag points at now; run "ferry refresh warehouse app -p shop" and pick a tag it lists',
    );
    const other = await post('/api/v1/projects/shop/freight', {
      origin: { kind: 'Warehouse', name: 'app' },
      images: [{ repoURL: 'ghcr.io/acme/other', tag: '1.0.0' }],
    });
    assert.equal(other.statusCode, 400, other.body);
    assert.deepEqual(other.json().details.problems, [
      {
        path: '/images/0/repoURL',
        message: `no image subscription of Warehouse "app" watches ghcr.io/acme/other; its image subscriptions: ${repoURL}`,
      },
      {
        path: '/images',
        message: `subscription 0 (image ${repoURL}) of Warehouse "app" needs one artifact: Freight holds one artifact per subscription (or give none at all to take the best of each)`,
      },
    ]);
    const missing = await post('/api/v1/projects/shop/freight', {
      origin: { kind: 'Warehouse', name: 'nope' },
    });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'FERRY_ERR_WAREHOUSE_NOT_FOUND');
  });

  it('tests a subscription: ranked candidates, nothing written', async () => {
    const key = 'ferry:p:shop:warehouse:app:status';
    const statusBefore = await store.redis.get(key);
    const keysBefore = (await store.redis.keys('*')).sort();
    const freightBefore = (await store.listFreight('shop')).length;
    const res = await post('/api/v1/projects/shop/subscriptions/test', {
      manifest: `apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: { name: app, namespace: shop }
spec:
  subscriptions:
    - image: { repoURL: "${repoURL}", constraint: "<2.0.0", strictSemvers: false, discoveryLimit: 3 }
`,
    });
    assert.equal(res.statusCode, 200, res.body);
    const answer = res.json();
    assert.equal(answer.warehouse, 'app');
    assert.deepEqual(answer.subscriptions, [
      {
        index: 0,
        kind: 'image',
        repoURL,
        picked: { tag: '1.2.0', digest: digests['1.2.0'] },
        candidates: [{ tag: '1.2.0', digest: digests['1.2.0'] }, { tag: '1.1.0' }, { tag: '1.0.0' }],
      },
    ]);
    assert.equal(
      answer.freight,
      freightId({
        origin: { kind: 'Warehouse', name: 'app' },
        images: [{ repoURL, tag: '1.2.0', digest: digests['1.2.0']! }],
      }),
    );
    // A subscription that finds nothing says why, and the Warehouse's stored state is untouched.
    const none = await post('/api/v1/projects/shop/subscriptions/test', {
      spec: { subscriptions: [{ image: { repoURL, constraint: '^9.0.0' } }] },
    });
    assert.equal(none.statusCode, 200, none.body);
    assert.deepEqual(none.json().subscriptions, [
      {
        index: 0,
        kind: 'image',
        repoURL,
        candidates: [],
        error: 'no tag among 5 matches constraint "^9.0.0"; push a matching tag or change the constraint',
      },
    ]);
    assert.equal(none.json().freight, undefined);
    assert.equal(await store.redis.get(key), statusBefore);
    assert.deepEqual((await store.redis.keys('*')).sort(), keysBefore);
    assert.equal((await store.listFreight('shop')).length, freightBefore);
  });

  it('names the problems of a bad spec by their path', async () => {
    const res = await post('/api/v1/projects/shop/subscriptions/test', {
      spec: { subscriptions: [{ image: { repoURL, imageSelectionStrategy: 'Newest' } }] },
    });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().code, 'FERRY_ERR_BAD_MANIFEST');
    assert.deepEqual(res.json().details.problems, [
      {
        path: '/spec/subscriptions/0/image/imageSelectionStrategy',
        message: 'must be one of SemVer, Lexical, Digest, NewestBuild',
      },
    ]);
  });
});
