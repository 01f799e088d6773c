import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageSubscription, Warehouse } from '@ferry/contracts';
import type { DiscoveryCache, PlatformSpec, RegistryPort, TagMeta } from './discover.ts';
import { discoverWarehouse, nextHealth } from './discover.ts';

const D = (c: string) => `sha256:${c.repeat(64)}`;

/** A hand-written registry fake: tags and digests per repository, and a call log. */
class FakeRegistry implements RegistryPort {
  calls: string[] = [];
  readonly repos: Record<string, Record<string, string>>;
  constructor(repos: Record<string, Record<string, string>>) {
    this.repos = repos;
  }
  async listTags(repoURL: string) {
    this.calls.push(`list ${repoURL}`);
    const r = this.repos[repoURL];
    if (!r) throw new Error(`repository "${repoURL}" not found`);
    return Object.keys(r);
  }
  async resolveTag(repoURL: string, tag: string) {
    this.calls.push(`resolve ${repoURL}:${tag}`);
    return { digest: this.repos[repoURL]![tag]! };
  }
  /** Creation time per digest; a digest listed in `platformless` has no image for any asked platform. */
  created: Record<string, string> = {};
  platformless = new Set<string>();
  async getImageInfo(repoURL: string, reference: string, platform?: PlatformSpec) {
    this.calls.push(
      `info ${repoURL}@${reference.slice(7, 8)}${platform ? ` ${platform.os}/${platform.architecture}` : ''}`,
    );
    if (platform && this.platformless.has(reference)) {
      throw Object.assign(new Error('no such platform'), { code: 'FERRY_ERR_REGISTRY_NOT_FOUND' });
    }
    const created = this.created[reference];
    return { digest: reference, ...(created ? { created } : {}) };
  }
}

/** A hand-written cache fake over Maps, like the Redis one. */
class MapCache implements DiscoveryCache {
  readonly tags = new Map<string, Map<string, TagMeta>>();
  readonly images = new Map<string, Map<string, { createdAt?: string }>>();
  readonly hashes = new Map<string, string>();
  async getTags(scope: string, tags: readonly string[]) {
    const m = this.tags.get(scope) ?? new Map();
    return new Map(tags.filter((t) => m.has(t)).map((t) => [t, m.get(t)!] as const));
  }
  async putTags(scope: string, entries: ReadonlyMap<string, TagMeta>) {
    const m = this.tags.get(scope) ?? new Map();
    for (const [k, v] of entries) m.set(k, v);
    this.tags.set(scope, m);
  }
  async getImages(scope: string, digests: readonly string[]) {
    const m = this.images.get(scope) ?? new Map();
    return new Map(digests.filter((d) => m.has(d)).map((d) => [d, m.get(d)!] as const));
  }
  async putImages(scope: string, entries: ReadonlyMap<string, { createdAt?: string }>) {
    const m = this.images.get(scope) ?? new Map();
    for (const [k, v] of entries) m.set(k, v);
    this.images.set(scope, m);
  }
  async swapTagListHash(repoURL: string, hash: string) {
    const prev = this.hashes.get(repoURL);
    this.hashes.set(repoURL, hash);
    return prev;
  }
}

const warehouse = (subs: Array<{ repoURL: string; constraint?: string }>): Warehouse => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'app', namespace: 'demo' },
  spec: {
    interval: '5m0s',
    freightCreationPolicy: 'Automatic',
    subscriptions: subs.map((s) => ({
      image: {
        repoURL: s.repoURL,
        imageSelectionStrategy: 'SemVer',
        ...(s.constraint ? { constraint: s.constraint } : {}),
        strictSemvers: true,
        allowTagsRegexes: [],
        ignoreTagsRegexes: [],
        discoveryLimit: 20,
      },
    })),
  },
});
const now = new Date('2026-11-26T10:00:00Z');

test('picks the best tag of every subscription and resolves only its digest', async () => {
  const reg = new FakeRegistry({
    'r/a': { '1.0.0': D('a'), '1.2.0': D('b'), '2.0.0': D('c'), latest: D('d') },
    'r/b': { 'v3.1.0': D('e') },
  });
  const res = await discoverWarehouse(
    warehouse([{ repoURL: 'r/a', constraint: '^1.0.0' }, { repoURL: 'r/b' }]),
    reg,
    now,
  );
  assert.deepEqual(res.images, [
    { repoURL: 'r/a', tag: '1.2.0', digest: D('b') },
    { repoURL: 'r/b', tag: 'v3.1.0', digest: D('e') },
  ]);
  assert.deepEqual(res.errors, []);
  assert.deepEqual(res.status.discoveredArtifacts?.images[0]?.references, [
    { tag: '1.2.0', digest: D('b') },
    { tag: '1.0.0' },
  ]);
  assert.match(res.status.lastFreightID ?? '', /^[a-f0-9]{40}$/);
  assert.deepEqual(reg.calls.filter((c) => c.startsWith('resolve')).sort(), [
    'resolve r/a:1.2.0',
    'resolve r/b:v3.1.0',
  ]);
});

