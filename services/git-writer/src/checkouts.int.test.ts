/**
 * Checkouts of commits and tags, new orphan branches, copies between checkouts, forced pushes,
 * tags and signed commits: git-writer against real git over smart HTTP (test/support's
 * git-http-backend server) and the real Redis store (database 3).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GitWritten, WriteGit } from '@ferry/contracts';
import { Keys, Store } from '@ferry/store';
import { git, run, startGitServer, type TestGitServer, tempDir } from '@ferry/support';
import { CloneCache, type SigningOptions } from './clone-cache.ts';
import { performTag, performWrite, type WriterDeps } from './core.ts';
import { testLogger, unique } from './testing/git-fixture.ts';

const log = testLogger();
let store: Store;
let server: TestGitServer;
let scratch: string;
let cache: CloneCache;

const deps = (over: Partial<WriterDeps> = {}): WriterDeps => ({
  git: cache,
  store,
  publish: async (_fact: GitWritten) => {},
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
  log,
  author: { name: 'Ferry Bot', email: 'ferry@example.com' },
  ...over,
});

const write = (repoURL: string, over: Partial<WriteGit>): WriteGit => ({
  project: 'demo',
  writeId: unique('w'),
  stage: 'dev',
  promotion: 'dev.01',
  repoURL,
  targetBranch: 'main',
  edits: [],
  message: 'promote',
  maxAttempts: 3,
  ...over,
});

/** A local clone of a served repository, to look at what landed (parents, signatures). */
async function cloneOf(name: string): Promise<string> {
  const dir = join(scratch, unique(`clone-${name}`));
  await git(['clone', '--quiet', '--no-checkout', server.repoURL(name), dir], { cwd: scratch });
  await git(['fetch', '--quiet', '--tags', 'origin', '+refs/heads/*:refs/remotes/origin/*'], { cwd: dir });
  return dir;
}

