import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Warehouse } from '@ferry/contracts';
import { freightId } from '@ferry/kargo';
import { RegistryClient } from '@ferry/registry';
import { Keys, Store } from '@ferry/store';
import { pushHelmChart, startRegistry, type TestRegistry } from '@ferry/support';
import { discoverWarehouse } from './discover.ts';
import { helmDiscoverer, type IndexFetchEvent } from './helm.ts';
import { redisHelmMemo } from './redis-ports.ts';

/** One request the chart repository answered. */
interface Served {
  path: string;
  status: number;
  /** The ETag answered, if any. */
  etag?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

/**
 * A classic Helm repository: `/charts/index.yaml` from `index`, with an ETag over its bytes (or only a
 * Last-Modified when `etags` is off), answering conditional GETs with 304 as real servers do.
 */
async function startChartRepo() {
  const state = {
    index: '',
    modified: new Date('2026-01-01T00:00:00Z'),
    etags: true,
    /** `user:password` the repository demands; none when undefined. */
    basic: undefined as string | undefined,
    served: [] as Served[],
  };
  const server: Server = createServer((req, res) => {
    const answer = (status: number, headers: Record<string, string> = {}, body?: string) => {
      state.served.push({
        path: req.url ?? '',
        status,
        ...(headers.etag ? { etag: headers.etag } : {}),
        ...(req.headers['if-none-match'] ? { ifNoneMatch: String(req.headers['if-none-match']) } : {}),
        ...(req.headers['if-modified-since']
          ? { ifModifiedSince: String(req.headers['if-modified-since']) }
          : {}),
      });
      res.writeHead(status, headers);
      res.end(body);
    };
    if (state.basic && req.headers.authorization !== `Basic ${Buffer.from(state.basic).toString('base64')}`) {
      return answer(401, { 'www-authenticate': 'Basic realm="charts"' });
    }
    if (req.url !== '/charts/index.yaml') return answer(404);
    const etag = `"${createHash('sha256').update(state.index).digest('hex').slice(0, 16)}"`;
    const lastModified = state.modified.toUTCString();
    const validators: Record<string, string> = state.etags
      ? { etag, 'last-modified': lastModified }
      : { 'last-modified': lastModified };
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    // RFC 9110: If-None-Match wins; If-Modified-Since counts only without it.
    const unchanged =
      inm !== undefined
        ? state.etags && inm === etag
        : ims !== undefined && Date.parse(ims) >= state.modified.getTime();
    if (unchanged) return answer(304, validators);
    answer(200, { 'content-type': 'application/x-yaml', ...validators }, state.index);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    state,
    /** Serves a new index, a second later than the last one (as a real server's Last-Modified moves). */
    publish(charts: Record<string, string[]>) {
      state.index = indexOf(charts);
      state.modified = new Date(state.modified.getTime() + 1000);
    },
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/charts`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const indexOf = (charts: Record<string, string[]>) =>
  `apiVersion: v1\nentries:\n${Object.entries(charts)
    .map(
      ([name, versions]) =>
        `  ${name}:\n${versions.map((v) => `  - name: ${name}\n    version: ${v}\n    urls: [${name}-${v}.tgz]\n`).join('')}`,
    )
    .join('')}generated: "2026-01-01T00:00:00Z"\n`;

const warehouse = (subscriptions: Warehouse['spec']['subscriptions']): Warehouse => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'charts', namespace: 'demo' },
  spec: { interval: '5m0s', freightCreationPolicy: 'Automatic', subscriptions },
});

describe('Helm chart discovery against a chart repository and docker-registry (Redis DB 12)', () => {
  let repo: Awaited<ReturnType<typeof startChartRepo>>;
  let registry: TestRegistry;
  let store: Store;
  before(async () => {
    repo = await startChartRepo();
    registry = await startRegistry();
    store = Store.connect('redis://127.0.0.1:6379/12', 'poller-helm-int-test');
    await store.redis.flushdb();
  });
  after(async () => {
    await store.redis.flushdb();
    await store.close();
    await registry.close();
    await repo.close();
  });

  it('downloads and parses an index once per change: 304s reuse the versions kept in Redis', async () => {
    repo.publish({ app: ['1.0.0', '1.1.0', 'nightly'], db: ['0.1.0'] });
    repo.state.served = [];
    const events: IndexFetchEvent[] = [];
    // A fresh discoverer each time: what it reuses must come from Redis, as for another replica.
    const discover = () =>
      helmDiscoverer({
        registry: new RegistryClient(),
        memo: redisHelmMemo(store),
        onIndex: (e) => events.push(e),
      });
    const sub = { repoURL: repo.url, name: 'app', semverConstraint: '^1', discoveryLimit: 20 };
    assert.deepEqual(await discover()(sub), ['1.1.0', '1.0.0']);
    assert.deepEqual(await discover()(sub), ['1.1.0', '1.0.0']);
    assert.deepEqual(await discover()({ ...sub, name: 'db', semverConstraint: undefined }), ['0.1.0']);
    const memo = JSON.parse(
      (await store.redis.get(Keys.pollHelmIndex(hashOf(`${repo.url}/index.yaml`)))) ?? '{}',
    );
    assert.equal(memo.etag, repo.state.served[0]?.etag, 'Redis keeps the ETag the repository sent');
    assert.deepEqual(memo.charts, { app: ['1.0.0', '1.1.0', 'nightly'], db: ['0.1.0'] });
    repo.publish({ app: ['1.0.0', '1.1.0', '1.2.0'], db: ['0.1.0'] });
    assert.deepEqual(await discover()(sub), ['1.2.0', '1.1.0', '1.0.0'], 'a changed index is read again');
    assert.deepEqual(await discover()(sub), ['1.2.0', '1.1.0', '1.0.0']);
    assert.deepEqual(
      repo.state.served.map((s) => [s.status, s.ifNoneMatch !== undefined]),
      [
        [200, false],
        [304, true],
        [304, true],
        [200, true],
        [304, true],
      ],
    );
    assert.deepEqual(
      events.map((e) => e.parsed),
      [true, false, false, true, false],
      'the index is parsed only when it changed',
    );
  });

  it('falls back to If-Modified-Since when the repository gives no ETag', async () => {
    await store.redis.flushdb();
    repo.state.etags = false;
    repo.publish({ app: ['2.0.0'] });
    repo.state.served = [];
    try {
      const discover = helmDiscoverer({ registry: new RegistryClient(), memo: redisHelmMemo(store) });
      const sub = { repoURL: `${repo.url}/`, name: 'app', discoveryLimit: 20 };
      assert.deepEqual(await discover(sub), ['2.0.0']);
      assert.deepEqual(await discover(sub), ['2.0.0']);
      assert.deepEqual(
        repo.state.served.map((s) => [s.status, s.ifModifiedSince]),
        [
          [200, undefined],
          [304, repo.state.modified.toUTCString()],
        ],
      );
    } finally {
      repo.state.etags = true;
    }
  });

  it('sends basic auth from the credentials hook, and says when credentials are missing', async () => {
    repo.state.basic = 'reader:s3cret';
    repo.publish({ app: ['3.0.0'] });
    try {
      const sub = { repoURL: repo.url, name: 'app', discoveryLimit: 20 };
      const anonymous = helmDiscoverer({ registry: new RegistryClient() });
      await assert.rejects(anonymous(sub), {
        message: `GET ${repo.url}/index.yaml answered HTTP 401: the repository needs credentials and none were found for it`,
      });
      const asked: string[] = [];
      const withCreds = helmDiscoverer({
        registry: new RegistryClient(),
        credentials: async (url) => {
          asked.push(url);
          return { username: 'reader', password: 's3cret' };
        },
      });
      assert.deepEqual(await withCreds(sub), ['3.0.0']);
      assert.deepEqual(asked, [repo.url]);
    } finally {
      repo.state.basic = undefined;
    }
  });

  it('discovers an OCI chart pushed to the registry, and a Warehouse of charts only makes Freight', async () => {
    for (const v of ['0.1.0', '0.2.0', '1.0.0+build.1'])
      await pushHelmChart(registry, 'charts/app', 'app', v);
    repo.publish({ web: ['5.0.0', '5.1.0-rc.1'] });
    const charts = helmDiscoverer({ registry: new RegistryClient(), memo: redisHelmMemo(store) });
    const oci = `oci://${registry.host}/charts/app`;
    assert.deepEqual(await charts({ repoURL: oci, discoveryLimit: 20 }), ['1.0.0+build.1', '0.2.0', '0.1.0']);
    const wh = warehouse([
      { chart: { repoURL: oci, semverConstraint: '<1', discoveryLimit: 20 } },
      { chart: { repoURL: repo.url, name: 'web', discoveryLimit: 20 } },
    ]);
    const r = await discoverWarehouse(wh, new RegistryClient(), new Date(), { charts });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.charts, [
      { repoURL: oci, name: '', version: '0.2.0' },
      // Without a constraint every version counts, prereleases too (Kargo's nil constraint).
      { repoURL: repo.url, name: 'web', version: '5.1.0-rc.1' },
    ]);
    assert.equal(
      r.status.lastFreightID,
      freightId({ origin: { kind: 'Warehouse', name: 'charts' }, charts: r.charts ?? [] }),
    );
    const none = await discoverWarehouse(
      warehouse([{ chart: { repoURL: oci, semverConstraint: '^9', discoveryLimit: 20 } }]),
      new RegistryClient(),
      new Date(),
      { charts },
    );
    assert.deepEqual(none.errors, [
      `subscription 0 (${oci}): no version of chart ${oci} satisfies constraint "^9"; publish a matching version or change the constraint`,
    ]);
  });
});

const hashOf = (s: string) => createHash('sha256').update(s).digest('hex');
