import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight, Promotion, PromotionStep } from '@ferry/contracts';
import type { ArgoCDOpRecord, GitWriteRecord } from '@ferry/store';
import { advancePromotion } from './execute.ts';
import { stepRegistry } from './steps/registry.ts';
import type { ResultPort } from './steps/types.ts';

const IMAGE = 'registry.example/demo/app';
const freight: Freight = {
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name: 'a'.repeat(40), namespace: 'demo' },
  alias: 'wild-otter',
  origin: { kind: 'Warehouse', name: 'app' },
  images: [{ repoURL: IMAGE, tag: '1.2.0', digest: `sha256:${'b'.repeat(64)}` }],
  commits: [],
  charts: [],
  status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
};

const STEPS: PromotionStep[] = [
  {
    uses: 'git-clone',
    config: { repoURL: 'http://git.example/gitops.git', checkout: [{ branch: 'main', path: './src' }] },
  },
  {
    uses: 'kustomize-set-image',
    as: 'update-image',
    config: { path: './src/stages/dev', images: [{ image: IMAGE }] },
  },
  {
    uses: 'git-commit',
    as: 'commit',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Kargo expression, evaluated by Ferry
    config: { path: './src', message: "${{ outputs['update-image'].commitMessage }}" },
  },
  { uses: 'git-push', as: 'push', config: { path: './src' } },
  { uses: 'argocd-update', config: { apps: [{ name: 'demo-dev' }] } },
];

const promotion = (steps: PromotionStep[] = STEPS): Promotion => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Promotion',
  metadata: { name: 'dev.01j0000000000000000000000.aaaaaaa', namespace: 'demo' },
  spec: { stage: 'dev', freight: freight.metadata.name, steps },
  status: { phase: 'Pending', currentStep: 0, stepExecutionMetadata: [], state: {}, revision: 0 },
});

/** A hand-written fake of the outcomes other services record. */
class FakeResults implements ResultPort {
  writes = new Map<string, GitWriteRecord>();
  ops = new Map<string, ArgoCDOpRecord>();
  async gitWrite(id: string) {
    return this.writes.get(id);
  }
  async argocdOp(id: string) {
    return this.ops.get(id);
  }
}

const now = new Date('2026-11-26T10:00:00Z');
const defaults = { argocdTimeoutSeconds: 300 };

test('runs the planning steps and waits at git-push with one WriteGit', async () => {
  const p = promotion();
  const { status, commands } = await advancePromotion(p, freight, new FakeResults(), now, defaults);
  assert.equal(status.phase, 'Running');
  assert.equal(status.currentStep, 3);
  assert.deepEqual(
    status.stepExecutionMetadata.map((s) => s.status),
    ['Succeeded', 'Succeeded', 'Succeeded', 'Running'],
  );
  assert.equal(commands.length, 1);
  const cmd = commands[0]!;
  assert.equal(cmd.type, 'WriteGit');
  assert.equal(cmd.msgId, `write-git:demo:${p.metadata.name}/3`);
  assert.deepEqual(cmd.payload, {
    project: 'demo',
    writeId: `${p.metadata.name}/3`,
    stage: 'dev',
    promotion: p.metadata.name,
    repoURL: 'http://git.example/gitops.git',
    sourceBranch: 'main',
    targetBranch: 'main',
    edits: [{ kind: 'kustomize-set-image', path: 'stages/dev', images: [{ name: IMAGE, newTag: '1.2.0' }] }],
    message: `Updated ./src/stages/dev/kustomization.yaml to use new image ${IMAGE}:1.2.0`,
    maxAttempts: 10,
  });
});

