/** git-clone (branches, commits, tags, create), git-push (sources, force, attempts) and git-tag, pure. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight, PromotionWorkspace, WriteGit } from '@ferry/contracts';
import type { GitWriteRecord } from '@ferry/store';
import { stepRegistry } from './registry.ts';
import type { StepContext, StepResult } from './types.ts';

const REPO = 'http://git.example/gitops.git';
const freight: Freight = {
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name: 'a'.repeat(40), namespace: 'demo' },
  alias: 'wild-otter',
  origin: { kind: 'Warehouse', name: 'app' },
  images: [],
  commits: [],
  charts: [],
  status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
};

const empty = (): PromotionWorkspace => ({ checkouts: [], edits: [], messages: {} });

async function run(
  uses: string,
  config: Record<string, unknown>,
  workspace: PromotionWorkspace = empty(),
  recorded?: GitWriteRecord,
  stepIndex = 3,
): Promise<{ result: StepResult; workspace: PromotionWorkspace; write?: WriteGit }> {
  const ctx: StepContext = {
    project: 'demo',
    stage: 'dev',
    promotion: 'dev.01',
    stepIndex,
    alias: `step-${stepIndex}`,
    freight,
    config,
    outputs: {},
    workspace,
    results: { gitWrite: async () => recorded, argocdOp: async () => undefined },
    defaults: { argocdTimeoutSeconds: 60 },
    elapsedMs: 0,
  };
  const result = await stepRegistry.get(uses)!.run(ctx);
  const cmd = result.commands?.[0];
  return { result, workspace: ctx.workspace, ...(cmd?.type === 'WriteGit' ? { write: cmd.payload } : {}) };
}

/** Kargo's "combining sources" layout: a tag, a commit of the Freight and a new Stage branch. */
async function cloned(): Promise<PromotionWorkspace> {
  const { result, workspace } = await run('git-clone', {
    repoURL: REPO,
    checkout: [
      { tag: 'v1.2.0', path: './src' },
      { commit: 'c'.repeat(40), path: './overlay' },
      { branch: 'stage/dev', create: true, path: './out' },
    ],
  });
  assert.equal(result.status, 'Succeeded');
  return workspace;
}

test('git-clone plans branch, commit and tag checkouts into their own paths', async () => {
  assert.deepEqual((await cloned()).checkouts, [
    { path: 'src', repoURL: REPO, tag: 'v1.2.0' },
    { path: 'overlay', repoURL: REPO, commit: 'c'.repeat(40) },
    { path: 'out', repoURL: REPO, branch: 'stage/dev', create: true },
  ]);
});

test('git-clone refuses what it cannot check out, naming the key', async () => {
  const cases: Array<{ checkout: unknown[]; message: string; author?: unknown }> = [
    {
      checkout: [{ branch: 'main', tag: 'v1', path: './a' }],
      message: 'checkout[0]: branch and tag are mutually exclusive; give one of branch, commit or tag',
    },
    {
      checkout: [{ commit: 'abc', create: true, path: './a' }],
      message: 'checkout[0].create: only a branch can be created; drop create or check out a branch',
    },
    {
      checkout: [
        { branch: 'main', path: './a' },
        { tag: 'v1', path: './a/b' },
      ],
      message: 'checkout[1].path: "./a/b" overlaps the checkout at a; give each checkout a path of its own',
    },
    {
      checkout: [
        { branch: 'main', path: './a' },
        { branch: 'main', path: './b' },
      ],
      message: 'checkout[1].branch: "main" is already checked out at a; a branch can be checked out once',
    },
    {
      checkout: [{ branch: 'main', path: '.' }],
      message: 'checkout[0].path: give a directory of the work tree, like ./out',
    },
    {
      checkout: [{ branch: 'main', path: './a' }],
      author: { signingKey: 'KEY' },
      message:
        "author.signingKey: Ferry signs commits with git-writer's key (FERRY_GIT_SIGNING_KEY_TYPE and FERRY_GIT_SIGNING_KEY_PATH), never with a key carried in a Promotion; remove author.signingKey",
    },
  ];
  for (const c of cases) {
    const { result, workspace } = await run('git-clone', {
      repoURL: REPO,
      checkout: c.checkout,
      ...(c.author ? { author: c.author } : {}),
    });
    assert.deepEqual(
      { status: result.status, message: result.message },
      { status: 'Errored', message: c.message },
    );
    assert.deepEqual(workspace.checkouts, [], 'nothing half-planned');
  }
  await assert.rejects(run('git-clone', { repoURL: REPO, checkout: [{ branch: 'main', path: '../up' }] }), {
    message: 'checkout[0].path: "../up" leaves the Promotion\'s work tree',
  });
});

