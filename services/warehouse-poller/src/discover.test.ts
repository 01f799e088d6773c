import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Warehouse } from '@ferry/contracts';
import type { RegistryPort } from './discover.ts';
import { discoverWarehouse } from './discover.ts';

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
