import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FerryError,
  type Freight,
  type Project,
  type PromotionStep,
  type PromotionTask,
  type Stage,
  type WriteDiff,
  type WriteGit,
} from '@ferry/contracts';
import { buildPlan, type DiffPort, diffFiles, type PlanLookup, planSteps, redactConfig } from './plan.ts';

const IMAGE = 'registry.example/demo/app';
const REPO = 'http://git.example/gitops.git';
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

const DIFF = [
  'diff --git a/stages/dev/kustomization.yaml b/stages/dev/kustomization.yaml',
  '--- a/stages/dev/kustomization.yaml',
  '+++ b/stages/dev/kustomization.yaml',
  '@@ -3 +3 @@',
  '-  newTag: 1.1.0',
  '+  newTag: 1.2.0',
  'diff --git a/stages/dev/values.yaml b/stages/dev/values.yaml',
  '',
].join('\n');

/** A hand-written fake of git-writer's diff request: records the writes, answers `answer`. */
function fakeDiff(answer: Partial<WriteDiff> = {}): DiffPort & { calls: WriteGit[] } {
  const calls: WriteGit[] = [];
  const port = async (cmd: WriteGit): Promise<WriteDiff> => {
    calls.push(cmd);
    return {
      writeId: cmd.writeId,
      repoURL: cmd.repoURL,
      branch: cmd.targetBranch,
      base: 'c'.repeat(40),
      changed: true,
      diff: DIFF,
      message: 'updated',
      ...answer,
    };
  };
  return Object.assign(port, { calls });
}

/* biome-ignore-start lint/suspicious/noTemplateCurlyInString: Kargo expressions, evaluated by Ferry */
const STEPS: PromotionStep[] = [
  { uses: 'git-clone', config: { repoURL: REPO, checkout: [{ branch: 'main', path: './src' }] } },
  {
    uses: 'kustomize-set-image',
    as: 'image',
    config: { path: './src/stages/dev', images: [{ image: IMAGE }] },
  },
  {
    uses: 'yaml-update',
    as: 'values',
    config: {
      path: './src/stages/${{ ctx.stage }}/values.yaml',
      updates: [{ key: 'replicas', value: '${{ vars.replicas }}' }],
    },
  },
  { uses: 'git-commit', config: { path: './src', message: "${{ outputs['image'].commitMessage }}" } },
  { uses: 'git-push', as: 'push', config: { path: './src', targetBranch: 'env/${{ ctx.stage }}' } },
  {
    uses: 'http',
    as: 'notify',
    config: {
      method: 'POST',
      url: 'https://hooks.example/notify?token=s3cr3t&stage=${{ ctx.stage }}',
      headers: [
        { name: 'Authorization', value: 'Bearer abc123' },
        { name: 'Content-Type', value: 'application/json' },
      ],
      body: '${{ outputs.push.commit }}',
      outputs: [{ name: 'ticket', fromExpression: 'response.body.id' }],
    },
  },
  { uses: 'argocd-update', if: '${{ ctx.stage == "prod" }}', config: { apps: [{ name: 'demo-prod' }] } },
  { uses: 'argocd-update', as: 'sync', config: { apps: [{ name: 'demo-${{ ctx.stage }}' }] } },
];
/* biome-ignore-end lint/suspicious/noTemplateCurlyInString: Kargo expressions */

const input = (steps: PromotionStep[] = STEPS) => ({
  project: 'demo',
  stage: 'dev',
  promotion: 'dev.dry-run.aaaaaaa',
  freight,
  steps,
  vars: [{ name: 'replicas', value: '3' }],
});