test('copy from a tag checkout into a new branch; git-push carries the source with its earlier edits', async () => {
  const ws = await cloned();
  await run('yaml-update', { path: './src/base/values.yaml', updates: [{ key: 'a', value: 1 }] }, ws);
  await run('git-clear', { path: './out' }, ws);
  await run('copy', { inPath: './src/base', outPath: './out/base' }, ws);
  // An edit of the source after the copy does not reach the copied files.
  await run('yaml-update', { path: './src/late.yaml', updates: [{ key: 'b', value: 2 }] }, ws);
  const { result, write } = await run('git-push', { path: './out', maxAttempts: 500 }, ws);
  assert.equal(result.status, 'Running');
  assert.deepEqual(write, {
    project: 'demo',
    writeId: 'dev.01/3',
    stage: 'dev',
    promotion: 'dev.01',
    repoURL: REPO,
    sourceBranch: 'stage/dev',
    targetBranch: 'stage/dev',
    edits: [
      { kind: 'git-clear', path: '' },
      { kind: 'copy', inPath: 'base', outPath: 'base', fromCheckout: 'src' },
    ],
    message: 'Promote Freight wild-otter to dev',
    maxAttempts: 50,
    orphan: true,
    sources: [
      {
        path: 'src',
        repoURL: REPO,
        tag: 'v1.2.0',
        edits: [{ kind: 'yaml-update', path: 'base/values.yaml', updates: [{ key: 'a', value: 1 }] }],
      },
    ],
  });
});

test('copy into a read-only checkout is refused', async () => {
  const ws = await cloned();
  await assert.rejects(run('copy', { inPath: './out/a', outPath: './src/a' }, ws), {
    message:
      'outPath: "./src/a" is in the read-only checkout src (a commit or tag); copy into a branch checkout',
  });
});

test('git-push: generateTargetBranch forces kargo/promotion/<promotion>; forcePush forces; bad combinations error', async () => {
  const ws = await cloned();
  const gen = await run('git-push', { path: './out', generateTargetBranch: true }, structuredClone(ws));
  assert.equal(gen.write?.targetBranch, 'kargo/promotion/dev.01');
  assert.equal(gen.write?.force, true);
  assert.equal(gen.write?.maxAttempts, 10);
  const forced = await run(
    'git-push',
    { path: './out', forcePush: true, maxAttempts: 3 },
    structuredClone(ws),
  );
  assert.deepEqual(
    [forced.write?.targetBranch, forced.write?.force, forced.write?.maxAttempts],
    ['stage/dev', true, 3],
  );
  const both = await run('git-push', { path: './out', generateTargetBranch: true, targetBranch: 'x' }, ws);
  assert.equal(
    both.result.message,
    'targetBranch: mutually exclusive with generateTargetBranch: true; give one of them',
  );
  const tagged = await run('git-push', { path: './src' }, ws);
  assert.equal(
    tagged.result.message,
    'path: "./src" is a read-only checkout of tag v1.2.0; push a branch checkout (copy into it, create: true for a new branch)',
  );
});

test('git-push remembers the pushed commit for git-tag; git-tag tags it exactly once', async () => {
  const ws = await cloned();
  const pushed = await run('git-push', { path: './out' }, ws, {
    outcome: 'Committed',
    commit: 'd'.repeat(40),
    branch: 'stage/dev',
    repoURL: REPO,
    finishedAt: 'then',
    attempts: 1,
  });
  assert.equal(pushed.result.status, 'Succeeded');
  assert.deepEqual(pushed.workspace.pushed, { out: 'd'.repeat(40) });
  const { result, write } = await run(
    'git-tag',
    { path: './out', tag: 'dev-42' },
    pushed.workspace,
    undefined,
    4,
  );
  assert.equal(result.status, 'Running');
  assert.deepEqual(write?.tag, { name: 'dev-42', commit: 'd'.repeat(40) });
  assert.deepEqual([write?.writeId, write?.edits, write?.targetBranch], ['dev.01/4', [], 'stage/dev']);
  const done = await run('git-tag', { path: './out', tag: 'dev-42' }, pushed.workspace, {
    outcome: 'NoChange',
    commit: 'd'.repeat(40),
    branch: 'refs/tags/dev-42',
    repoURL: REPO,
    finishedAt: 'then',
    attempts: 1,
  });
  assert.deepEqual(done.result.outputs, { tag: 'dev-42', commit: 'd'.repeat(40) });
  const failed = await run('git-tag', { path: './out', tag: 'dev-42' }, pushed.workspace, {
    outcome: 'Failed',
    commit: '',
    branch: 'refs/tags/dev-42',
    repoURL: REPO,
    message: 'tag "dev-42" already exists',
    finishedAt: 'then',
    attempts: 1,
  });
  assert.deepEqual([failed.result.status, failed.result.message], ['Errored', 'tag "dev-42" already exists']);
});

test('git-tag before any push: a tag checkout is tagged at its tag, a branch at its head', async () => {
  const ws = await cloned();
  assert.deepEqual((await run('git-tag', { path: './src', tag: 'x' }, ws)).write?.tag, {
    name: 'x',
    sourceTag: 'v1.2.0',
  });
  assert.deepEqual((await run('git-tag', { path: './overlay', tag: 'x' }, ws)).write?.tag, {
    name: 'x',
    commit: 'c'.repeat(40),
  });
  assert.deepEqual((await run('git-tag', { path: './out', tag: 'x' }, ws)).write?.tag, { name: 'x' });
  const bad = await run('git-tag', { path: './nowhere', tag: 'x' }, ws);
  assert.equal(
    bad.result.message,
    'path: "./nowhere" is not the root of a checkout of an earlier git-clone step',
  );
});
