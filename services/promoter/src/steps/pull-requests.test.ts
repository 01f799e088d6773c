import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight } from '@ferry/contracts';
import type { Forge, MergeResult, NewPullRequest, PullRequest, RepoRef } from '@ferry/forge';
import { gitMergePR } from './git-merge-pr.ts';
import { gitOpenPR } from './git-open-pr.ts';
import { gitWaitForPR } from './git-wait-for-pr.ts';
import type { StepContext, StepRunner } from './types.ts';

const REPO = 'https://github.com/acme/gitops.git';

/** A hand-written in-memory forge. */
class FakeForge implements Forge {
  prs: PullRequest[] = [];
  created: NewPullRequest[] = [];
  mergeAnswer: MergeResult = { merged: true, commit: 'c'.repeat(40) };
  async findOpen(_repo: RepoRef, head: string, base: string) {
    return this.prs.find((p) => p.state === 'open' && p.head === head && p.base === base);
  }
  async create(_repo: RepoRef, pr: NewPullRequest) {
    this.created.push(pr);
    const made: PullRequest = {
      number: this.prs.length + 1,
      url: `https://github.com/acme/gitops/pull/${this.prs.length + 1}`,
      state: 'open',
      mergeCommit: undefined,
      head: pr.head,
      base: pr.base,
    };
    this.prs.push(made);
    return made;
  }
  async get(_repo: RepoRef, n: number) {
    const pr = this.prs.find((p) => p.number === n);
    if (!pr) throw new Error(`no pull request #${n}`);
    return pr;
  }
  async merge(_repo: RepoRef, _n: number) {
    return this.mergeAnswer;
  }
}

const freight = { alias: 'wild-otter', metadata: { name: 'f'.repeat(40) } } as Freight;

const context = (config: Record<string, unknown>, forge?: Forge): StepContext => ({
  project: 'demo',
  stage: 'prod',
  promotion: 'prod.01j',
  stepIndex: 0,
  alias: 'pr',
  freight,
  config,
  outputs: {},
  workspace: { checkouts: [], edits: [], messages: {} },
  results: { gitWrite: async () => undefined, argocdOp: async () => undefined },
  defaults: { argocdTimeoutSeconds: 300 },
  elapsedMs: 0,
  ...(forge ? { forge } : {}),
});

const open = { repoURL: REPO, sourceBranch: 'ferry/prod', targetBranch: 'main' };

test('git-open-pr opens one pull request and reuses it when run again', async () => {
  const forge = new FakeForge();
  const first = await gitOpenPR.run(context({ ...open, labels: ['ferry'] }, forge));
  assert.deepEqual(first, {
    status: 'Succeeded',
    outputs: { pr: { id: 1, url: 'https://github.com/acme/gitops/pull/1' } },
    message: 'opened pull request #1 from ferry/prod into main',
  });
  assert.deepEqual(forge.created, [
    {
      head: 'ferry/prod',
      base: 'main',
      title: 'Promote wild-otter to prod',
      description: `Promotion prod.01j of Freight wild-otter (${'f'.repeat(40)}) to Stage prod, opened by Ferry.`,
      labels: ['ferry'],
    },
  ]);
  const again = await gitOpenPR.run(context(open, forge));
  assert.equal(again.message, 'reused open pull request #1 from ferry/prod into main');
  assert.deepEqual(again.outputs, first.outputs);
  assert.equal(forge.created.length, 1);
});

