/**
 * The write procedure against real git (bare repositories on disk, file:// URLs) and the real
 * Redis store; no NATS (published facts are collected in memory).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GitWritten, WriteGit } from '@ferry/contracts';
import { Store } from '@ferry/store';
import { CloneCache } from './clone-cache.ts';
import { leaseName, performWrite, type WriterDeps } from './core.ts';
import type { GitPort } from './ports.ts';
import {
  DEV_KUSTOMIZATION,
  type FixtureRepo,
  forgetLeases,
  git,
  makeRepo,
  testLogger,
  unique,
} from './testing/git-fixture.ts';

const APP = '127.0.0.1:5000/demo/app';
const log = testLogger();
let store: Store;
let repo: FixtureRepo;
let cache: CloneCache;
const published: Array<{ fact: GitWritten; msgId: string }> = [];

const deps = (over: Partial<WriterDeps> = {}): WriterDeps => ({
  git: cache,
  store,
  publish: async (fact, msgId) => {
    published.push({ fact, msgId });
  },
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
  log,
  author: { name: 'Ferry Bot', email: 'ferry@example.com' },
  ...over,
});

const command = (over: Partial<WriteGit> = {}): WriteGit => ({
  project: 'demo',
  writeId: unique('w'),
  stage: 'dev',
  promotion: 'dev.01',
  repoURL: repo.url,
  targetBranch: 'main',
  edits: [{ kind: 'kustomize-set-image', path: 'apps/dev', images: [{ name: APP, newTag: '1.2.0' }] }],
  message: 'promote demo app 1.2.0 to dev',
  maxAttempts: 3,
  ...over,
});

before(async () => {
  store = Store.connect('redis://127.0.0.1:6379/3', 'git-writer-test');
  repo = await makeRepo({
    'apps/stage/kustomization.yml': 'images:\n- name: 127.0.0.1:5000/demo/app\n  newTag: 1.0.0\n',
  });
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

describe('performWrite (real git, real Redis)', () => {
  let first: { writeId: string; commit: string; head: string };

  test('one write makes exactly one commit with the new tag, comments intact and the trailer', async () => {
    const before = await repo.log('main');
    const cmd = command();
    const fact = await performWrite(cmd, deps());
    const afterLog = await repo.log('main');
    assert.equal(afterLog.length, before.length + 1);
    assert.equal(fact.outcome, 'Committed');
    assert.equal(fact.commit, await repo.head('main'));
    assert.equal(
      await repo.show('main', 'apps/dev/kustomization.yaml'),
      DEV_KUSTOMIZATION.replace('newTag: 1.1.0 # set by promotion', 'newTag: 1.2.0 # set by promotion'),
    );
    assert.equal(
      await repo.message('main'),
      `promote demo app 1.2.0 to dev\n\nFerry-Write-Id: ${cmd.writeId}\n\n`,
    );
    assert.equal(
      (await git(repo.bare, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', 'main')).trim(),
      'Ferry Bot <ferry@example.com>|Ferry Bot <ferry@example.com>',
    );
    const record = await store.getGitWrite(cmd.writeId);
    assert.deepEqual(
      { ...record, finishedAt: undefined },
      {
        outcome: 'Committed',
        commit: fact.commit,
        branch: 'main',
        repoURL: repo.url,
        message: `updated apps/dev/kustomization.yaml to use image ${APP}:1.2.0`,
        finishedAt: undefined,
        attempts: 1,
      },
    );
    assert.deepEqual(published.at(-1), { fact, msgId: `git-written:${cmd.writeId}` });
    first = { writeId: cmd.writeId, commit: fact.commit, head: fact.commit };
  });

  test('the same writeId again makes no commit and answers the same sha', async () => {
    const n = (await repo.log('main')).length;
    const fact = await performWrite(command({ writeId: first.writeId }), deps());
    assert.equal((await repo.log('main')).length, n);
    assert.equal(fact.outcome, 'Committed');
    assert.equal(fact.commit, first.commit);
    assert.equal(published.at(-1)?.msgId, `git-written:${first.writeId}`);
  });

  test('a push that landed without its record (crash) is found by its trailer, not redone', async () => {
    await store.redis.del(`ferry:git:write:${first.writeId}`);
    const n = (await repo.log('main')).length;
    const fact = await performWrite(command({ writeId: first.writeId }), deps());
    assert.equal((await repo.log('main')).length, n);
    assert.equal(fact.outcome, 'Committed');
    assert.equal(fact.commit, first.commit);
    assert.equal((await store.getGitWrite(first.writeId))?.commit, first.commit);
  });

  test('a new writeId with the same content changes nothing: NoChange, no commit', async () => {
    const n = (await repo.log('main')).length;
    const fact = await performWrite(command(), deps());
    assert.equal((await repo.log('main')).length, n);
    assert.equal(fact.outcome, 'NoChange');
    assert.equal(fact.commit, await repo.head('main'));
    assert.equal(fact.message, `apps/dev/kustomization.yaml already uses image ${APP}:1.2.0`);
  });

  test('a push race: another writer pushes after the fetch; the write retries and lands on top', async () => {
    let raced = '';
    // The other writer pushes right after our cache fetched, before our push.
    const racing: GitPort = {
      sync: (url, branches) => cache.sync(url, branches),
      findCommitWithTrailer: (...a) => cache.findCommitWithTrailer(...a),
      checkoutEmpty: (url, label) => cache.checkoutEmpty(url, label),
      resolveRevision: (url, rev) => cache.resolveRevision(url, rev),
      remoteTag: (url, tag) => cache.remoteTag(url, tag),
      pushTag: (url, tag, commit) => cache.pushTag(url, tag, commit),
      checkout: async (url, commit, label) => {
        if (!raced) {
          const text = (await repo.show('main', 'apps/dev/kustomization.yaml')).replace('"1.25"', '"1.27"');
          raced = await repo.pushFromElsewhere(
            'main',
            { 'apps/dev/kustomization.yaml': text },
            'bump nginx by hand',
          );
        }
        return cache.checkout(url, commit, label);
      },
    };
    const cmd = command({
      edits: [{ kind: 'kustomize-set-image', path: 'apps/dev', images: [{ name: APP, newTag: '1.3.0' }] }],
    });
    const before = await repo.head('main');
    const fact = await performWrite(cmd, deps({ git: racing }));
    assert.equal(fact.outcome, 'Committed');
    const log3 = await repo.log('main');
    assert.equal(log3[0], `${fact.commit} promote demo app 1.2.0 to dev`);
    assert.equal(log3[1], `${raced} bump nginx by hand`);
    assert.equal(log3[2]?.split(' ')[0], before);
    const text = await repo.show('main', 'apps/dev/kustomization.yaml');
    assert.match(text, /newTag: 1\.3\.0 # set by promotion/);
    assert.match(text, /newTag: "1\.27"/);
    assert.equal((await store.getGitWrite(cmd.writeId))?.attempts, 2);
  });

  test('a missing path ends Failed, naming the repository, branch and path', async () => {
    const n = (await repo.log('main')).length;
    const cmd = command({
      edits: [{ kind: 'kustomize-set-image', path: 'apps/missing', images: [{ name: APP, newTag: '9' }] }],
    });
    const fact = await performWrite(cmd, deps());
    assert.equal(fact.outcome, 'Failed');
    assert.equal(
      fact.message,
      `cannot edit branch "main" of ${repo.url}: no kustomization file in "apps/missing" (looked for kustomization.yaml, kustomization.yml, Kustomization); check the step's path or add the file`,
    );
    assert.equal((await repo.log('main')).length, n);
    assert.equal((await store.getGitWrite(cmd.writeId))?.outcome, 'Failed');
  });

  test('kustomization.yml is found when kustomization.yaml is absent', async () => {
    const cmd = command({
      edits: [{ kind: 'kustomize-set-image', path: 'apps/stage', images: [{ name: APP, newTag: '1.2.0' }] }],
    });
    const fact = await performWrite(cmd, deps());
    assert.equal(fact.outcome, 'Committed');
    assert.equal(fact.message, `updated apps/stage/kustomization.yml to use image ${APP}:1.2.0`);
    assert.equal(
      await repo.show('main', 'apps/stage/kustomization.yml'),
      `images:\n- name: ${APP}\n  newTag: 1.2.0\n`,
    );
  });

  test('a path through a symlink out of the repository ends Failed, and nothing outside is touched', async () => {
    const outside = join(repo.root, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'kustomization.yaml'), DEV_KUSTOMIZATION);
    const dir = join(repo.root, 'linker');
    await git(repo.root, 'clone', '--quiet', repo.bare, dir);
    await symlink(outside, join(dir, 'apps', 'out'));
    await symlink('/etc', join(dir, 'apps', 'etc'));
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '--quiet', '-m', 'symlinks out');
    await git(dir, 'push', '--quiet', 'origin', 'main');
    for (const [path, escaping] of [
      ['apps/out', 'apps/out/kustomization.yaml'],
      ['apps/etc', 'apps/etc'],
    ] as const) {
      const n = (await repo.log('main')).length;
      const cmd = command({
        edits: [{ kind: 'kustomize-set-image', path, images: [{ name: APP, newTag: '9' }] }],
      });
      const fact = await performWrite(cmd, deps());
      assert.equal(fact.outcome, 'Failed');
      assert.equal(
        fact.message,
        `cannot edit branch "main" of ${repo.url}: "${escaping}" resolves outside the repository through a symlink; edit a path inside the repository`,
      );
      assert.equal((await repo.log('main')).length, n);
    }
    assert.equal(await readFile(join(outside, 'kustomization.yaml'), 'utf8'), DEV_KUSTOMIZATION);
  });

  test('a missing target branch is created from the source branch', async () => {
    const cmd = command({ targetBranch: 'env/dev', sourceBranch: 'main' });
    cmd.edits = [{ kind: 'kustomize-set-image', path: 'apps/dev', images: [{ name: APP, newTag: '2.0.0' }] }];
    const mainHead = await repo.head('main');
    const fact = await performWrite(cmd, deps());
    assert.equal(fact.outcome, 'Committed');
    assert.equal(await repo.head('env/dev'), fact.commit);
    assert.equal((await repo.log('env/dev'))[1]?.split(' ')[0], mainHead);
    assert.equal(await repo.head('main'), mainHead);
  });

  test('writes to one branch from many at once are serialised; all land', async () => {
    const tags = ['3.0.1', '3.0.2', '3.0.3'];
    const n = (await repo.log('main')).length;
    const facts = await Promise.all(
      tags.map((t, i) =>
        performWrite(
          command({
            edits: [
              {
                kind: 'kustomize-set-image',
                path: 'apps/dev',
                images: [{ name: i === 0 ? APP : `img-${i}`, newTag: t }],
              },
            ],
          }),
          deps(),
        ),
      ),
    );
    assert.deepEqual(
      facts.map((f) => f.outcome),
      ['Committed', 'Committed', 'Committed'],
    );
    assert.equal((await repo.log('main')).length, n + 3);
    const text = await repo.show('main', 'apps/dev/kustomization.yaml');
    assert.match(text, /newTag: 3\.0\.1 # set by promotion\n/);
    assert.match(text, /- name: img-1\n {2}newTag: 3\.0\.2\n/);
    assert.match(text, /- name: img-2\n {2}newTag: 3\.0\.3\n/);
  });

  test('writes to different branches of one repository run side by side', async () => {
    const facts = await Promise.all(
      ['env/a', 'env/b', 'env/c'].map((b) =>
        performWrite(command({ targetBranch: b, sourceBranch: 'main' }), deps()),
      ),
    );
    for (const [i, b] of ['env/a', 'env/b', 'env/c'].entries())
      assert.equal(await repo.head(b), facts[i]?.commit);
  });

  test('a busy branch makes the write wait, then give the message back (throw)', async () => {
    const lease = await store.acquireLease(leaseName(repo.url, 'main'), 5_000);
    assert.ok(lease);
    try {
      await assert.rejects(performWrite(command(), deps({ leaseWaitMs: 300 })), { name: 'LeaseBusyError' });
    } finally {
      await store.releaseLease(lease);
    }
  });

  test('a repository that does not exist ends Failed', async () => {
    const url = `file://${join(repo.root, 'nope.git')}`;
    const fact = await performWrite(command({ repoURL: url }), deps());
    assert.equal(fact.outcome, 'Failed');
    assert.match(
      fact.message ?? '',
      new RegExp(
        `^cannot write branch "main" of ${url}: .*does not appear to be a git repository.*; check that the repository exists`,
      ),
    );
  });

  test('credentials never show: a 404 over HTTP ends Failed, an unreachable host throws, both redacted', async () => {
    const server = createServer((_req, res) => res.writeHead(404).end('not found'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const url = `http://bot:s3cr3t@127.0.0.1:${port}/org/repo.git`;
      const fact = await performWrite(command({ repoURL: url }), deps());
      assert.equal(fact.outcome, 'Failed');
      assert.equal(fact.repoURL, `http://127.0.0.1:${port}/org/repo.git`);
      assert.doesNotMatch(JSON.stringify(fact), /s3cr3t/);
      assert.doesNotMatch(JSON.stringify(await store.getGitWrite(fact.writeId)), /s3cr3t/);
    } finally {
      server.close();
      await forgetLeases(store, `http://127.0.0.1:${port}/org/repo.git#`);
    }
    const down = `http://bot:s3cr3t@127.0.0.1:1/org/repo.git`;
    await assert.rejects(performWrite(command({ repoURL: down }), deps()), (err: Error) => {
      assert.doesNotMatch(`${err.message} ${err.stack}`, /s3cr3t/);
      return true;
    });
    await forgetLeases(store, 'http://127.0.0.1:1/org/repo.git#');
  });
});
