import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ImageSubscription, Warehouse } from '@ferry/contracts';
import { RegistryClient } from '@ferry/registry';
import { Store } from '@ferry/store';
import { startRegistry, type TestRegistry } from '@ferry/support';
import { discoverWarehouse } from './discover.ts';
import { redisDiscoveryCache, redisRateLimiter } from './redis-ports.ts';

/** A node:http proxy in front of a registry that answers 429 (Retry-After: 1) to its first `n` requests. */
async function startThrottlingProxy(
  target: string,
  n: number,
): Promise<{ host: string; throttled: number; close(): Promise<void> }> {
  const state = { throttled: 0 };
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    if (state.throttled < n) {
      state.throttled++;
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      return;
    }
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get throttled() {
      return state.throttled;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const warehouse = (name: string, sub: Partial<ImageSubscription> & { repoURL: string }): Warehouse => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name, namespace: 'demo' },
  spec: {
    interval: '5m0s',
    freightCreationPolicy: 'Automatic',
    subscriptions: [
      {
        image: {
          imageSelectionStrategy: 'SemVer',
          strictSemvers: true,
          allowTagsRegexes: [],
          ignoreTagsRegexes: [],
          discoveryLimit: 20,
          ...sub,
        },
      },
    ],
  },
});

describe('discovery against docker-registry with the Redis caches (DB 12)', () => {
  let registry: TestRegistry;
  let store: Store;
  before(async () => {
    registry = await startRegistry();
    store = Store.connect('redis://127.0.0.1:6379/12', 'poller-int-test');
    await store.redis.flushdb();
    await registry.pushImage('team/app', 'v1.0.0', { created: new Date('2026-01-01T00:00:00Z') });
    await registry.pushImage('team/app', 'v1.1.0', { created: new Date('2026-02-01T00:00:00Z') });
    await registry.tagExisting('team/app', 'v1.0.0', 'v0.9.0');
  });
  after(async () => {
    await store.redis.flushdb();
    await store.close();
    await registry.close();
  });

  it('costs one request the second time with cacheByTag, two without, and no metadata again', async () => {
    const repoURL = `${registry.host}/team/app`;
    // [case, subscription, first discovery's requests, second discovery's requests]
    const cases: Array<[string, Partial<ImageSubscription>, number, number]> = [
      ['SemVer, cacheByTag', { cacheByTag: true }, 2, 1],
      ['SemVer', {}, 2, 2],
      // 3 HEADs, 2 manifests + 2 configs (two tags share a digest); then the listing only.
      ['NewestBuild, cacheByTag', { imageSelectionStrategy: 'NewestBuild', cacheByTag: true }, 8, 1],
      // Mutable tags are resolved again, their metadata is not read again.
      ['NewestBuild', { imageSelectionStrategy: 'NewestBuild' }, 8, 4],
    ];
    for (const [name, sub, first, second] of cases) {
      await store.redis.flushdb();
      const cache = redisDiscoveryCache(store);
      const wh = warehouse('app', { repoURL, ...sub });
      registry.resetRequests();
      const r1 = await discoverWarehouse(wh, new RegistryClient(), new Date(), { cache });
      assert.equal(registry.requests, first, `${name}: first`);
      registry.resetRequests();
      const r2 = await discoverWarehouse(wh, new RegistryClient(), new Date(), { cache });
      assert.equal(registry.requests, second, `${name}: second`);
      assert.equal(r1.images?.[0]?.tag, 'v1.1.0', name);
      assert.deepEqual(r2.images, r1.images, name);
      assert.deepEqual(r2.status.health?.status, 'Healthy', name);
    }
  });

  it('a repository of 1,050 tags costs the listing alone the second time, whatever the strategy (cacheByTag)', async () => {
    const pushed = await registry.pushImage('team/many', '1.0.0', {
      created: new Date('2026-03-01T00:00:00Z'),
    });
    // The same manifest bytes PUT under 1,049 more tags, 10 at a time.
    const manifest = await (
      await fetch(`${registry.url}/v2/team/many/manifests/${pushed.digest}`, {
        headers: { accept: pushed.mediaType },
      })
    ).text();
    const tags = Array.from({ length: 1049 }, (_, i) => `1.0.${i + 1}`);
    for (let i = 0; i < tags.length; i += 10) {
      await Promise.all(
        tags.slice(i, i + 10).map(async (t) => {
          const res = await fetch(`${registry.url}/v2/team/many/manifests/${t}`, {
            method: 'PUT',
            headers: { 'content-type': pushed.mediaType },
            body: manifest,
          });
          assert.equal(res.status, 201, `PUT ${t}: ${await res.text()}`);
        }),
      );
    }
    const repoURL = `${registry.host}/team/many`;
    for (const strategy of ['SemVer', 'Lexical', 'NewestBuild'] as const) {
      await store.redis.flushdb();
      const cache = redisDiscoveryCache(store);
      const wh = warehouse('many', { repoURL, imageSelectionStrategy: strategy, cacheByTag: true });
      const client = new RegistryClient();
      const r1 = await discoverWarehouse(wh, client, new Date(), { cache });
      assert.deepEqual(r1.errors, [], strategy);
      assert.equal(r1.status.discoveredArtifacts?.images[0]?.references.length, 20, strategy);
      registry.resetRequests();
      const r2 = await discoverWarehouse(wh, client, new Date(), { cache });
      assert.equal(registry.requests, 1, `${strategy}: second discovery`);
      assert.deepEqual(r2.images, r1.images, strategy);
      if (strategy === 'SemVer') assert.equal(r1.images?.[0]?.tag, '1.0.1049');
    }
  });

  it('the Redis token bucket paces requests to one host, across clients', async () => {
    await store.redis.del('ferry:poll:bucket:127.0.0.1:1');
    const limiter = redisRateLimiter(store, { '127.0.0.1:1': 10 });
    const started = Date.now();
    // A burst of 10, then 5 more at 10 per second: about 500 ms.
    await Promise.all(Array.from({ length: 15 }, () => limiter.acquire('127.0.0.1:1')));
    // A lower bound only: pacing can make it slower, never faster (no upper bound on a busy machine).
    const ms = Date.now() - started;
    assert.ok(ms >= 400, `took ${ms} ms`);
  });

  it("a 429-ing registry does not delay another registry's Warehouse", async () => {
    const proxy = await startThrottlingProxy(registry.url, 2);
    try {
      const client = new RegistryClient();
      const finished: Record<string, number> = {};
      const started = Date.now();
      const [slow, fast] = await Promise.all(
        [
          warehouse('slow', { repoURL: `${proxy.host}/team/app` }),
          warehouse('fast', { repoURL: `${registry.host}/team/app` }),
        ].map(async (wh) => {
          const r = await discoverWarehouse(wh, client, new Date());
          finished[wh.metadata.name] = Date.now() - started;
          return r;
        }),
      );
      assert.equal(proxy.throttled, 2);
      assert.deepEqual(client.throttling, { retries: 2, waitMs: 2000 });
      assert.equal(slow?.images?.[0]?.tag, 'v1.1.0');
      assert.equal(fast?.images?.[0]?.tag, 'v1.1.0');
      // Order, not a time budget: the other registry's Warehouse finishes while this one still waits
      // out its two Retry-After seconds, which it must honour in full.
      assert.ok(finished.fast! < finished.slow!, `fast ${finished.fast} ms, slow ${finished.slow} ms`);
      assert.ok(finished.slow! >= 2000, `slow took ${finished.slow} ms`);
    } finally {
      await proxy.close();
    }
  });
});
