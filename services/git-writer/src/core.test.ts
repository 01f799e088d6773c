/**
 * The write procedure's decisions against hand-written fakes of git and the store: the
 * paths that are hard to provoke with real servers (a lost fence, a branch that never
 * stops moving, a transient error).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GitWritten, WriteGit } from '@ferry/contracts';
import type { GitWriteRecord, Lease } from '@ferry/store';
import { leaseName, performWrite, type WriterDeps } from './core.ts';
import { PushRejectedError } from './errors.ts';
import type { GitPort, RemoteState, WorkTree, WriteStore } from './ports.ts';
import { testLogger } from './testing/git-fixture.ts';
import { memoryFiles } from './testing/memory-files.ts';

const URL = 'https://bot:s3cr3t@git.example.com/org/gitops.git';
const KUS = 'images:\n- name: app\n  newTag: v1\n';

/** An in-memory remote: branch heads and each commit's files. */
class FakeGit implements GitPort {
  heads = new Map<string, string>([['main', 'c0']]);
  files = new Map<string, Map<string, string>>([['c0', new Map([['apps/dev/kustomization.yaml', KUS]])]]);
  messages = new Map<string, string>([['c0', 'initial']]);
  parents = new Map<string, string>();
  calls: string[] = [];
  /** Called before each push; may move the branch or throw. */
  beforePush: (branch: string) => void = () => {};
  syncError: Error | undefined;
  private next = 1;

  async sync(_url: string, branches: readonly string[]): Promise<RemoteState> {
    this.calls.push('sync');
    if (this.syncError) throw this.syncError;
    const heads = new Map([...this.heads].filter(([b]) => branches.includes(b) || b === 'main'));
    return { heads, defaultBranch: 'main' };
  }

  async findCommitWithTrailer(_url: string, head: string, trailer: string): Promise<string | undefined> {
    this.calls.push('log');
    for (let c: string | undefined = head; c; c = this.parents.get(c)) {
      if (this.messages.get(c)?.split('\n').includes(trailer)) return c;
    }
    return undefined;
  }

  async checkout(_url: string, commit: string): Promise<WorkTree> {
    this.calls.push('checkout');
    const files = new Map(this.files.get(commit));
    return {
      ...memoryFiles(files),
      diff: async () => '',
      commit: async (message) => {
        this.calls.push('commit');
        const sha = `c${this.next++}`;
        this.files.set(sha, files);
        this.messages.set(sha, message);
        this.parents.set(sha, commit);
        return sha;
      },
      push: async (sha, branch) => {
        this.calls.push('push');
        this.beforePush(branch);
        const head = this.heads.get(branch);
        if (head !== undefined && this.parents.get(sha) !== head && sha !== head) {
          throw new PushRejectedError(' ! [rejected]        main -> main (fetch first)');
        }
        this.heads.set(branch, sha);
      },
      dispose: async () => {
        this.calls.push('dispose');
      },
    };
  }

  /** Another writer commits on a branch. */
  commitElsewhere(branch: string): void {
    const head = this.heads.get(branch)!;
    const sha = `x${this.next++}`;
    this.files.set(sha, new Map(this.files.get(head)));
    this.messages.set(sha, 'by hand');
    this.parents.set(sha, head);
    this.heads.set(branch, sha);
  }
}

/** An in-memory store with leases and fences like Redis's. */
class FakeStore implements WriteStore {
  records = new Map<string, GitWriteRecord>();
  leases = new Map<string, string>();
  fences = new Map<string, number>();
  released: string[] = [];
  async getGitWrite(id: string) {
    return this.records.get(id);
  }
  async putGitWrite(id: string, r: GitWriteRecord) {
    this.records.set(id, r);
  }
  async acquireLease(name: string): Promise<Lease | undefined> {
    if (this.leases.has(name)) return undefined;
    const fence = (this.fences.get(name) ?? 0) + 1;
    this.fences.set(name, fence);
    this.leases.set(name, `t${fence}`);
    return { name, token: `t${fence}`, fence };
  }
  async renewLease(lease: Lease) {
    return this.leases.get(lease.name) === lease.token;
  }
  async releaseLease(lease: Lease) {
    if (this.leases.get(lease.name) === lease.token) this.leases.delete(lease.name);
    this.released.push(lease.name);
  }
  async currentFence(name: string) {
    return this.fences.get(name) ?? 0;
  }
}

function setup(over: Partial<WriterDeps> = {}) {
  const git = new FakeGit();
  const store = new FakeStore();
  const published: Array<{ fact: GitWritten; msgId: string }> = [];
  let clock = 1_700_000_000_000;
  const deps: WriterDeps = {
    git,
    store,
    publish: async (fact, msgId) => {
      published.push({ fact, msgId });
    },
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    log: testLogger(),
    author: { name: 'Ferry', email: 'ferry@localhost' },
    ...over,
  };
  return { git, store, published, deps };
}