test('resumes after the push and waits for Argo CD at the pushed revision, then succeeds', async () => {
  const results = new FakeResults();
  const p = promotion();
  const first = await advancePromotion(p, freight, results, now, defaults);
  results.writes.set(`${p.metadata.name}/3`, {
    outcome: 'Committed',
    commit: 'c'.repeat(40),
    branch: 'main',
    repoURL: 'http://git.example/gitops.git',
    finishedAt: now.toISOString(),
    attempts: 1,
  });
  const second = await advancePromotion({ ...p, status: first.status }, freight, results, now, defaults);
  assert.equal(second.status.phase, 'Running');
  assert.equal(second.status.currentStep, 4);
  assert.deepEqual(second.status.state.push, { branch: 'main', commit: 'c'.repeat(40) });
  assert.equal(second.commands.length, 1);
  assert.equal(second.commands[0]!.type, 'SyncArgoCDApp');
  assert.deepEqual(second.commands[0]!.payload, {
    project: 'demo',
    opId: `${p.metadata.name}/4/0`,
    stage: 'dev',
    promotion: p.metadata.name,
    appName: 'demo-dev',
    appNamespace: 'argocd',
    revision: 'c'.repeat(40),
    timeoutSeconds: 300,
  });
  results.ops.set(`${p.metadata.name}/4/0`, {
    opId: `${p.metadata.name}/4/0`,
    project: 'demo',
    state: 'Healthy',
    appName: 'demo-dev',
    appNamespace: 'argocd',
    startedAt: now.toISOString(),
    deadline: now.toISOString(),
  });
  const third = await advancePromotion({ ...p, status: second.status }, freight, results, now, defaults);
  assert.equal(third.status.phase, 'Succeeded');
  assert.equal(third.status.message, 'promoted Freight wild-otter to dev');
  assert.equal(third.commands.length, 0);
});

test('outcomes map to distinct phases', async () => {
  const cases: Array<{ name: string; steps: PromotionStep[]; phase: string; message: string }> = [
    {
      name: 'unknown step',
      steps: [{ uses: 'helm-template' }],
      phase: 'Errored',
      message: `step 1 helm-template (step-0): unknown step "helm-template"; this release runs: ${[...stepRegistry.keys()].join(', ')}`,
    },
    {
      name: 'bad config names the key',
      steps: [{ uses: 'git-clone', config: { repoURL: 'x' } }],
      phase: 'Errored',
      message: 'step 1 git-clone (step-0): git-clone config: /checkout: Expected required property',
    },
    {
      name: 'path outside any checkout',
      steps: [{ uses: 'kustomize-set-image', config: { path: './elsewhere' } }],
      phase: 'Errored',
      message:
        'step 1 kustomize-set-image (step-0): path: "./elsewhere" is not inside a checkout of an earlier git-clone step (checkouts: none)',
    },
    {
      name: 'path escaping the work tree',
      steps: [{ uses: 'git-clone', config: { repoURL: 'x', checkout: [{ branch: 'main', path: '../up' }] } }],
      phase: 'Errored',
      message: 'step 1 git-clone (step-0): checkout[0].path: "../up" leaves the Promotion\'s work tree',
    },
    {
      name: 'unknown function in an expression',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Kargo expression, evaluated by Ferry
      steps: [{ uses: 'git-clone', config: { repoURL: '${{ env("X") }}', checkout: [] } }],
      phase: 'Errored',
      message:
        'step 1 git-clone (step-0): steps[0].config.repoURL: unknown function "env" in expression (known: quote, imageFrom, commitFrom, chartFrom, warehouse, secret, semverParse, semverDiff, success, failure, always, status)',
    },
  ];
  for (const c of cases) {
    const { status } = await advancePromotion(promotion(c.steps), freight, new FakeResults(), now, defaults);
    assert.equal(status.phase, c.phase, c.name);
    assert.equal(status.message, c.message, c.name);
  }
});

test('a failed Argo CD sync fails the Promotion, a timeout errors it', async () => {
  const steps: PromotionStep[] = [
    { uses: 'argocd-update', config: { apps: [{ name: 'a', namespace: 'ns' }] } },
  ];
  for (const [state, phase] of [
    ['Failed', 'Failed'],
    ['Errored', 'Errored'],
  ] as const) {
    const results = new FakeResults();
    const p = promotion(steps);
    results.ops.set(`${p.metadata.name}/0/0`, {
      opId: `${p.metadata.name}/0/0`,
      project: 'demo',
      state,
      appName: 'a',
      appNamespace: 'ns',
      message: 'Degraded',
      startedAt: now.toISOString(),
      deadline: now.toISOString(),
    });
    const { status } = await advancePromotion(p, freight, results, now, defaults);
    assert.equal(status.phase, phase);
    assert.equal(status.message, 'step 1 argocd-update (step-0): Application ns/a: Degraded');
  }
});
