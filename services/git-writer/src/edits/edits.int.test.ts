/**
 * File edits through the whole write procedure: real git (a bare repository on disk) and the
 * real Redis store (DB 13), facts collected in memory.
 */
import assert from 'node:assert/strict';
import { symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GitWritten, WriteGit } from '@ferry/contracts';
import { Store } from '@ferry/store';
import { CloneCache } from '../clone-cache.ts';
import { performWrite, type WriterDeps } from '../core.ts';
import { type FixtureRepo, forgetLeases, git, makeRepo, testLogger, unique } from '../testing/git-fixture.ts';

const VALUES = '# dev values\nimage:\n  tag: 1.0.0 # set by Ferry\n';
const log = testLogger();
let store: Store;
let repo: FixtureRepo;
let cache: CloneCache;

const deps = (): WriterDeps => ({
  git: cache,
  store,
  publish: async (_fact: GitWritten) => {},
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
  log,
  author: { name: 'Ferry Bot', email: 'ferry@example.com' },
});

const command = (edits: WriteGit['edits']): WriteGit => ({
  project: 'demo',
  writeId: unique('edits'),
  stage: 'dev',
  promotion: 'dev.01',
  repoURL: repo.url,
  targetBranch: 'main',
  edits,
  message: 'promote to dev',
  maxAttempts: 3,
});

before(async () => {
  store = Store.connect('redis://127.0.0.1:6379/3', 'git-writer-edits-test');
  repo = await makeRepo({ 'apps/dev/values.yaml': VALUES, 'apps/dev/old.yaml': 'old: true\n' });
  // A link out of the repository, committed as git stores links.
  const seed = `${repo.root}/link-seed`;
  await git(repo.root, 'clone', '--quiet', repo.bare, seed);
  await symlink(tmpdir(), `${seed}/outside`);
  await git(seed, 'add', 'outside');
  await git(seed, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'link');
  await git(seed, 'push', '--quiet', 'origin', 'main');
  cache = await CloneCache.open({ dir: `${repo.root}/cache`, log });
});

after(async () => {
  try {
    await forgetLeases(store, `file://${repo.root}/`);
  } finally {
    await store.close();
    await repo.cleanup();
  }
});

test('a yaml-update, a file-write and a delete land in one commit', async () => {
  const before = await repo.log('main');
  const fact = await performWrite(
    command([
      { kind: 'yaml-update', path: 'apps/dev/values.yaml', updates: [{ key: 'image.tag', value: '1.2.0' }] },
      { kind: 'file-write', path: 'apps/dev/VERSION', contents: '1.2.0\n' },
      { kind: 'delete', path: 'apps/dev/old.yaml' },
    ]),
    deps(),
  );
  assert.equal(fact.outcome, 'Committed');
  assert.equal(
    fact.message,
    'updated image.tag in apps/dev/values.yaml; wrote apps/dev/VERSION; deleted apps/dev/old.yaml',
  );
  assert.equal((await repo.log('main')).length, before.length + 1);
  assert.equal(
    (await git(repo.bare, 'show', '--name-status', '--format=', 'main')).trim(),
    'A\tapps/dev/VERSION\nD\tapps/dev/old.yaml\nM\tapps/dev/values.yaml',
  );
  assert.equal(await repo.show('main', 'apps/dev/values.yaml'), VALUES.replace('tag: 1.0.0', 'tag: 1.2.0'));
  assert.equal(await repo.show('main', 'apps/dev/VERSION'), '1.2.0\n');
});

test('an edit that cannot be made fails the write and pushes nothing', async () => {
  const head = await repo.head('main');
  const fact = await performWrite(
    command([
      { kind: 'file-write', path: 'apps/dev/NEW', contents: 'x\n' },
      { kind: 'copy', inPath: 'apps/dev/missing', outPath: 'apps/prod' },
    ]),
    deps(),
  );
  assert.equal(fact.outcome, 'Failed');
  assert.equal(
    fact.message,
    `cannot edit branch "main" of ${repo.url}: "apps/dev/missing" does not exist; check the step's inPath`,
  );
  assert.equal(await repo.head('main'), head);
});

test('edits through a link that leads out of the repository are refused', async () => {
  const head = await repo.head('main');
  const cases: Array<WriteGit['edits'][number]> = [
    { kind: 'file-write', path: 'outside/ferry-escape.txt', contents: 'x\n' },
    { kind: 'yaml-update', path: 'outside/ferry-escape.yaml', updates: [{ key: 'a', value: 1 }] },
    { kind: 'copy', inPath: 'outside', outPath: 'apps/stolen' },
  ];
  for (const edit of cases) {
    const fact = await performWrite(command([edit]), deps());
    assert.equal(fact.outcome, 'Failed', edit.kind);
    assert.equal(
      fact.message,
      `cannot edit branch "main" of ${repo.url}: "outside" resolves outside the repository through a symlink; edit a path inside the repository`,
      edit.kind,
    );
  }
  assert.equal(await repo.head('main'), head);
});