test('no Freight when a subscription finds nothing; the others are still reported', async () => {
  const reg = new FakeRegistry({ 'r/a': { '1.0.0': D('a') }, 'r/b': { latest: D('e') } });
  const res = await discoverWarehouse(
    warehouse([{ repoURL: 'r/a' }, { repoURL: 'r/b' }, { repoURL: 'r/missing' }]),
    reg,
    now,
  );
  assert.equal(res.images, undefined);
  assert.equal(res.status.lastFreightID, undefined);
  assert.deepEqual(res.errors, [
    'subscription 1 (r/b): no tag among 1 matches; push a matching tag or change the constraint',
    'subscription 2 (r/missing): repository "r/missing" not found',
  ]);
  assert.deepEqual(res.status.discoveredArtifacts?.images[0]?.references, [{ tag: '1.0.0', digest: D('a') }]);
});

const wh1 = (over: Partial<ImageSubscription>): Warehouse => {
  const w = warehouse([{ repoURL: 'r/a' }]);
  w.spec.subscriptions[0] = { image: { ...w.spec.subscriptions[0]!.image!, ...over } };
  return w;
};

test('registry calls of a first and a second discovery, per strategy and cacheByTag', async () => {
  const T = (h: number) => `2026-01-01T0${h}:00:00Z`;
  // [case, subscription, first discovery's calls (sorted), second discovery's calls (sorted), best tag]
  const cases: Array<[string, Partial<ImageSubscription>, string[], string[], string]> = [
    ['SemVer, cacheByTag', { cacheByTag: true }, ['list r/a', 'resolve r/a:2.0.0'], ['list r/a'], '2.0.0'],
    [
      'SemVer, tags may move: the best one is resolved again',
      {},
      ['list r/a', 'resolve r/a:2.0.0'],
      ['list r/a', 'resolve r/a:2.0.0'],
      '2.0.0',
    ],
    [
      'Lexical, cacheByTag',
      { imageSelectionStrategy: 'Lexical', cacheByTag: true },
      ['list r/a', 'resolve r/a:old'],
      ['list r/a'],
      'old',
    ],
    [
      'Digest, cacheByTag',
      { imageSelectionStrategy: 'Digest', constraint: 'latest', cacheByTag: true },
      ['list r/a', 'resolve r/a:latest'],
      ['list r/a'],
      'latest',
    ],
    [
      'NewestBuild, cacheByTag: metadata once per digest',
      { imageSelectionStrategy: 'NewestBuild', cacheByTag: true },
      [
        'info r/a@a',
        'info r/a@b',
        'info r/a@c',
        'list r/a',
        'resolve r/a:1.0.0',
        'resolve r/a:2.0.0',
        'resolve r/a:latest',
        'resolve r/a:old',
      ],
      ['list r/a'],
      '2.0.0',
    ],
    [
      'NewestBuild, tags may move: resolved again, metadata not read again',
      { imageSelectionStrategy: 'NewestBuild' },
      [
        'info r/a@a',
        'info r/a@b',
        'info r/a@c',
        'list r/a',
        'resolve r/a:1.0.0',
        'resolve r/a:2.0.0',
        'resolve r/a:latest',
        'resolve r/a:old',
      ],
      ['list r/a', 'resolve r/a:1.0.0', 'resolve r/a:2.0.0', 'resolve r/a:latest', 'resolve r/a:old'],
      '2.0.0',
    ],
  ];
  for (const [name, over, first, second, bestTag] of cases) {
    const reg = new FakeRegistry({
      'r/a': { '1.0.0': D('a'), '2.0.0': D('b'), latest: D('c'), old: D('a') },
    });
    reg.created = { [D('a')]: T(1), [D('b')]: T(3), [D('c')]: T(2) };
    const cache = new MapCache();
    const r1 = await discoverWarehouse(wh1(over), reg, now, { cache });
    assert.deepEqual(reg.calls.sort(), first, `${name}: first`);
    assert.equal(r1.images?.[0]?.tag, bestTag, name);
    assert.deepEqual(r1.changedRepos, ['r/a'], name);
    reg.calls = [];
    const r2 = await discoverWarehouse(wh1(over), reg, now, { cache });
    assert.deepEqual(reg.calls.sort(), second, `${name}: second`);
    assert.deepEqual(r2.images, r1.images, name);
    assert.deepEqual(r2.changedRepos, [], name);
  }
});

