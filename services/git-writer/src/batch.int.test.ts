/**
 * Batched writes against real git (bare repositories, file:// URLs) and the real Redis store:
 * one push for many writes, one commit and one record per write, exactly once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GitWritten, WriteGit } from '@ferry/contracts';
import { Store } from '@ferry/store';
import { CloneCache } from './clone-cache.ts';
import { leaseName, performWriteBatch, WriteBatcher, type WriterDeps } from './core.ts';
import { redisBranchQueue } from './service.ts';
import { type FixtureRepo, forgetLeases, git, makeRepo, testLogger, unique } from './testing/git-fixture.ts';

const log = testLogger();
let store: Store;
let repo: FixtureRepo;
let cache: CloneCache;
const published: GitWritten[] = [];
const overlays = ['s01', 's02', 's03', 's04'];
const overlay = (tag: string) => `images:\n- name: app # the app\n  newTag: ${tag}\n`;

const deps = (over: Partial<WriterDeps> = {}): WriterDeps => ({
  git: cache,
  store,
  publish: async (fact) => {
    published.push(fact);
  },
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
  log,
  author: { name: 'Ferry Bot', email: 'ferry@example.com' },
  ...over,
});

const command = (stage: string, tag: string, over: Partial<WriteGit> = {}): WriteGit => ({
  project: 'demo',
  writeId: unique('w'),
  stage,
  promotion: `${stage}.01`,
  repoURL: repo.url,
  targetBranch: 'main',
  edits: [{ kind: 'kustomize-set-image', path: `stages/${stage}`, images: [{ name: 'app', newTag: tag }] }],
  message: `promote app ${tag} to ${stage}`,
  maxAttempts: 3,
  ...over,
});

/** How many times the bare repository's main moved (each push is one reflog entry). */
const pushesTo = async (branch: string) =>
  (await git(repo.bare, 'reflog', 'show', '--format=%H', branch).catch(() => '')).split('\n').filter(Boolean)
    .length;

before(async () => {
  store = Store.connect('redis://127.0.0.1:6379/3', 'git-writer-batch-test');
  const files: Record<string, string> = {};
  for (const s of overlays) files[`stages/${s}/kustomization.yaml`] = overlay('1.0.0');
  repo = await makeRepo(files);
  await git(repo.bare, 'config', 'core.logAllRefUpdates', 'always');
  cache = await CloneCache.open({ dir: join(repo.root, 'cache'), log });
});

after(async () => {
  try {
    await forgetLeases(store, `file://${repo.root}/`);
  } finally {
    await store.close();
    await repo.cleanup();
  }
});

describe('performWriteBatch (real git, real Redis)', () => {
  test('four writes: one push, one commit each with its own trailer, one record and fact each', async () => {
    const n = (await repo.log('main')).length;
    const pushes = await pushesTo('main');
    const cmds = overlays.map((s) => command(s, '2.0.0'));
    const facts = await performWriteBatch(cmds, deps());
    assert.deepEqual(
      facts.map((f) => [f.writeId, f.outcome]),
      cmds.map((c) => [c.writeId, 'Committed']),
    );
    assert.equal((await repo.log('main')).length, n + 4);
    assert.equal(await pushesTo('main'), pushes + 1);
    assert.equal(facts.at(-1)?.commit, await repo.head('main'));
    for (const [i, s] of overlays.entries()) {
      assert.equal(await repo.show('main', `stages/${s}/kustomization.yaml`), overlay('2.0.0'));
      assert.equal(
        await repo.message(facts[i]?.commit ?? ''),
        `promote app 2.0.0 to ${s}\n\nFerry-Write-Id: ${cmds[i]?.writeId}\n\n`,
      );
      assert.equal((await store.getGitWrite(cmds[i]?.writeId ?? ''))?.outcome, 'Committed');
    }
    // Delivered again: every write is found by its record; no commit, no push.
    const again = await performWriteBatch(cmds, deps());
    assert.deepEqual(again, facts);
    assert.equal((await repo.log('main')).length, n + 4);
  });

  test('a landed write without a record is found by its trailer; the rest commit; one push', async () => {
    const [a, b] = [command('s01', '3.0.0'), command('s02', '3.0.0')];
    const [fa] = await performWriteBatch([a], deps());
    await store.redis.del(`ferry:git:write:${a.writeId}`);
    const n = (await repo.log('main')).length;
    const facts = await performWriteBatch([a, b], deps());
    assert.deepEqual(
      facts.map((f) => [f.outcome, f.commit === fa?.commit]),
      [
        ['Committed', true],
        ['Committed', false],
      ],
    );
    assert.equal((await repo.log('main')).length, n + 1);
  });

  test('conflicting writes to one key both commit in order; the last wins; a write that changes nothing is NoChange', async () => {
    const cmds = [command('s03', '4.0.0'), command('s03', '4.0.1'), command('s03', '4.0.1')];
    const n = (await repo.log('main')).length;
    const facts = await performWriteBatch(cmds, deps());
    assert.deepEqual(
      facts.map((f) => f.outcome),
      ['Committed', 'Committed', 'NoChange'],
    );
    assert.equal((await repo.log('main')).length, n + 2);
    assert.equal(await repo.show('main', 'stages/s03/kustomization.yaml'), overlay('4.0.1'));
  });

  test('a write whose edits fail ends Failed alone; its neighbours land without its edits', async () => {
    const bad = command('nope', '5.0.0');
    const cmds = [command('s01', '5.0.0'), bad, command('s02', '5.0.0')];
    const facts = await performWriteBatch(cmds, deps());
    assert.deepEqual(
      facts.map((f) => f.outcome),
      ['Committed', 'Failed', 'Committed'],
    );
    assert.equal(
      facts[1]?.message,
      `cannot edit branch "main" of ${repo.url}: no kustomization file in "stages/nope" (looked for kustomization.yaml, kustomization.yml, Kustomization); check the step's path or add the file`,
    );
    assert.equal(await repo.show('main', 'stages/s02/kustomization.yaml'), overlay('5.0.0'));
  });

  test('a push race with another writer: the batch redoes its commits on the new head, one push more', async () => {
    const cmds = [command('s01', '6.0.0'), command('s02', '6.0.0')];
    let synced = 0;
    const racing: WriterDeps['git'] = {
      sync: async (url, branches) => {
        const state = await cache.sync(url, branches);
        if (synced++ === 0) await repo.pushFromElsewhere('main', { 'other.txt': 'x\n' }, 'someone else');
        return state;
      },
      findCommitWithTrailer: (...a) => cache.findCommitWithTrailer(...a),
      checkoutEmpty: (url, label) => cache.checkoutEmpty(url, label),
      resolveRevision: (url, rev) => cache.resolveRevision(url, rev),
      remoteTag: (url, tag) => cache.remoteTag(url, tag),
      pushTag: (url, tag, commit) => cache.pushTag(url, tag, commit),
      checkout: (...a) => cache.checkout(...a),
    };
    const facts = await performWriteBatch(cmds, deps({ git: racing }));
    assert.deepEqual(
      facts.map((f) => f.outcome),
      ['Committed', 'Committed'],
    );
    const log3 = await repo.log('main');
    assert.deepEqual(
      log3.slice(0, 3).map((l) => l.split(' ').slice(1).join(' ')),
      ['promote app 6.0.0 to s02', 'promote app 6.0.0 to s01', 'someone else'],
    );
    assert.equal((await store.getGitWrite(cmds[0]?.writeId ?? ''))?.attempts, 2);
  });
});