test('pull-request steps: outcomes by pull request state (table)', async () => {
  const merged: PullRequest = {
    number: 7,
    url: 'u7',
    state: 'merged',
    mergeCommit: 'a'.repeat(40),
    head: 'h',
    base: 'b',
  };
  const closed: PullRequest = {
    number: 8,
    url: 'u8',
    state: 'closed',
    mergeCommit: undefined,
    head: 'h',
    base: 'b',
  };
  const openPR: PullRequest = {
    number: 9,
    url: 'u9',
    state: 'open',
    mergeCommit: undefined,
    head: 'h',
    base: 'b',
  };
  const cases: Array<{
    name: string;
    step: StepRunner;
    config: Record<string, unknown>;
    mergeAnswer?: MergeResult;
    want: Record<string, unknown>;
  }> = [
    {
      name: 'wait: merged',
      step: gitWaitForPR,
      config: { prNumber: 7 },
      want: {
        status: 'Succeeded',
        outputs: { commit: 'a'.repeat(40) },
        message: 'pull request #7 merged as aaaaaaa',
      },
    },
    {
      name: 'wait: closed',
      step: gitWaitForPR,
      config: { prNumber: 8 },
      want: { status: 'Failed', message: 'pull request #8 was closed without being merged' },
    },
    {
      name: 'wait: open',
      step: gitWaitForPR,
      config: { prNumber: 9 },
      want: { status: 'Running', message: 'waiting for pull request #9 to be merged (u9)' },
    },
    {
      name: 'merge: already merged',
      step: gitMergePR,
      config: { prNumber: 7 },
      want: {
        status: 'Succeeded',
        outputs: { commit: 'a'.repeat(40) },
        message: 'pull request #7 was already merged',
      },
    },
    {
      name: 'merge: closed',
      step: gitMergePR,
      config: { prNumber: 8 },
      want: { status: 'Failed', message: 'pull request #8 is closed; it cannot be merged' },
    },
    {
      name: 'merge: merges',
      step: gitMergePR,
      config: { prNumber: 9 },
      want: {
        status: 'Succeeded',
        outputs: { commit: 'c'.repeat(40) },
        message: 'merged pull request #9 as ccccccc',
      },
    },
    {
      name: 'merge: not mergeable, no wait',
      step: gitMergePR,
      config: { prNumber: 9 },
      mergeAnswer: { merged: false, reason: 'Pull Request is not mergeable' },
      want: {
        status: 'Failed',
        message: 'pull request #9 cannot be merged yet: Pull Request is not mergeable',
      },
    },
    {
      name: 'merge: not mergeable, wait',
      step: gitMergePR,
      config: { prNumber: 9, wait: true },
      mergeAnswer: { merged: false, reason: 'checks pending' },
      want: { status: 'Running', message: 'pull request #9 cannot be merged yet: checks pending' },
    },
  ];
  for (const c of cases) {
    const forge = new FakeForge();
    forge.prs = [merged, closed, openPR];
    if (c.mergeAnswer) forge.mergeAnswer = c.mergeAnswer;
    assert.deepEqual(await c.step.run(context({ repoURL: REPO, ...c.config }, forge)), c.want, c.name);
  }
});

test('pull-request steps: config errors name the key, a missing forge names the step', async () => {
  const cases: Array<{ step: StepRunner; config: Record<string, unknown>; forge: boolean; message: string }> =
    [
      {
        step: gitOpenPR,
        config: { ...open, provider: 'bitbucket' },
        forge: true,
        message: 'git-open-pr config: /provider: Expected union value',
      },
      {
        step: gitWaitForPR,
        config: { repoURL: REPO, prNumber: 0 },
        forge: true,
        message: 'git-wait-for-pr config: /prNumber: Expected integer to be greater or equal to 1',
      },
      {
        step: gitMergePR,
        config: { repoURL: REPO },
        forge: true,
        message: 'git-merge-pr config: /prNumber: Expected required property',
      },
      {
        step: gitWaitForPR,
        config: { repoURL: REPO, prNumber: 1 },
        forge: false,
        message: 'git-wait-for-pr: this promoter has no forge client; it cannot reach pull requests',
      },
    ];
  for (const c of cases) {
    await assert.rejects(c.step.run(context(c.config, c.forge ? new FakeForge() : undefined)), {
      message: c.message,
    });
  }
  assert.deepEqual(await gitOpenPR.run(context({ ...open, createTargetBranch: true }, new FakeForge())), {
    status: 'Errored',
    message: 'createTargetBranch: Ferry cannot create the target branch yet; push it first (git-push)',
  });
});
