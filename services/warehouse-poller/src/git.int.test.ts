import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GitSubscription, Warehouse } from '@ferry/contracts';
import { freightId } from '@ferry/kargo';
import { git, startGitServer, type TestGitServer } from '@ferry/support';
import { discoverWarehouse, NO_CACHE } from './discover.ts';
import { gitCli, gitDiscoverer, memoryGitMemo } from './git.ts';

/** createRepo's message for the first commit. */
const INITIAL = 'initial commit';

const sub = (over: Partial<GitSubscription>): GitSubscription => ({
  repoURL: '',
  commitSelectionStrategy: 'NewestFromBranch',
  strictSemvers: true,
  allowTagsRegexes: [],
  ignoreTagsRegexes: [],
  includePaths: [],
  excludePaths: [],
  discoveryLimit: 20,
  ...over,
});

const warehouse = (...subs: GitSubscription[]): Warehouse => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'config', namespace: 'demo' },
  spec: {
    interval: '5m0s',
    freightCreationPolicy: 'Automatic',
    subscriptions: subs.map((g) => ({ git: g })),
  },
});

describe('git discovery over smart HTTP', () => {
  let server: TestGitServer;
  let work: string;
  let url: string;
  const commands: string[] = [];
  const commit = async (path: string, message: string) => {
    await writeFile(join(work, 'clone', path), `${message}\n`);
    await git(['add', '-A'], { cwd: join(work, 'clone') });
    await git(['commit', '-q', '-m', message], { cwd: join(work, 'clone') });
  };
  const push = (...refs: string[]) => git(['push', '-q', 'origin', ...refs], { cwd: join(work, 'clone') });
  const head = async () => (await git(['rev-parse', 'HEAD'], { cwd: join(work, 'clone') })).stdout.trim();

  before(async () => {
    server = await startGitServer();
    work = await mkdtemp(join(tmpdir(), 'ferry-git-poll-'));
    url = await server.createRepo('config', { 'apps/app.yaml': 'v0\n', 'docs/readme.md': 'hi\n' });
    await git(['clone', '-q', url, 'clone'], { cwd: work });
  });
  after(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  it('selects by branch and paths, by SemVer tag, skips work when no ref moved, and makes new Freight', async () => {
    await commit('apps/app.yaml', 'apps: v1');
    const appsCommit = await head();
    await git(['tag', 'v1.0.0'], { cwd: join(work, 'clone') });
    await commit('docs/readme.md', 'docs: typo');
    await git(['tag', '-a', 'v1.1.0', '-m', 'release 1.1.0'], { cwd: join(work, 'clone') });
    const docsCommit = await head();
    await push('main', '--tags');

    const discover = gitDiscoverer({
      cacheDir: join(work, 'cache'),
      memo: memoryGitMemo(),
      git: gitCli((args) => commands.push(args.find((a) => !a.startsWith('-')) ?? '')),
    });
    const apps = sub({ repoURL: url, branch: 'main', includePaths: ['apps/'] });
    const semver = sub({ repoURL: url, commitSelectionStrategy: 'SemVer' });
    const wh = warehouse(apps, semver);
    const now = new Date('2026-11-26T12:00:00Z');
    const first = await discoverWarehouse(wh, { listTags: fail, resolveTag: fail, getImageInfo: fail }, now, {
      cache: NO_CACHE,
      git: discover,
    });
    assert.deepEqual(first.errors, []);
    assert.deepEqual(
      first.commits?.map((c) => [c.id, c.branch ?? c.tag, c.message]),
      [
        [appsCommit, 'main', 'apps: v1'],
        [docsCommit, 'v1.1.0', 'docs: typo'],
      ],
    );
    // Candidates per subscription: branch commits touching apps/ (newest first), tags by version.
    assert.deepEqual(
      first.status.discoveredArtifacts?.git?.map((g) => g.commits.map((c) => c.tag ?? c.subject)),
      [
        ['apps: v1', INITIAL],
        ['v1.1.0', 'v1.0.0'],
      ],
    );
    assert.equal(
      first.status.lastFreightID,
      freightId({ origin: { kind: 'Warehouse', name: 'config' }, commits: first.commits }),
    );
    assert.deepEqual(commands.slice().sort(), [
      'fetch',
      'fetch',
      'for-each-ref',
      'init',
      'log',
      'ls-remote',
      'ls-remote',
    ]);

    // Nothing moved: two ls-remote calls and nothing else.
    commands.length = 0;
    const second = await discoverWarehouse(
      wh,
      { listTags: fail, resolveTag: fail, getImageInfo: fail },
      now,
      {
        git: discover,
      },
    );
    assert.deepEqual(commands, ['ls-remote', 'ls-remote']);
    assert.equal(second.status.lastFreightID, first.status.lastFreightID);

    // A new commit touching apps/ moves main: new Freight with Kargo's id for commits.
    await commit('apps/app.yaml', 'apps: v2');
    const newer = await head();
    await push('main');
    const third = await discoverWarehouse(wh, { listTags: fail, resolveTag: fail, getImageInfo: fail }, now, {
      git: discover,
    });
    assert.equal(third.commits?.[0]?.id, newer);
    const want = freightId({
      origin: { kind: 'Warehouse', name: 'config' },
      commits: [
        { repoURL: url, id: newer },
        { repoURL: url, id: docsCommit, tag: 'v1.1.0' },
      ],
    });
    assert.equal(third.status.lastFreightID, want);
    assert.notEqual(third.status.lastFreightID, first.status.lastFreightID);
  });

  it('marks a missing branch as the subscription problem', async () => {
    const discover = gitDiscoverer({ cacheDir: join(work, 'cache'), memo: memoryGitMemo() });
    const res = await discoverWarehouse(
      warehouse(sub({ repoURL: url, branch: 'nope' })),
      { listTags: fail, resolveTag: fail, getImageInfo: fail },
      new Date('2026-11-26T12:00:00Z'),
      { git: discover },
    );
    assert.deepEqual(res.errors, [
      `subscription 0 (${url}): the repository has no branch nope; push it or change the subscription's branch`,
    ]);
    assert.equal(res.status.health?.status, 'Unhealthy');
    assert.equal(res.commits, undefined);
  });
});

async function fail(): Promise<never> {
  throw new Error('no registry in git tests');
}