describe('WriteBatcher', () => {
  test('writes arriving while a branch is written go out together in the next push', async () => {
    const batcher = new WriteBatcher(() => deps());
    const pushes = await pushesTo('main');
    const n = (await repo.log('main')).length;
    const facts = await Promise.all(overlays.map((s) => batcher.submit(command(s, '7.0.0'))));
    assert.deepEqual(
      facts.map((f) => f.outcome),
      ['Committed', 'Committed', 'Committed', 'Committed'],
    );
    // The first write goes alone (nothing was queued yet); the other three wait and share a push.
    assert.deepEqual(batcher.batchSizes, [1, 3]);
    assert.equal(await pushesTo('main'), pushes + 2);
    assert.equal((await repo.log('main')).length, n + 4);
  });
});

describe('batching across replicas (a Redis list per branch)', () => {
  test("a write waiting in another replica is taken into the lease holder's batch: one push, both recorded", async () => {
    const queue = redisBranchQueue(store);
    const key = `ferry:git:queue:${leaseName(repo.url, 'main')}`;
    await store.redis.del(key);
    const [a, b] = [command('s01', '8.0.0'), command('s02', '8.0.0')];
    let acquired!: () => void;
    const holding = new Promise<void>((r) => {
      acquired = r;
    });
    // Replica 1 holds the lease until replica 2 has offered its write.
    const gated: WriterDeps['store'] = {
      getGitWrite: (id) => store.getGitWrite(id),
      putGitWrite: (id, r) => store.putGitWrite(id, r),
      renewLease: (l, ttl) => store.renewLease(l, ttl),
      releaseLease: (l) => store.releaseLease(l),
      currentFence: (n) => store.currentFence(n),
      acquireLease: async (n, ttl) => {
        const lease = await store.acquireLease(n, ttl);
        if (lease) {
          acquired();
          while ((await store.redis.llen(key)) < 1) await sleep(20);
        }
        return lease;
      },
    };
    const pushes = await pushesTo('main');
    const n = (await repo.log('main')).length;
    const one = performWriteBatch([a], deps({ store: gated, queue }));
    await holding;
    const two = performWriteBatch([b], deps({ queue, leaseWaitMs: 20_000 }));
    const [[fa], [fb]] = await Promise.all([one, two]);
    assert.deepEqual([fa?.outcome, fb?.outcome], ['Committed', 'Committed']);
    assert.equal(await pushesTo('main'), pushes + 1);
    assert.equal((await repo.log('main')).length, n + 2);
    assert.equal(fb?.commit, await repo.head('main'));
    assert.equal((await store.getGitWrite(b.writeId))?.commit, fb?.commit);
    assert.equal(await store.redis.llen(key), 0);
    // Replica 1 answered B as well (same message id as replica 2's answer).
    assert.equal(published.filter((f) => f.writeId === b.writeId).length, 2);
  });
});
