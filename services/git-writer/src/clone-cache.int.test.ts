/**
 * The clone cache against real git: one cache per repository, reused without re-cloning,
 * partial clones, work trees cleaned up (after each write and, for crashed writers, on start).
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloneCache, cacheNameFor } from './clone-cache.ts';
import { type FixtureRepo, git, makeRepo, testLogger } from './testing/git-fixture.ts';

const log = testLogger();
let repo: FixtureRepo;

before(async () => {
  repo = await makeRepo();
  // Let the server honour `--filter`, as GitHub and GitLab do (file:// ignores it otherwise).
  await git(repo.bare, 'config', 'uploadpack.allowFilter', 'true');
});

after(async () => {
  await repo.cleanup();
});

/** Work trees the cache's git knows besides the bare repository itself. */
async function workTrees(cacheDir: string): Promise<string[]> {
  const out = await git(cacheDir, 'worktree', 'list', '--porcelain');
  return out
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice(9))
    .filter((p) => p !== cacheDir);
}

describe('CloneCache', () => {
  test('cache names are readable, credential-free and stable per repository', () => {
    assert.match(
      cacheNameFor('https://bot:s3cr3t@git.example.com/org/gitops.git'),
      /^git.example.com_org_gitops.git-[0-9a-f]{12}\.git$/,
    );
    assert.equal(
      cacheNameFor('https://bot:s3cr3t@git.example.com/org/gitops.git'),
      cacheNameFor('https://git.example.com/org/gitops.git'),
    );
    assert.notEqual(
      cacheNameFor('https://git.example.com/a/b.git'),
      cacheNameFor('https://git.example.com/a_b.git'),
    );
  });

  test('one partial bare clone, reused by later syncs without re-cloning; work trees removed after use', async () => {
    const root = join(repo.root, 'cache-a');
    const cache = await CloneCache.open({ dir: root, log });
    const first = await cache.sync(repo.url, ['main']);
    assert.equal(first.defaultBranch, 'main');
    assert.equal(first.heads.get('main'), await repo.head('main'));
    const dir = cache.cacheDirFor(repo.url);
    assert.deepEqual(await readdir(join(root, 'repos')), [cacheNameFor(repo.url)]);
    assert.equal((await git(dir, 'config', '--get', 'remote.origin.promisor')).trim(), 'true');
    assert.equal((await git(dir, 'rev-parse', '--is-bare-repository')).trim(), 'true');

    // A marker in the cache survives later syncs: nothing is cloned again.
    await writeFile(join(dir, 'ferry-test-marker'), 'x');
    const moved = await repo.pushFromElsewhere('main', { 'apps/dev/extra.txt': 'x\n' }, 'another commit');
    const second = await cache.sync(repo.url, ['main', 'env/none']);
    assert.equal(second.heads.get('main'), moved);
    assert.equal(second.heads.has('env/none'), false);
    assert.equal(await readFile(join(dir, 'ferry-test-marker'), 'utf8'), 'x');

    // Blobs come on demand into the work tree (partial clone), and the work tree goes away after.
    const tree = await cache.checkout(repo.url, moved, 'w/1');
    assert.equal(await tree.readFile('apps/dev/extra.txt'), 'x\n');
    assert.equal(await tree.readFile('apps/dev/nothing.yaml'), undefined);
    assert.equal((await workTrees(dir)).length, 1);
    await tree.dispose();
    assert.deepEqual(await workTrees(dir), []);
    assert.deepEqual(await readdir(join(root, 'work', String(process.pid))), []);
  });

  test('the trailer search matches whole lines only', async () => {
    const root = join(repo.root, 'cache-b');
    const cache = await CloneCache.open({ dir: root, log });
    const sha = await repo.pushFromElsewhere('main', { 'x.txt': '1\n' }, 'by ferry\n\nFerry-Write-Id: p/10');
    const { heads } = await cache.sync(repo.url, ['main']);
    const head = heads.get('main')!;
    assert.equal(await cache.findCommitWithTrailer(repo.url, head, 'Ferry-Write-Id: p/10', 200), sha);
    assert.equal(await cache.findCommitWithTrailer(repo.url, head, 'Ferry-Write-Id: p/1', 200), undefined);
    await repo.pushFromElsewhere('main', { 'y.txt': '1\n' }, 'later');
    const again = await cache.sync(repo.url, ['main']);
    assert.equal(
      await cache.findCommitWithTrailer(repo.url, again.heads.get('main')!, 'Ferry-Write-Id: p/10', 1),
      undefined,
    );
  });

  test('on start, work trees of crashed writers are removed and pruned', async () => {
    const root = join(repo.root, 'cache-c');
    const cache = await CloneCache.open({ dir: root, log });
    const { heads } = await cache.sync(repo.url, ['main']);
    const dir = cache.cacheDirFor(repo.url);
    // A writer that died mid-write: its pid's directory holds a registered work tree.
    const deadPid = '4194311';
    const stale = join(root, 'work', deadPid, 'w-1');
    await mkdir(join(root, 'work', deadPid), { recursive: true });
    await git(dir, 'worktree', 'add', '--detach', stale, heads.get('main')!);
    // A clone that died half way.
    await mkdir(join(root, 'repos', `${cacheNameFor(repo.url)}.tmp-1-abcd`));
    assert.equal((await workTrees(dir)).length, 1);

    await CloneCache.open({ dir: root, log });
    assert.deepEqual(await readdir(join(root, 'work')), []);
    assert.deepEqual(await workTrees(dir), []);
    assert.deepEqual(await readdir(join(root, 'repos')), [cacheNameFor(repo.url)]);
  });
});
