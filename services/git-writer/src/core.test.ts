/**
 * The write procedure's decisions against hand-written fakes of git and the store: the
 * paths that are hard to provoke with real servers (a lost fence, a branch that never
 * stops moving, a transient error).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GitWritten, WriteGit } from '@ferry/contracts';
import type { GitWriteRecord, Lease } from '@ferry/store';
import { leaseName, performTag, performWrite, type WriterDeps } from './core.ts';
import { PushRejectedError, RevisionNotFoundError } from './errors.ts';
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

  /** Tags of the remote: name → commit. */
  tags = new Map<string, string>();

  async resolveRevision(_url: string, rev: { commit?: string; tag?: string }): Promise<string> {
    this.calls.push('resolve');
    const sha = rev.tag !== undefined ? this.tags.get(rev.tag) : rev.commit;
    if (sha === undefined || !this.files.has(sha))
      throw new RevisionNotFoundError(`no ${rev.tag ?? rev.commit}`);
    return sha;
  }

  async remoteTag(_url: string, tag: string): Promise<string | undefined> {
    return this.tags.get(tag);
  }

  async pushTag(_url: string, tag: string, commit: string): Promise<void> {
    this.calls.push('push-tag');
    this.beforePush(`refs/tags/${tag}`);
    if (this.tags.has(tag)) throw new PushRejectedError(' ! [rejected] (already exists)');
    this.tags.set(tag, commit);
  }

  async checkoutEmpty(url: string): Promise<WorkTree> {
    this.files.set('', new Map());
    return this.checkout(url, '');
  }

  async checkout(_url: string, commit: string): Promise<WorkTree> {
    this.calls.push(commit === '' ? 'checkout-empty' : 'checkout');
    const files = new Map(this.files.get(commit));
    let parent = commit;
    // The same object as memoryFiles made, so a copy can read this tree as a source.
    return Object.assign(memoryFiles(files), {
      diff: async () => '',
      commit: async (message: string) => {
        this.calls.push('commit');
        const sha = `c${this.next++}`;
        this.files.set(sha, new Map(files));
        this.messages.set(sha, message);
        if (parent) this.parents.set(sha, parent);
        parent = sha;
        return sha;
      },
      push: async (sha: string, branch: string, force?: boolean) => {
        this.calls.push(force ? 'force-push' : 'push');
        this.beforePush(branch);
        const head = this.heads.get(branch);
        if (!force && head !== undefined && this.parents.get(sha) !== head && sha !== head) {
          throw new PushRejectedError(' ! [rejected]        main -> main (fetch first)');
        }
        this.heads.set(branch, sha);
      },
      dispose: async () => {
        this.calls.push('dispose');
      },
    });
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
      `cannot create branch "env/dev" of https://git.example.com/org/gitops.git: source branch "release" does not exist; create it, fix the Stage's source branch or set create: true on the git-clone checkout`,
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

describe('new branches, forced writes and read-only sources (fakes)', () => {
  const write = (over: Partial<WriteGit> = {}) =>
    cmd({
      targetBranch: 'stage/dev',
      sourceBranch: 'stage/dev',
      edits: [{ kind: 'file-write', path: 'out.yaml', contents: 'a: 1\n' }],
      ...over,
    });

  test('create: a missing branch with no source becomes an orphan branch whose first commit has no parent', async () => {
    const { git, deps } = setup();
    const fact = await performWrite(write({ orphan: true }), deps);
    assert.equal(fact.outcome, 'Committed');
    assert.equal(git.heads.get('stage/dev'), fact.commit);
    assert.equal(git.parents.get(fact.commit), undefined);
    assert.deepEqual([...(git.files.get(fact.commit) ?? new Map()).keys()], ['out.yaml']);
    assert.deepEqual(git.calls, ['sync', 'checkout-empty', 'commit', 'push', 'dispose']);
  });

  test('without create the missing branch fails, naming the branch and the fix', async () => {
    const { deps } = setup();
    const fact = await performWrite(write(), deps);
    assert.equal(fact.outcome, 'Failed');
    assert.equal(
      fact.message,
      `cannot create branch "stage/dev" of https://git.example.com/org/gitops.git: source branch "stage/dev" does not exist; create it, fix the Stage's source branch or set create: true on the git-clone checkout`,
    );
  });

  test('create on a branch that exists: the write goes on top of it (Kargo checks the branch out)', async () => {
    const { git, deps } = setup();
    git.heads.set('stage/dev', 'c0');
    const fact = await performWrite(write({ orphan: true }), deps);
    assert.equal(git.parents.get(fact.commit), 'c0');
  });

  test('an orphan write that changes nothing creates no branch', async () => {
    const { git, deps } = setup();
    const fact = await performWrite(write({ orphan: true, edits: [] }), deps);
    assert.equal(fact.outcome, 'NoChange');
    assert.equal(fact.message, 'nothing to write; branch "stage/dev" was not created');
    assert.equal(git.heads.has('stage/dev'), false);
  });

  test('force (generateTargetBranch): based on the source, overwriting what the target held', async () => {
    const { git, deps } = setup();
    git.commitElsewhere('main');
    git.heads.set('kargo/promotion/p1', 'c0');
    const fact = await performWrite(
      write({ targetBranch: 'kargo/promotion/p1', sourceBranch: 'main', force: true }),
      deps,
    );
    assert.equal(fact.outcome, 'Committed');
    assert.equal(git.parents.get(fact.commit), git.heads.get('main'));
    assert.equal(git.heads.get('kargo/promotion/p1'), fact.commit);
    assert.ok(git.calls.includes('force-push'));
  });

  test('a copy reads a tag checkout (with its own edits first) into the written branch', async () => {
    const { git, deps } = setup();
    git.files.set('t1', new Map([['base/app.yaml', 'image: old\n']]));
    git.tags.set('v1', 't1');
    const fact = await performWrite(
      cmd({
        edits: [{ kind: 'copy', fromCheckout: './src', inPath: 'base', outPath: 'out/base' }],
        sources: [
          {
            path: './src',
            repoURL: URL,
            tag: 'v1',
            edits: [
              { kind: 'yaml-update', path: 'base/app.yaml', updates: [{ key: 'image', value: 'new' }] },
            ],
          },
        ],
      }),
      deps,
    );
    assert.equal(fact.outcome, 'Committed');
    assert.equal(fact.message, 'copied ./src/base to out/base');
    assert.equal(git.files.get(fact.commit)?.get('out/base/app.yaml'), 'image: new\n');
    // The source itself is never committed.
    assert.equal(git.files.get('t1')?.get('base/app.yaml'), 'image: old\n');
  });

  test('a source tag that does not exist fails the write, naming the checkout', async () => {
    const { deps } = setup();
    const fact = await performWrite(
      cmd({
        edits: [{ kind: 'copy', fromCheckout: './src', inPath: 'base', outPath: 'out' }],
        sources: [{ path: './src', repoURL: URL, tag: 'v9' }],
      }),
      deps,
    );
    assert.equal(fact.outcome, 'Failed');
    assert.equal(
      fact.message,
      'cannot read checkout ./src (tag "v9" of https://git.example.com/org/gitops.git): no v9',
    );
  });

  test('a copy from a checkout the write does not carry fails', async () => {
    const { deps } = setup();
    const fact = await performWrite(
      cmd({ edits: [{ kind: 'copy', fromCheckout: './other', inPath: 'a', outPath: 'b' }] }),
      deps,
    );
    assert.equal(
      fact.message,
      `cannot edit branch "main" of https://git.example.com/org/gitops.git: copy reads checkout "./other", which the write does not carry; check the copy step's inPath`,
    );
  });
});

describe('performTag (fakes)', () => {
  const tagCmd = (tag: NonNullable<WriteGit['tag']>, over: Partial<WriteGit> = {}) =>
    cmd({ writeId: 't1', edits: [], tag, ...over });

  test('tags the head of the branch when no commit is given, records and publishes', async () => {
    const { git, store, published, deps } = setup();
    const fact = await performTag(tagCmd({ name: 'v1.0.0' }), deps);
    assert.deepEqual(
      { outcome: fact.outcome, commit: fact.commit, branch: fact.branch, message: fact.message },
      { outcome: 'Committed', commit: 'c0', branch: 'refs/tags/v1.0.0', message: 'tagged c0 as v1.0.0' },
    );
    assert.equal(git.tags.get('v1.0.0'), 'c0');
    assert.equal(store.records.get('t1')?.outcome, 'Committed');
    assert.equal(published[0]?.msgId, 'git-written:t1');
  });

  test('a tag already at the commit is success (an earlier delivery pushed it)', async () => {
    const { git, deps } = setup();
    git.tags.set('v1.0.0', 'c0');
    const fact = await performTag(tagCmd({ name: 'v1.0.0', commit: 'c0' }), deps);
    assert.equal(fact.outcome, 'NoChange');
    assert.equal(fact.commit, 'c0');
    assert.ok(!git.calls.includes('push-tag'));
  });

  test('a tag at another commit is Failed and is not moved', async () => {
    const { git, deps } = setup();
    git.commitElsewhere('main');
    git.tags.set('v1.0.0', 'c0');
    const fact = await performTag(tagCmd({ name: 'v1.0.0' }), deps);
    assert.equal(fact.outcome, 'Failed');
    assert.equal(
      fact.message,
      `cannot tag https://git.example.com/org/gitops.git: tag "v1.0.0" already exists at c0, not at ${git.heads.get('main')}; Ferry never moves a tag: use another tag name or delete the tag first`,
    );
    assert.equal(git.tags.get('v1.0.0'), 'c0');
  });

  test('a tag pushed by someone else between the check and the push: looked at again', async () => {
    const { git, deps } = setup();
    git.beforePush = (ref) => {
      if (ref === 'refs/tags/v2') git.tags.set('v2', 'c0');
    };
    const fact = await performTag(tagCmd({ name: 'v2', commit: 'c0' }), deps);
    assert.equal(fact.outcome, 'NoChange');
  });

  test('a recorded tag write is only published again', async () => {
    const { git, store, deps } = setup();
    store.records.set('t1', {
      outcome: 'Committed',
      commit: 'c0',
      branch: 'refs/tags/v1',
      repoURL: URL,
      finishedAt: 'then',
      attempts: 1,
    });
    const fact = await performTag(tagCmd({ name: 'v1' }), deps);
    assert.equal(fact.outcome, 'Committed');
    assert.deepEqual(git.calls, []);
  });

  test('a bad tag name fails without touching git', async () => {
    const { git, deps } = setup();
    const fact = await performTag(tagCmd({ name: 'v1 beta' }), deps);
    assert.equal(fact.outcome, 'Failed');
    assert.match(fact.message ?? '', /^cannot tag .*: tag name "v1 beta" contains a space/);
    assert.deepEqual(git.calls, []);
  });
});
