import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageSubscription, Warehouse } from '@ferry/contracts';
import {
  ageFilter,
  type DiscoveryCache,
  discoverWarehouse,
  type RegistryPort,
  type TagMeta,
} from './discover.ts';

const D = (c: string) => `sha256:${c.repeat(64)}`;

/** Tags → digests and digests → build times, with a log of the calls. */
function fakeRegistry(tags: Record<string, string>, created: Record<string, string>) {
  const calls: string[] = [];
  const port: RegistryPort = {
    listTags: async () => {
      calls.push('list');
      return Object.keys(tags);
    },
    resolveTag: async (_repo, tag) => {
      calls.push(`head ${tag}`);
      return { digest: tags[tag]! };
    },
    getImageInfo: async (_repo, digest) => {
      calls.push(`info ${digest.slice(7, 8)}`);
      return { digest, ...(created[digest] ? { created: created[digest] } : {}) };
    },
  };
  return { port, calls };
}

function mapCache(): DiscoveryCache {
  const tags = new Map<string, TagMeta>();
  const images = new Map<string, { createdAt?: string }>();
  let hash: string | undefined;
  return {
    getTags: async (_s, ts) => new Map(ts.filter((t) => tags.has(t)).map((t) => [t, tags.get(t)!])),
    putTags: async (_s, e) => {
      for (const [k, v] of e) tags.set(k, v);
    },
    getImages: async (_s, ds) => new Map(ds.filter((d) => images.has(d)).map((d) => [d, images.get(d)!])),
    putImages: async (_s, e) => {
      for (const [k, v] of e) images.set(k, v);
    },
    swapTagListHash: async (_r, h) => {
      const prev = hash;
      hash = h;
      return prev;
    },
  };
}

const wh = (image: Partial<ImageSubscription>): Warehouse => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'app', namespace: 'demo' },
  spec: {
    interval: '5m0s',
    freightCreationPolicy: 'Automatic',
    subscriptions: [
      {
        image: {
          repoURL: 'reg.example/app',
          imageSelectionStrategy: 'SemVer',
          strictSemvers: true,
          allowTagsRegexes: [],
          ignoreTagsRegexes: [],
          discoveryLimit: 20,
          ...image,
        },
      },
    ],
  },
});

// The injected clock: noon; 1.2.0 was built an hour ago, 1.1.0 two days ago, 1.0.0 has no build time.
const NOW = new Date('2026-03-10T12:00:00Z');
const TAGS = { '1.0.0': D('a'), '1.1.0': D('b'), '1.2.0': D('c') };
const CREATED = { [D('b')]: '2026-03-08T12:00:00Z', [D('c')]: '2026-03-10T11:00:00Z' };

test('ageFilter: only images built at least minimumAge before now, and only with a build time', () => {
  const table: Array<[string | undefined, TagMeta | undefined, boolean]> = [
    [undefined, { digest: D('a') }, true],
    [undefined, undefined, false],
    ['1h0m0s', { digest: D('c'), createdAt: '2026-03-10T11:00:00Z' }, true],
    ['1h0m1s', { digest: D('c'), createdAt: '2026-03-10T11:00:00Z' }, false],
    ['1h0m0s', { digest: D('a') }, false],
    ['1h0m0s', { digest: D('a'), createdAt: 'not a time' }, false],
  ];
  for (const [minimumAge, meta, want] of table) {
    assert.equal(
      ageFilter(minimumAge ? { minimumAge } : {}, NOW)(meta),
      want,
      `${minimumAge} ${JSON.stringify(meta)}`,
    );
  }
});

test('SemVer with minimumAge skips a too-young best tag and takes the next old enough one', async () => {
  const { port } = fakeRegistry(TAGS, CREATED);
  const young = await discoverWarehouse(wh({ minimumAge: '2h0m0s' }), port, NOW);
  assert.deepEqual(young.images, [{ repoURL: 'reg.example/app', tag: '1.1.0', digest: D('b') }]);
  const later = await discoverWarehouse(
    wh({ minimumAge: '2h0m0s' }),
    port,
    new Date(NOW.getTime() + 3_600_000),
  );
  assert.equal(later.images?.[0]?.tag, '1.2.0', 'an hour later the newest image is old enough');
  const none = await discoverWarehouse(wh({ minimumAge: '72h0m0s' }), port, NOW);
  assert.equal(none.images, undefined);
  assert.deepEqual(none.errors, [
    'subscription 0 (reg.example/app): no tag among 3 matches with an image built at least 72h0m0s ago; push a matching tag or change the constraint',
  ]);
});

test('NewestBuild with minimumAge ranks only old enough images', async () => {
  const { port } = fakeRegistry(TAGS, CREATED);
  const r = await discoverWarehouse(
    wh({ imageSelectionStrategy: 'NewestBuild', minimumAge: '2h0m0s' }),
    port,
    NOW,
  );
  assert.equal(r.images?.[0]?.tag, '1.1.0');
  assert.deepEqual(
    r.status.discoveredArtifacts?.images[0]?.references.map((x) => x.tag),
    ['1.1.0'],
  );
});

test('with cacheByTag, a second discovery under minimumAge costs only the tag listing', async () => {
  const { port, calls } = fakeRegistry(TAGS, CREATED);
  const cache = mapCache();
  const sub = { minimumAge: '2h0m0s', cacheByTag: true };
  await discoverWarehouse(wh(sub), port, NOW, { cache });
  assert.deepEqual(calls, ['list', 'head 1.2.0', 'info c', 'head 1.1.0', 'info b']);
  calls.length = 0;
  const again = await discoverWarehouse(wh(sub), port, NOW, { cache });
  assert.equal(again.images?.[0]?.tag, '1.1.0');
  assert.deepEqual(calls, ['list']);
  // Without cacheByTag the candidates are resolved again, but build times come from the image cache.
  calls.length = 0;
  await discoverWarehouse(wh({ minimumAge: '2h0m0s' }), port, NOW, { cache });
  assert.deepEqual(calls, ['list', 'head 1.2.0', 'head 1.1.0']);
});