describe('planSteps', () => {
  test('runs edit steps into a plan, diffs git-push, lists steps with effects, skips false ifs', async () => {
    const diff = fakeDiff();
    const { steps, warnings } = await planSteps(input(), diff);
    assert.deepEqual(
      steps.map((s) => [s.alias, s.uses, s.action]),
      [
        ['step-0', 'git-clone', 'planned'],
        ['image', 'kustomize-set-image', 'planned'],
        ['values', 'yaml-update', 'planned'],
        ['step-3', 'git-commit', 'planned'],
        ['push', 'git-push', 'diff'],
        ['notify', 'http', 'would-run'],
        ['step-6', 'argocd-update', 'skipped'],
        ['sync', 'argocd-update', 'would-run'],
      ],
    );
    // One write, with the edits of both edit steps and git-commit's message, to the evaluated branch.
    assert.equal(diff.calls.length, 1);
    const cmd = diff.calls[0]!;
    assert.equal(cmd.targetBranch, 'env/dev');
    assert.equal(cmd.sourceBranch, 'main');
    assert.equal(cmd.promotion, 'dev.dry-run.aaaaaaa');
    assert.equal(cmd.message, `Updated ./src/stages/dev/kustomization.yaml to use new image ${IMAGE}:1.2.0`);
    assert.deepEqual(cmd.edits, [
      { kind: 'kustomize-set-image', path: 'stages/dev', images: [{ name: IMAGE, newTag: '1.2.0' }] },
      { kind: 'yaml-update', path: 'stages/dev/values.yaml', updates: [{ key: 'replicas', value: '3' }] },
    ]);
    assert.deepEqual(steps[4]!.diff, {
      repoURL: REPO,
      branch: 'env/dev',
      base: 'c'.repeat(40),
      changed: true,
      files: ['stages/dev/kustomization.yaml', 'stages/dev/values.yaml'],
      diff: DIFF,
    });
    assert.equal(
      steps[4]!.message,
      `would push a commit "Updated ./src/stages/dev/kustomization.yaml to use new image ${IMAGE}:1.2.0" to env/dev (on ccccccc): updated`,
    );
    // Expressions evaluated, secrets redacted, the push's commit a placeholder the plan warns about.
    assert.deepEqual(steps[5]!.config, {
      method: 'POST',
      url: 'https://hooks.example/notify?token=***&stage=dev',
      headers: [
        { name: 'Authorization', value: '***' },
        { name: 'Content-Type', value: 'application/json' },
      ],
      body: '<dry-run: outputs.push.commit>',
      outputs: [{ name: 'ticket', fromExpression: 'response.body.id' }],
    });
    assert.deepEqual(steps[5]!.placeholders, ['<dry-run: outputs.push.commit>']);
    assert.deepEqual(warnings, [
      'step 6 (notify) uses outputs.push.commit, known only once step 5 (push) git-push has run; the plan shows "<dry-run: outputs.push.commit>" in its place',
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Kargo expression
    assert.equal(steps[6]!.message, 'its if (${{ ctx.stage == "prod" }}) is false');
    assert.equal(steps[6]!.config, undefined);
    assert.deepEqual(steps[7]!.config, { apps: [{ name: 'demo-dev' }] });
  });

  test('a bad expression is an error naming its path; later steps are skipped as after a failure', async () => {
    const steps: PromotionStep[] = [
      STEPS[0]!,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Kargo expression
      { uses: 'kustomize-set-image', config: { path: './src/x', images: [{ image: '${{ nope.x }}' }] } },
      { uses: 'git-push', config: { path: './src' } },
      { uses: 'argocd-update', if: 'always()', config: { apps: [{ name: 'a' }] } },
    ];
    const diff = fakeDiff();
    const plan = await planSteps(input(steps), diff);
    assert.deepEqual(
      plan.steps.map((s) => s.action),
      ['planned', 'error', 'skipped', 'would-run'],
    );
    assert.equal(
      plan.steps[1]!.error,
      'steps[1].config.images[0].image: unknown name "nope" in expression (known: ctx, vars, outputs)',
    );
    assert.equal(plan.steps[2]!.message, 'an earlier step would fail the Promotion');
    assert.equal(diff.calls.length, 0);
  });

  test('config errors, unknown steps and failed diffs are errors; continueOnError lets later steps run', async () => {
    const steps: PromotionStep[] = [
      STEPS[0]!,
      { uses: 'git-commit', continueOnError: true, config: { path: './elsewhere' } },
      { uses: 'no-such-step', continueOnError: true },
      { uses: 'git-push', config: { path: './src' } },
    ];
    const plan = await planSteps(input(steps), fakeDiff({ error: 'cannot write: no file stages/x' }));
    assert.deepEqual(
      plan.steps.map((s) => [s.action, s.error]),
      [
        ['planned', undefined],
        ['error', 'path: "./elsewhere" is not the root of a checkout of an earlier git-clone step'],
        [
          'error',
          `unknown step "no-such-step"; this release runs: ${plan.steps[2]!.error?.split('runs: ')[1]}`,
        ],
        ['error', 'cannot write: no file stages/x'],
      ],
    );
    assert.match(plan.steps[2]!.error!, /runs: git-clone, kustomize-set-image/);
  });

  test('git-open-pr of a pushed branch carries that push diff; its pr output is a placeholder', async () => {
    const steps: PromotionStep[] = [
      STEPS[0]!,
      STEPS[1]!,
      { uses: 'git-push', as: 'push', config: { path: './src', generateTargetBranch: true } },
      {
        uses: 'git-open-pr',
        as: 'pr',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Kargo expression
        config: { repoURL: `${REPO}/`, sourceBranch: '${{ outputs.push.branch }}', targetBranch: 'main' },
      },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Kargo expression
      { uses: 'git-wait-for-pr', config: { repoURL: REPO, prNumber: '${{ outputs.pr.pr }}' } },
    ];
    const plan = await planSteps(input(steps), fakeDiff());
    assert.deepEqual(
      plan.steps.map((s) => s.action),
      ['planned', 'planned', 'diff', 'diff', 'would-run'],
    );
    assert.equal(plan.steps[2]!.diff?.branch, 'kargo/promotion/dev.dry-run.aaaaaaa');
    assert.equal(plan.steps[3]!.diff?.branch, 'kargo/promotion/dev.dry-run.aaaaaaa -> main');
    assert.equal(plan.steps[3]!.diff?.diff, DIFF);
    assert.deepEqual(plan.steps[4]!.placeholders, ['<dry-run: outputs.pr.pr>']);
  });
});

test("secret('name') reads *** in a dry run, never the Secret", async () => {
  const steps: PromotionStep[] = [
    {
      uses: 'http',
      config: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Kargo expression
        url: "https://hooks.example/${{ secret('slack').path }}",
      },
    },
  ];
  const plan = await planSteps(input(steps), fakeDiff());
  assert.equal(plan.steps[0]!.action, 'would-run');
  assert.equal((plan.steps[0]!.config as { url: string }).url, 'https://hooks.example/***');
});

describe('redactConfig', () => {
  const cases: Array<[string, unknown, unknown]> = [
    [
      'secret-looking keys',
      { password: 'p', apiKey: 'k', user: 'u' },
      { password: '***', apiKey: '***', user: 'u' },
    ],
    [
      'URL user-info',
      { repoURL: 'https://bot:tok@git.example/r.git' },
      { repoURL: 'https://***@git.example/r.git' },
    ],
    ['secret query parameters', 'https://h/x?access_token=abc&x=1', 'https://h/x?access_token=***&x=1'],
    ['name/value pairs', [{ name: 'X-Api-Key', value: 'k' }], [{ name: 'X-Api-Key', value: '***' }]],
    ['plain values', { name: 'demo', replicas: 3 }, { name: 'demo', replicas: 3 }],
  ];
  for (const [what, value, want] of cases) test(what, () => assert.deepEqual(redactConfig(value), want));
});

test('diffFiles lists the new paths of a unified diff', () => {
  assert.deepEqual(diffFiles(DIFF), ['stages/dev/kustomization.yaml', 'stages/dev/values.yaml']);
  assert.deepEqual(diffFiles(''), []);
});

describe('buildPlan', () => {
  const stage: Stage = {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Stage',
    metadata: { name: 'dev', namespace: 'demo' },
    spec: {
      requestedFreight: [
        { origin: { kind: 'Warehouse', name: 'app' }, sources: { direct: true, stages: [] } },
      ],
      promotionTemplate: {
        spec: {
          vars: [{ name: 'replicas', value: '1' }],
          steps: [{ uses: '', task: { name: 'update' }, as: 'up' }, STEPS[3]!, STEPS[4]!],
        },
      },
    },
  };
  const task: PromotionTask = {
    kind: 'PromotionTask',
    name: 'update',
    project: 'demo',
    spec: { vars: [], steps: [STEPS[0]!, STEPS[1]!, STEPS[2]!] },
  };
  const lookup = (over: Partial<PlanLookup> = {}): PlanLookup => ({
    getProject: async (n) => (n === 'demo' ? ({ metadata: { name: n } } as Project) : undefined),
    getStage: async (_p, n) => (n === 'dev' ? stage : undefined),
    getFreight: async (_p, id) => (id === freight.metadata.name ? freight : undefined),
    getFreightByAlias: async (_p, a) => (a === freight.alias ? freight : undefined),
    getPromotionTask: async (_p, n) => (n === 'update' ? task : undefined),
    ...over,
  });
  const now = new Date('2026-01-01T00:00:00Z');

  test('builds the steps as a Promotion would (tasks inflated, request vars last) and plans them', async () => {
    const diff = fakeDiff();
    const plan = await buildPlan(
      { project: 'demo', stage: 'dev', freight: 'wild-otter', vars: [{ name: 'replicas', value: '5' }] },
      lookup(),
      diff,
      now,
    );
    assert.equal(plan.promotion, 'dev.dry-run.aaaaaaa');
    assert.deepEqual(plan.freight, { id: freight.metadata.name, alias: 'wild-otter' });
    assert.deepEqual(
      plan.steps.map((s) => [s.alias, s.action]),
      [
        ['up::step-0', 'planned'],
        ['up::image', 'planned'],
        ['up::values', 'planned'],
        ['step-1', 'planned'],
        ['push', 'diff'],
      ],
    );
    assert.deepEqual(diff.calls[0]!.edits[1], {
      kind: 'yaml-update',
      path: 'stages/dev/values.yaml',
      updates: [{ key: 'replicas', value: '5' }],
    });
    assert.deepEqual(plan.warnings, []);
  });

  test('Freight not available to the Stage is planned with a warning', async () => {
    const other = { ...freight, origin: { kind: 'Warehouse' as const, name: 'other' } };
    const plan = await buildPlan(
      { project: 'demo', stage: 'dev', freight: freight.metadata.name },
      lookup({ getFreight: async () => other }),
      fakeDiff(),
      now,
    );
    assert.deepEqual(plan.warnings, [
      'a real Promotion would fail at once: Stage "dev" does not request Freight from Warehouse "other" (FERRY_ERR_FREIGHT_NOT_AVAILABLE)',
    ]);
    assert.equal(plan.steps.length, 5);
  });

  const failures: Array<[string, Partial<PlanLookup>, string, string, string]> = [
    ['project', {}, 'nope', 'wild-otter', 'FERRY_ERR_PROJECT_NOT_FOUND: Project "nope" not found'],
    [
      'stage',
      { getStage: async () => undefined },
      'demo',
      'wild-otter',
      'FERRY_ERR_STAGE_NOT_FOUND: Stage "dev" not found in Project "demo"; list the Stages with "ferry get stages -p demo"',
    ],
    [
      'freight',
      {},
      'demo',
      'calm-heron',
      'FERRY_ERR_FREIGHT_NOT_FOUND: Freight "calm-heron" (an id or alias) not found in Project "demo"; list it with "ferry get freight -p demo"',
    ],
    [
      'task',
      { getPromotionTask: async () => undefined },
      'demo',
      'wild-otter',
      `FERRY_ERR_VALIDATION: cannot use the Stage's PromotionTasks: step 1 (up): PromotionTask "update" not found in the Promotion's project: apply it first`,
    ],
  ];
  for (const [what, over, project, f, want] of failures) {
    test(`a missing ${what} is a named error`, async () => {
      await assert.rejects(
        buildPlan({ project, stage: 'dev', freight: f }, lookup(over), fakeDiff(), now),
        (err) => {
          assert.ok(err instanceof FerryError);
          assert.equal(`${err.code}: ${err.message}`, want);
          return true;
        },
      );
    });
  }
});
