/**
 * git-writer with credentials from a Project's Secrets: clone, fetch and push over smart HTTP with basic
 * auth (the test git server), credentials from Redis database 2 (the credential tests' own).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GitWritten, WriteGit } from '@ferry/contracts';
import { SecretStore, Store } from '@ferry/store';
import { startGitServer, type TestGitServer } from '@ferry/support';
import { CloneCache } from './clone-cache.ts';
import { performWrite, type WriterDeps } from './core.ts';
import { projectGitCredentials } from './credentials.ts';
import { DEV_KUSTOMIZATION, testLogger, unique } from './testing/git-fixture.ts';

const KEY = Buffer.alloc(32, 5).toString('base64');
const PASSWORD = 'push-pw-31337';
const log = testLogger();
let store: Store;
let server: TestGitServer;
let cacheRoot: string;
let cache: CloneCache;

before(async () => {
  store = Store.connect('redis://127.0.0.1:6379/2', 'git-writer-credentials-test');
  await store.redis.flushdb();
  server = await startGitServer({ auth: { username: 'ferry-bot', password: PASSWORD } });
  cacheRoot = await mkdtemp(join(tmpdir(), 'ferry-gw-creds-'));
  cache = await CloneCache.open({ dir: cacheRoot, log });
});
after(async () => {
  await store?.redis.flushdb();
  await store?.close();
  await server?.close();
  if (cacheRoot) await rm(cacheRoot, { recursive: true, force: true });
});

describe('git-writer pushes with the Project’s git credentials', () => {
  test('without a Secret the write fails naming it; with it the commit is pushed; nothing keeps the password', async () => {
    const repoURL = await server.createRepo('gitops', { 'apps/dev/kustomization.yaml': DEV_KUSTOMIZATION });
    const secrets = new SecretStore(store.redis, KEY, { recheckMs: 0 });
    const published: GitWritten[] = [];
    const deps = (project: string): WriterDeps => ({
      git: cache.withCredentials(projectGitCredentials(secrets, project)),
      store,
      publish: async (fact) => {
        published.push(fact);
      },
      now: () => Date.now(),
      sleep: (ms) => sleep(ms),
      log,
      author: { name: 'Ferry Bot', email: 'ferry@example.com' },
    });
    const command = (project: string): WriteGit => ({
      project,
      writeId: unique('cred'),
      stage: 'dev',
      promotion: 'dev.01',
      repoURL,
      targetBranch: 'main',
      edits: [
        {
          kind: 'kustomize-set-image',
          path: 'apps/dev',
          images: [{ name: '127.0.0.1:5000/demo/app', newTag: '9.9.9' }],
        },
      ],
      message: 'promote 9.9.9',
      maxAttempts: 2,
    });

    const denied = await performWrite(command('nocreds'), deps('nocreds'));
    assert.equal(denied.outcome, 'Failed');
    assert.match(
      denied.message ?? '',
      new RegExp(
        `no credentials matched; apply a Secret labelled kargo.akuity.io/cred-type: git with repoURL ${repoURL};`,
      ),
    );

    await new SecretStore(store.redis, KEY).put({
      project: 'gitops',
      name: 'gitops-push',
      data: { repoURL, username: 'ferry-bot', password: PASSWORD },
      labels: { 'kargo.akuity.io/cred-type': 'git' },
    });
    const written = await performWrite(command('gitops'), deps('gitops'));
    assert.equal(written.outcome, 'Committed', written.message);
    assert.equal(server.pushCount('gitops'), 1);
    assert.match(await server.readFile('gitops', 'main', 'apps/dev/kustomization.yaml'), /newTag: 9\.9\.9/);
    assert.ok(!JSON.stringify(published).includes(PASSWORD));

    // The cache's remote URL and config hold no credentials.
    const config = await cache.git(cache.cacheDirFor(repoURL), ['config', '--local', '--list']);
    assert.ok(!config.includes(PASSWORD));
    assert.ok(!config.includes('credential'));

    // A wrong password names the Secret to fix.
    await new SecretStore(store.redis, KEY).put({
      project: 'wrong',
      name: 'stale-token',
      data: { repoURL, username: 'ferry-bot', password: 'expired' },
      labels: { 'kargo.akuity.io/cred-type': 'git' },
    });
    const refused = await performWrite(command('wrong'), deps('wrong'));
    assert.equal(refused.outcome, 'Failed');
    assert.match(refused.message ?? '', /refused the credentials of Secret "stale-token"/);
  });
});