const cmd = (over: Partial<WriteGit> = {}): WriteGit => ({
  project: 'demo',
  writeId: 'w1',
  stage: 'dev',
  promotion: 'p1',
  repoURL: URL,
  targetBranch: 'main',
  edits: [{ kind: 'kustomize-set-image', path: 'apps/dev', images: [{ name: 'app', newTag: 'v2' }] }],
  message: 'promote app v2',
  maxAttempts: 3,
  ...over,
});

describe('performWrite (fakes)', () => {
  test('commits with the trailer, records, publishes once with the deterministic id, releases the lease', async () => {
    const { git, store, published, deps } = setup();
    const fact = await performWrite(cmd(), deps);
    assert.deepEqual(fact, {
      project: 'demo',
      writeId: 'w1',
      repoURL: 'https://git.example.com/org/gitops.git',
      branch: 'main',
      commit: 'c1',
      outcome: 'Committed',
      message: 'updated apps/dev/kustomization.yaml to use image app:v2',
    });
    assert.equal(git.messages.get('c1'), 'promote app v2\n\nFerry-Write-Id: w1\n');
    assert.deepEqual(published, [{ fact, msgId: 'git-written:w1' }]);
    assert.deepEqual(store.records.get('w1'), {
      outcome: 'Committed',
      commit: 'c1',
      branch: 'main',
      repoURL: 'https://git.example.com/org/gitops.git',
      message: 'updated apps/dev/kustomization.yaml to use image app:v2',
      finishedAt: '2023-11-14T22:13:20.000Z',
      attempts: 1,
    });
    assert.deepEqual(store.released, ['git:https://git.example.com/org/gitops.git#main']);
    assert.deepEqual(git.calls, ['sync', 'log', 'checkout', 'commit', 'push', 'dispose']);
  });

  test('a recorded write is only published again: no lease, no git', async () => {
    const { git, store, published, deps } = setup();
    await performWrite(cmd(), deps);
    git.calls = [];
    store.released = [];
    const fact = await performWrite(cmd(), deps);
    assert.equal(fact.commit, 'c1');
    assert.deepEqual(git.calls, []);
    assert.deepEqual(store.released, []);
    assert.equal(published.length, 2);
    assert.deepEqual(published[1], published[0]);
  });

  test('a landed commit found by its trailer is recorded without a checkout', async () => {
    const { git, store, deps } = setup();
    await performWrite(cmd(), deps);
    store.records.clear();
    git.commitElsewhere('main');
    git.calls = [];
    const fact = await performWrite(cmd(), deps);
    assert.equal(fact.commit, 'c1');
    assert.equal(fact.outcome, 'Committed');
    assert.deepEqual(git.calls, ['sync', 'log']);
  });

  test('a lost fence stops the push; the error is thrown for redelivery and nothing is recorded', async () => {
    const { git, store, published, deps } = setup();
    git.beforePush = () => assert.fail('must not push');
    const name = leaseName(URL, 'main');
    const original = store.currentFence.bind(store);
    store.currentFence = async (n) => (await original(n)) + 1;
    await assert.rejects(performWrite(cmd(), deps), {
      name: 'LeaseLostError',
      message: `lost the branch lease "${name}" (fence 1, now 2) before pushing; will retry`,
    });
    assert.equal(store.records.size, 0);
    assert.equal(published.length, 0);
    assert.deepEqual(git.calls.slice(-2), ['commit', 'dispose']);
    assert.deepEqual(store.released, [name]);
  });

  test('a branch that moves before every push ends Failed after maxAttempts', async () => {
    const { git, store, deps } = setup();
    git.beforePush = (b) => git.commitElsewhere(b);
    const fact = await performWrite(cmd({ maxAttempts: 3 }), deps);
    assert.equal(fact.outcome, 'Failed');
    assert.equal(
      fact.message,
      'gave up pushing to branch "main" of https://git.example.com/org/gitops.git after 3 attempts: the branch moved before every push; promote again later',
    );
    assert.equal(store.records.get('w1')?.attempts, 3);
    assert.equal(git.calls.filter((c) => c === 'push').length, 3);
  });

  test('a rejected push redoes the edits on the new head; if they are there already, NoChange', async () => {
    const { git, deps } = setup();
    git.beforePush = (b) => {
      // Someone else made the same change in the meantime.
      const head = git.heads.get(b)!;
      const sha = 'y1';
      git.files.set(sha, new Map([['apps/dev/kustomization.yaml', KUS.replace('v1', 'v2')]]));
      git.messages.set(sha, 'same change by hand');
      git.parents.set(sha, head);
      git.heads.set(b, sha);
      git.beforePush = () => {};
    };
    const fact = await performWrite(cmd(), deps);
    assert.equal(fact.outcome, 'NoChange');
    assert.equal(fact.commit, 'y1');
  });

  test('an unusable kustomization ends Failed with a message naming branch, repository and file', async () => {
    const { git, deps } = setup();
    git.files.get('c0')!.set('apps/dev/kustomization.yaml', 'images:\n  app: v1\n');
    const fact = await performWrite(cmd(), deps);
    assert.equal(fact.outcome, 'Failed');
    assert.equal(fact.commit, 'c0');
    assert.equal(
      fact.message,
      `cannot edit branch "main" of https://git.example.com/org/gitops.git: apps/dev/kustomization.yaml: "images" is not a list; fix the file in the repository or the step's images`,
    );
  });

  test('a path with .. ends Failed before any file is read', async () => {
    const { deps } = setup();
    const fact = await performWrite(
      cmd({
        edits: [{ kind: 'kustomize-set-image', path: '../other', images: [{ name: 'app', newTag: 'v2' }] }],
      }),
      deps,
    );
    assert.equal(
      fact.message,
      'cannot edit branch "main" of https://git.example.com/org/gitops.git: path "../other" goes outside the repository (..); give a directory relative to the repository root',
    );
  });

  test('a missing source branch ends Failed', async () => {
    const { deps } = setup();
    const fact = await performWrite(cmd({ targetBranch: 'env/dev', sourceBranch: 'release' }), deps);
    assert.equal(fact.outcome, 'Failed');
    assert.equal(
      fact.message,
      `cannot create branch "env/dev" of https://git.example.com/org/gitops.git: source branch "release" does not exist; create it or fix the Stage's source branch`,
    );
  });

  test('a new branch whose edits change nothing is still created, at its source', async () => {
    const { git, deps } = setup();
    const fact = await performWrite(
      cmd({
        targetBranch: 'env/dev',
        edits: [{ kind: 'kustomize-set-image', path: 'apps/dev', images: [{ name: 'app', newTag: 'v1' }] }],
      }),
      deps,
    );
    assert.equal(fact.outcome, 'NoChange');
    assert.equal(git.heads.get('env/dev'), 'c0');
  });

  test('a transient git error is thrown (redelivery) with nothing recorded, lease released', async () => {
    const { git, store, published, deps } = setup();
    git.syncError = new Error('git fetch failed: Could not resolve host: git.example.com');
    await assert.rejects(performWrite(cmd(), deps), { message: /Could not resolve host/ });
    assert.equal(store.records.size, 0);
    assert.equal(published.length, 0);
    assert.equal(store.leases.size, 0);
  });

  test('a busy lease is waited for until the deadline, then LeaseBusyError', async () => {
    const { store, deps } = setup({ leaseWaitMs: 1_000 });
    await store.acquireLease(leaseName(URL, 'main'));
    const started = deps.now();
    await assert.rejects(performWrite(cmd(), deps), {
      name: 'LeaseBusyError',
      message:
        'branch lease "git:https://git.example.com/org/gitops.git#main" still held by another writer after 1000 ms; will retry',
    });
    assert.ok(deps.now() - started >= 1_000);
  });

  test('a write that finished while this delivery waited for the lease is not redone', async () => {
    const { git, store, deps } = setup();
    const name = leaseName(URL, 'main');
    const other = await store.acquireLease(name);
    // The other delivery records its outcome and releases while this one sleeps.
    deps.sleep = async () => {
      store.records.set('w1', {
        outcome: 'Committed',
        commit: 'c9',
        branch: 'main',
        repoURL: 'https://git.example.com/org/gitops.git',
        finishedAt: 'then',
        attempts: 1,
      });
      if (other) await store.releaseLease(other);
    };
    const fact = await performWrite(cmd(), deps);
    assert.equal(fact.commit, 'c9');
    assert.deepEqual(git.calls, []);
  });
});

describe('performWrite refuses bad names up front', () => {
  test('a branch name git cannot take ends Failed without touching git', async () => {
    const { git, deps } = setup();
    const fact = await performWrite(cmd({ targetBranch: 'env dev' }), deps);
    assert.equal(fact.outcome, 'Failed');
    assert.equal(
      fact.message,
      `cannot write branch "env dev" of https://git.example.com/org/gitops.git: branch name "env dev" contains a space, a control character or one of ~ ^ : ? * [ \\; fix the Stage's branch`,
    );
    assert.deepEqual(git.calls, []);
  });

  test('a repository URL that reads as a git option ends Failed', async () => {
    const { git, deps } = setup();
    const fact = await performWrite(cmd({ repoURL: '--upload-pack=touch /tmp/pwned' }), deps);
    assert.equal(fact.outcome, 'Failed');
    assert.match(fact.message ?? '', /the repository URL starts with "-"; fix the Stage's repoURL$/);
    assert.deepEqual(git.calls, []);
  });
});