test('NewestBuild ranks by creation time and records it on the candidates', async () => {
  const reg = new FakeRegistry({ 'r/a': { x: D('a'), y: D('b'), z: D('c') } });
  reg.created = { [D('a')]: '2026-01-03T00:00:00Z', [D('b')]: '2026-01-01T00:00:00Z' };
  const res = await discoverWarehouse(wh1({ imageSelectionStrategy: 'NewestBuild' }), reg, now);
  assert.deepEqual(res.status.discoveredArtifacts?.images[0]?.references, [
    { tag: 'x', digest: D('a'), createdAt: '2026-01-03T00:00:00Z' },
    { tag: 'y', createdAt: '2026-01-01T00:00:00Z' },
    { tag: 'z' },
  ]);
});

test('platform: candidates without the platform are skipped; the Freight pins the tag digest', async () => {
  const reg = new FakeRegistry({ 'r/a': { '1.0.0': D('a'), '2.0.0': D('b') } });
  reg.platformless.add(D('b'));
  const res = await discoverWarehouse(wh1({ platform: 'linux/arm64' }), reg, now);
  assert.deepEqual(res.images, [{ repoURL: 'r/a', tag: '1.0.0', digest: D('a') }]);
  assert.deepEqual(reg.calls.sort(), [
    'info r/a@a linux/arm64',
    'info r/a@b linux/arm64',
    'list r/a',
    'resolve r/a:1.0.0',
    'resolve r/a:2.0.0',
  ]);
  reg.platformless.add(D('a'));
  const none = await discoverWarehouse(wh1({ platform: 'linux/arm64' }), reg, now);
  assert.deepEqual(none.errors, [
    'subscription 0 (r/a): no tag among 2 matches for platform linux/arm64; push a matching tag or change the constraint',
  ]);
});

test('health turns Unhealthy naming the subscription, keeps its since, and recovers', async () => {
  const t1 = new Date('2026-11-26T10:00:00Z');
  const t2 = new Date('2026-11-26T10:05:00Z');
  const t3 = new Date('2026-11-26T10:10:00Z');
  const reg = new FakeRegistry({ 'r/a': { '1.0.0': D('a') } });
  const ok = await discoverWarehouse(wh1({}), reg, t1);
  assert.deepEqual(ok.status.health, { status: 'Healthy', since: t1.toISOString() });
  const broken = wh1({ repoURL: 'r/gone' });
  const bad1 = await discoverWarehouse(broken, reg, t2, { previous: ok.status });
  const reason = 'subscription 0 (r/gone): repository "r/gone" not found';
  assert.deepEqual(bad1.status.health, { status: 'Unhealthy', reason, since: t2.toISOString() });
  const bad2 = await discoverWarehouse(broken, reg, t3, { previous: bad1.status });
  assert.deepEqual(bad2.status.health, { status: 'Unhealthy', reason, since: t2.toISOString() });
  const back = await discoverWarehouse(wh1({}), reg, t3, { previous: bad2.status });
  assert.deepEqual(back.status.health, { status: 'Healthy', since: t3.toISOString() });
  assert.deepEqual(nextHealth(undefined, [], t1), { status: 'Healthy', since: t1.toISOString() });
});

test('NewestBuild reads the build time of a tag another subscription cached without it, but not its digest', async () => {
  const reg = new FakeRegistry({ 'r/a': { '1.0.0': D('a') } });
  reg.created = { [D('a')]: '2026-01-01T00:00:00Z' };
  const cache = new MapCache();
  await discoverWarehouse(wh1({ cacheByTag: true }), reg, now, { cache });
  reg.calls = [];
  const res = await discoverWarehouse(
    wh1({ cacheByTag: true, imageSelectionStrategy: 'NewestBuild' }),
    reg,
    now,
    { cache },
  );
  assert.deepEqual(reg.calls.sort(), ['info r/a@a', 'list r/a']);
  assert.deepEqual(res.status.discoveredArtifacts?.images[0]?.references, [
    { tag: '1.0.0', digest: D('a'), createdAt: '2026-01-01T00:00:00Z' },
  ]);
});