/** Commits `files` on `branch` of the served repository from a scratch clone; returns the sha. */
async function pushFiles(
  name: string,
  branch: string,
  files: Record<string, string>,
  tag?: string,
): Promise<string> {
  const dir = join(scratch, unique('seed'));
  await git(['clone', '--quiet', server.repoURL(name), dir], { cwd: scratch });
  await git(['checkout', '--quiet', '-B', branch], { cwd: dir });
  for (const [p, text] of Object.entries(files)) {
    await run('mkdir', ['-p', join(dir, p, '..')]);
    await writeFile(join(dir, p), text);
  }
  await git(['add', '-A'], { cwd: dir });
  await git(['commit', '--quiet', '-m', `seed ${branch}`], { cwd: dir });
  if (tag) await git(['tag', tag], { cwd: dir });
  await git(
    ['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`, ...(tag ? [`refs/tags/${tag}`] : [])],
    {
      cwd: dir,
    },
  );
  return (await git(['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
}

before(async () => {
  store = Store.connect('redis://127.0.0.1:6379/3', 'git-writer-checkouts-test');
  await store.redis.flushdb();
  server = await startGitServer();
  scratch = await tempDir('gw-checkouts');
  cache = await CloneCache.open({ dir: join(scratch, 'cache'), log });
});
after(async () => {
  await store?.redis.flushdb();
  await store?.close();
  await server?.close();
  if (scratch) await run('rm', ['-rf', scratch]);
});

describe('checkouts of commits and tags, copied into a new branch', () => {
  let repoURL: string;
  let tagged: string;
  let overlayCommit: string;

  before(async () => {
    repoURL = await server.createRepo('app', { 'README.md': 'app\n' });
    tagged = await pushFiles('app', 'main', { 'base/deploy.yaml': 'image: app:1.0.0\n' }, 'v1.0.0');
    overlayCommit = await pushFiles('app', 'main', {
      'base/deploy.yaml': 'image: app:2.0.0\n',
      'stages/dev/kustomization.yaml': 'resources:\n- ../../base\n',
    });
  });

  test('create: the new orphan branch gets the tag checkout base and the commit checkout overlay', async () => {
    const cmd = write(repoURL, {
      sourceBranch: 'stage/dev',
      targetBranch: 'stage/dev',
      orphan: true,
      edits: [
        { kind: 'copy', fromCheckout: 'src', inPath: 'base', outPath: 'base' },
        { kind: 'copy', fromCheckout: 'overlay', inPath: 'stages/dev', outPath: 'dev' },
      ],
      sources: [
        {
          path: 'src',
          repoURL,
          tag: 'v1.0.0',
          edits: [
            { kind: 'yaml-update', path: 'base/deploy.yaml', updates: [{ key: 'replicas', value: 2 }] },
          ],
        },
        { path: 'overlay', repoURL, commit: overlayCommit },
      ],
    });
    const fact = await performWrite(cmd, deps());
    assert.equal(fact.outcome, 'Committed', fact.message);
    assert.equal(fact.message, 'copied src/base to base; copied overlay/stages/dev to dev');
    assert.equal(
      await server.readFile('app', 'stage/dev', 'base/deploy.yaml'),
      'image: app:1.0.0\nreplicas: 2\n',
    );
    assert.equal(
      await server.readFile('app', 'stage/dev', 'dev/kustomization.yaml'),
      'resources:\n- ../../base\n',
    );
    const dir = await cloneOf('app');
    const parents = (await git(['rev-list', '--parents', '-n1', fact.commit], { cwd: dir })).stdout.trim();
    assert.equal(parents, fact.commit, 'the first commit of an orphan branch has no parent');
    const files = (await git(['ls-tree', '-r', '--name-only', fact.commit], { cwd: dir })).stdout;
    assert.equal(files, 'base/deploy.yaml\ndev/kustomization.yaml\n');
    // The tag checkout was read, never written: the tag still points where it did.
    assert.equal((await git(['rev-parse', 'v1.0.0^{commit}'], { cwd: dir })).stdout.trim(), tagged);

    // Again (a redelivery under a new record): the branch exists now, the trailer says it landed.
    await store.redis.del(Keys.gitWrite(cmd.writeId));
    const again = await performWrite({ ...cmd }, deps());
    assert.equal(again.commit, fact.commit);
  });

  test('a commit the cache has never seen is fetched by id; an unknown one fails naming the checkout', async () => {
    const fresh = await CloneCache.open({ dir: join(scratch, unique('cache')), log });
    const sha = await fresh.resolveRevision(repoURL, { commit: tagged });
    assert.equal(sha, tagged);
    const fact = await performWrite(
      write(repoURL, {
        edits: [{ kind: 'copy', fromCheckout: 'src', inPath: 'base', outPath: 'x' }],
        sources: [{ path: 'src', repoURL, commit: 'f'.repeat(40) }],
      }),
      deps({ git: fresh }),
    );
    assert.equal(fact.outcome, 'Failed');
    assert.equal(
      fact.message,
      `cannot read checkout src (commit ${'f'.repeat(40)} of ${repoURL}): commit ${'f'.repeat(40)} is not in any branch of ${repoURL}; check the git-clone step's checkout commit (or the Freight's commit)`,
    );
  });

  test('a path that leaves a source checkout through a symlink is refused', async () => {
    const dir = join(scratch, unique('evil'));
    await git(['clone', '--quiet', server.repoURL('app'), dir], { cwd: scratch });
    await run('ln', ['-s', '/etc', join(dir, 'etc-link')]);
    await git(['add', '-A'], { cwd: dir });
    await git(['commit', '--quiet', '-m', 'link'], { cwd: dir });
    await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/evil'], { cwd: dir });
    const fact = await performWrite(
      write(repoURL, {
        edits: [{ kind: 'copy', fromCheckout: 'src', inPath: 'etc-link/hostname', outPath: 'stolen' }],
        sources: [{ path: 'src', repoURL, branch: 'evil' }],
      }),
      deps(),
    );
    assert.equal(fact.outcome, 'Failed');
    assert.match(
      fact.message ?? '',
      /"etc-link\/hostname" resolves outside the repository through a symlink/,
    );
  });

  test('generateTargetBranch: the branch is based on the source and overwritten', async () => {
    await pushFiles('app', 'kargo/promotion/dev.01', { 'stale.txt': 'old\n' });
    const fact = await performWrite(
      write(repoURL, {
        sourceBranch: 'main',
        targetBranch: 'kargo/promotion/dev.01',
        force: true,
        edits: [{ kind: 'file-write', path: 'promoted.txt', contents: 'yes\n' }],
      }),
      deps(),
    );
    assert.equal(fact.outcome, 'Committed');
    const dir = await cloneOf('app');
    const parent = (await git(['rev-parse', `${fact.commit}^`], { cwd: dir })).stdout.trim();
    assert.equal(parent, overlayCommit);
    const files = (await git(['ls-tree', '-r', '--name-only', fact.commit], { cwd: dir })).stdout;
    assert.ok(!files.includes('stale.txt'));
  });
});

describe('git-tag', () => {
  test('tags the pushed commit once; the same tag again is NoChange; at another commit Failed', async () => {
    const repoURL = await server.createRepo('tags', { 'a.txt': 'a\n' });
    const first = await performWrite(
      write(repoURL, { edits: [{ kind: 'file-write', path: 'b.txt', contents: 'b\n' }] }),
      deps(),
    );
    const tag = (commit?: string) =>
      write(repoURL, { tag: { name: 'dev-1', ...(commit ? { commit } : {}) }, message: 'tag dev-1' });
    const created = await performTag(tag(first.commit), deps());
    assert.deepEqual([created.outcome, created.commit], ['Committed', first.commit]);
    const dir = await cloneOf('tags');
    assert.equal((await git(['rev-parse', 'dev-1^{commit}'], { cwd: dir })).stdout.trim(), first.commit);
    // A crash after the push, before the record: the next delivery finds the tag where it belongs.
    const again = await performTag(tag(), deps());
    assert.deepEqual([again.outcome, again.commit], ['NoChange', first.commit]);
    const moved = await performWrite(
      write(repoURL, { edits: [{ kind: 'file-write', path: 'c.txt', contents: 'c\n' }] }),
      deps(),
    );
    const clash = await performTag(tag(moved.commit), deps());
    assert.equal(clash.outcome, 'Failed');
    assert.equal(
      clash.message,
      `cannot tag ${repoURL}: tag "dev-1" already exists at ${first.commit.slice(0, 12)}, not at ${moved.commit.slice(0, 12)}; Ferry never moves a tag: use another tag name or delete the tag first`,
    );
  });
});

/** Whether a program is installed (signing tests are skipped, and say so, without it). */
async function have(program: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${program}`]).then(
    () => true,
    () => false,
  );
}

describe('signed commits', () => {
  const signedWrite = async (
    name: string,
    signing: SigningOptions,
  ): Promise<{ dir: string; commit: string }> => {
    const repoURL = await server.createRepo(name, { 'a.txt': 'a\n' });
    const signer = await CloneCache.open({ dir: join(scratch, unique('cache')), log, signing });
    const fact = await performWrite(
      write(repoURL, {
        orphan: true,
        targetBranch: 'fresh',
        sourceBranch: 'fresh',
        edits: [{ kind: 'file-write', path: 'b.txt', contents: 'b\n' }],
      }),
      deps({ git: signer }),
    );
    const second = await performWrite(
      write(repoURL, { edits: [{ kind: 'file-write', path: 'c.txt', contents: 'c\n' }] }),
      deps({ git: signer }),
    );
    assert.equal(fact.outcome, 'Committed');
    assert.equal(second.outcome, 'Committed');
    const dir = await cloneOf(name);
    // Both paths are signed: the parentless first commit of an orphan branch and an ordinary one.
    return { dir, commit: `${fact.commit} ${second.commit}` };
  };

  test('GPG: git verify-commit accepts the commits', async (t) => {
    if (!(await have('gpg'))) return t.skip('gpg is not installed');
    const home = await tempDir('gpg');
    const env = { ...process.env, GNUPGHOME: home };
    await run(
      'gpg',
      [
        '--batch',
        '--passphrase',
        '',
        '--quick-gen-key',
        'Ferry Bot <ferry@example.com>',
        'ed25519',
        'sign',
        'never',
      ],
      { env },
    );
    const key = join(home, 'signing.asc');
    await writeFile(key, (await run('gpg', ['--batch', '--armor', '--export-secret-keys'], { env })).stdout);
    const { dir, commit } = await signedWrite('signed-gpg', { type: 'gpg', keyPath: key });
    for (const sha of commit.split(' ')) {
      const out = await run('git', ['verify-commit', '--raw', sha], { cwd: dir, env });
      assert.match(out.stderr, /GOODSIG/);
    }
    await run('gpgconf', ['--kill', 'gpg-agent'], { env }).catch(() => undefined);
    await run('rm', ['-rf', home]);
  });

  test('SSH: git verify-commit accepts the commits with an allowed-signers file', async (t) => {
    if (!(await have('ssh-keygen'))) return t.skip('ssh-keygen is not installed');
    const keyDir = await tempDir('ssh');
    const key = join(keyDir, 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ferry', '-f', key]);
    const pub = (await run('ssh-keygen', ['-y', '-f', key])).stdout.trim();
    const allowed = join(keyDir, 'allowed_signers');
    await writeFile(allowed, `ferry@example.com ${pub}\n`);
    const { dir, commit } = await signedWrite('signed-ssh', { type: 'ssh', keyPath: key });
    for (const sha of commit.split(' ')) {
      const out = await run('git', ['-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', sha], {
        cwd: dir,
      });
      assert.match(out.stderr, /Good "git" signature for ferry@example.com/);
    }
    await run('rm', ['-rf', keyDir]);
  });

  test('a signing key that is not one fails at start, naming the setting', async () => {
    const bogus = join(scratch, 'not-a-key');
    await writeFile(bogus, 'hello\n');
    await assert.rejects(
      CloneCache.open({ dir: join(scratch, unique('cache')), log, signing: { type: 'ssh', keyPath: bogus } }),
      (err: Error) => {
        assert.equal(err.name, 'SigningKeyError');
        assert.match(
          err.message,
          /^FERRY_GIT_SIGNING_KEY_PATH \(.*not-a-key\) is not an SSH private key without a passphrase/,
        );
        return true;
      },
    );
  });
});
