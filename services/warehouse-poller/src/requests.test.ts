import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Warehouse } from '@ferry/contracts';
import type { DiscoveryCache, PlatformSpec, RegistryPort, TagMeta } from './discover.ts';
import type { GitDiscoverer } from './git.ts';
import { answerResolveImages, answerTestSubscriptions, readOnlyGitMemo } from './requests.ts';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const NOW = new Date('2026-03-01T00:00:00Z');

/** A registry fake: tags → digests per repository; `platformless` digests have no image for any platform. */
class FakeRegistry implements RegistryPort {
  readonly repos: Record<string, Record<string, string>>;
  platformless = new Set<string>();
  constructor(repos: Record<string, Record<string, string>>) {
    this.repos = repos;
  }
  async listTags(repoURL: string) {
    return Object.keys(this.repos[repoURL] ?? {});
  }
  async resolveTag(repoURL: string, tag: string) {
    const digest = this.repos[repoURL]?.[tag];
    if (!digest) throw Object.assign(new Error(`manifest unknown`), { code: 'FERRY_ERR_REGISTRY_NOT_FOUND' });
    return { digest };
  }
  async getImageInfo(_repoURL: string, reference: string, platform?: PlatformSpec) {
    if (platform && this.platformless.has(reference))
      throw Object.assign(new Error('no such platform'), { code: 'FERRY_ERR_REGISTRY_NOT_FOUND' });
    return { digest: reference, created: '2026-01-01T00:00:00Z' };
  }
}

/** A cache fake that serves what it holds and counts every write. */
class CountingCache implements DiscoveryCache {
  writes = 0;
  readonly tags = new Map<string, TagMeta>();
  async getTags(_scope: string, tags: readonly string[]) {
    return new Map(tags.filter((t) => this.tags.has(t)).map((t) => [t, this.tags.get(t)!] as const));
  }
  async putTags() {
    this.writes++;
  }
  async getImages() {
    return new Map();
  }
  async putImages() {
    this.writes++;
  }
  async swapTagListHash() {
    this.writes++;
    return undefined;
  }
}

const image = (repoURL: string, extra: Record<string, unknown> = {}) => ({
  image: {
    repoURL,
    imageSelectionStrategy: 'SemVer' as const,
    strictSemvers: true,
    allowTagsRegexes: [],
    ignoreTagsRegexes: [],
    discoveryLimit: 20,
    ...extra,
  },
});
const git = (repoURL: string) => ({
  git: {
    repoURL,
    commitSelectionStrategy: 'NewestFromBranch' as const,
    strictSemvers: true,
    allowTagsRegexes: [],
    ignoreTagsRegexes: [],
    includePaths: [],
    excludePaths: [],
    discoveryLimit: 20,
  },
});
const warehouse = (subscriptions: Warehouse['spec']['subscriptions']): Warehouse => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'app', namespace: 'shop' },
  spec: { interval: '5m0s', freightCreationPolicy: 'Automatic', subscriptions },
});

describe('answerResolveImages', () => {
  const registry = new FakeRegistry({ 'r.io/app': { '1.0.0': D('1'), '1.1.0': D('2') } });
  registry.platformless.add(D('2'));

  it('resolves each tag now, in order, and says why one cannot be', async () => {
    const reply = await answerResolveImages(
      {
        project: 'shop',
        warehouse: 'app',
        images: [
          { repoURL: 'r.io/app', tag: '1.0.0', platform: 'linux/amd64' },
          { repoURL: 'r.io/app', tag: '1.1.0', platform: 'linux/amd64' },
          { repoURL: 'r.io/app', tag: '9.9.9' },
        ],
      },
      { registry },
    );
    assert.deepEqual(reply, {
      images: [
        { repoURL: 'r.io/app', tag: '1.0.0', digest: D('1') },
        { repoURL: 'r.io/app', tag: '1.1.0', error: 'r.io/app:1.1.0 has no image for platform linux/amd64' },
        { repoURL: 'r.io/app', tag: '9.9.9', error: 'cannot resolve r.io/app:9.9.9: manifest unknown' },
      ],
    });
  });

  it('answers a bad request with an error naming the field', async () => {
    assert.deepEqual(
      await answerResolveImages({ project: 'shop', warehouse: 'app', images: [] }, { registry }),
      {
        error: 'ResolveImages request: /images: Expected array length to be greater or equal to 1',
      },
    );
  });
});

describe('answerTestSubscriptions', () => {
  it('ranks candidates per subscription, reports problems per subscription, and writes no cache', async () => {
    const registry = new FakeRegistry({
      'r.io/app': { '1.0.0': D('1'), '1.2.0': D('3'), '1.1.0': D('2'), latest: D('3') },
      'r.io/old': { 'v0.1': D('4') },
    });
    const cache = new CountingCache();
    const memoWrites: string[] = [];
    const discoverGit: GitDiscoverer = async () => [
      { id: 'c'.repeat(40), branch: 'main', subject: 'newest', creatorDate: '2026-02-01T00:00:00Z' },
    ];
    const wh = warehouse([
      image('r.io/app'),
      git('https://g.io/config.git'),
      image('r.io/old', { cacheByTag: true }),
    ]);
    const reply = await answerTestSubscriptions(
      { project: 'shop', warehouse: wh },
      { registry, cache, git: discoverGit, clock: () => NOW },
    );
    assert.deepEqual(reply, {
      subscriptions: [
        {
          index: 0,
          kind: 'image',
          repoURL: 'r.io/app',
          picked: { tag: '1.2.0', digest: D('3') },
          candidates: [{ tag: '1.2.0', digest: D('3') }, { tag: '1.1.0' }, { tag: '1.0.0' }],
        },
        {
          index: 1,
          kind: 'git',
          repoURL: 'https://g.io/config.git',
          picked: {
            id: 'c'.repeat(40),
            branch: 'main',
            subject: 'newest',
            creatorDate: '2026-02-01T00:00:00Z',
          },
          candidates: [
            { id: 'c'.repeat(40), branch: 'main', subject: 'newest', creatorDate: '2026-02-01T00:00:00Z' },
          ],
        },
        {
          index: 2,
          kind: 'image',
          repoURL: 'r.io/old',
          candidates: [],
          error: 'no tag among 1 matches; push a matching tag or change the constraint',
        },
      ],
    });
    assert.equal(cache.writes, 0, 'a test wrote to the discovery cache');
    const memo = readOnlyGitMemo({
      get: async () => undefined,
      put: async (k) => void memoWrites.push(k),
    });
    await memo.put('k', { refsHash: 'h', commits: [] });
    assert.deepEqual(memoWrites, []);
  });

  it('names the Freight the picks would make when every subscription found one', async () => {
    const registry = new FakeRegistry({ 'r.io/app': { '1.0.0': D('1') } });
    const reply = await answerTestSubscriptions(
      { project: 'shop', warehouse: warehouse([image('r.io/app')]) },
      { registry, cache: new CountingCache(), clock: () => NOW },
    );
    assert.ok('subscriptions' in reply);
    assert.match(reply.freight ?? '', /^[a-f0-9]{40}$/);
  });

  it('answers a bad request with an error', async () => {
    const reply = await answerTestSubscriptions(
      { project: 'shop', warehouse: { kind: 'Stage' } },
      { registry: new FakeRegistry({}), cache: new CountingCache(), clock: () => NOW },
    );
    assert.ok('error' in reply);
    assert.equal(
      reply.error,
      "TestSubscriptions request: /warehouse/metadata: Expected required property; /warehouse/spec: Expected required property; /warehouse/kind: Expected 'Warehouse'",
    );
  });
});
