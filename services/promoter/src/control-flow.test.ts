/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Kargo expressions, evaluated by Ferry */
/** `if`, `continueOnError`, `retry` and `vars` through advancePromotion. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight, Promotion, PromotionStatus, PromotionStep, PromotionVariable } from '@ferry/contracts';
import { advancePromotion } from './execute.ts';
import type { ResultPort } from './steps/types.ts';

const freight: Freight = {
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name: 'a'.repeat(40), namespace: 'demo' },
  alias: 'wild-otter',
  origin: { kind: 'Warehouse', name: 'app' },
  images: [{ repoURL: 'registry.example/app', tag: '1.2.0', digest: 'sha256:d' }],
  commits: [],
  charts: [],
  status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
};

const promotion = (
  steps: PromotionStep[],
  status?: PromotionStatus,
  vars?: PromotionVariable[],
): Promotion => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Promotion',
  metadata: { name: 'prod.01', namespace: 'demo' },
  spec: { stage: 'prod', freight: freight.metadata.name, steps, ...(vars ? { vars } : {}) },
  status: status ?? { phase: 'Pending', currentStep: 0, stepExecutionMetadata: [], state: {}, revision: 0 },
});

const results: ResultPort = { gitWrite: async () => undefined, argocdOp: async () => undefined };
const t0 = new Date('2026-11-26T10:00:00Z');
const defaults = { argocdTimeoutSeconds: 300 };
const advance = (p: Promotion, now = t0) => advancePromotion(p, freight, results, now, defaults);
const out = (as: string, value: string): PromotionStep => ({ uses: 'compose-output', as, config: { value } });
const failing = (as: string, extra: Partial<PromotionStep> = {}): PromotionStep => ({
  uses: 'fail',
  as,
  config: { message: `${as} said no` },
  ...extra,
});
/** A step that errors: a config its schema refuses. */
const erroring = (as: string, extra: Partial<PromotionStep> = {}): PromotionStep => ({
  uses: 'compose-output',
  as,
  config: {},
  ...extra,
});

test('if, continueOnError and the failure functions decide which steps run', async () => {
  const cases: Array<{
    name: string;
    steps: PromotionStep[];
    statuses: string[];
    phase: string;
    message: string;
    /** Where the Promotion stops; default: after the last step. */
    currentStep?: number;
  }> = [
    {
      name: 'a false if skips the step',
      steps: [out('a', 'x'), { ...out('b', 'y'), if: "${{ ctx.stage == 'dev' }}" }, out('c', 'z')],
      statuses: ['Succeeded', 'Skipped', 'Succeeded'],
      phase: 'Succeeded',
      message: 'promoted Freight wild-otter to prod',
    },
    {
      name: 'a failure skips later plain steps, runs always() and failure(), and fails the Promotion',
      steps: [
        failing('f'),
        out('plain', 'x'),
        { ...out('cleanup', 'x'), if: '${{ always() }}' },
        { ...out('on-failure', 'x'), if: '${{ failure() }}' },
        { ...out('on-success', 'x'), if: '${{ success() }}' },
        { ...out('by-status', 'x'), if: "${{ status('f') == 'Failed' }}" },
      ],
      statuses: ['Failed', 'Skipped', 'Succeeded', 'Succeeded', 'Skipped', 'Succeeded'],
      phase: 'Failed',
      message: 'step 1 fail (f): f said no',
      currentStep: 0,
    },
    {
      name: 'continueOnError: the failure does not count',
      steps: [
        failing('f', { continueOnError: true }),
        out('plain', 'x'),
        { ...out('on-failure', 'x'), if: '${{ failure() }}' },
      ],
      statuses: ['Failed', 'Succeeded', 'Skipped'],
      phase: 'Succeeded',
      message: 'promoted Freight wild-otter to prod',
    },
    {
      name: 'an Errored step errors the Promotion',
      steps: [erroring('e'), out('plain', 'x')],
      statuses: ['Errored', 'Skipped'],
      phase: 'Errored',
      message:
        'step 1 compose-output (e): compose-output config: /: Expected object to have at least 1 properties',
      currentStep: 0,
    },
    {
      name: 'an if that is not a boolean errors the step',
      steps: [{ ...out('a', 'x'), if: '${{ ctx.stage }}' }],
      statuses: ['Errored'],
      phase: 'Errored',
      message:
        'step 1 compose-output (a): steps[0].if: "${{ ctx.stage }}" must be true or false; it came out "prod"',
      currentStep: 0,
    },
  ];
  for (const c of cases) {
    const { status } = await advance(promotion(c.steps));
    assert.deepEqual(
      status.stepExecutionMetadata.map((s) => s.status),
      c.statuses,
      c.name,
    );
    assert.equal(status.phase, c.phase, c.name);
    assert.equal(status.message, c.message, c.name);
    assert.equal(status.currentStep, c.currentStep ?? c.steps.length, c.name);
  }
});

test('outputs of earlier steps and vars reach later configs', async () => {
  const steps: PromotionStep[] = [
    out('first', '${{ vars.repo }}'),
    {
      uses: 'compose-output',
      as: 'second',
      vars: [{ name: 'suffix', value: '-${{ outputs.first.value }}' }],
      config: { value: '${{ vars.tag + vars.suffix }}', image: '${{ imageFrom(vars.repo).Tag }}' },
    },
  ];
  const vars = [
    { name: 'repo', value: 'registry.example/app' },
    { name: 'tag', value: 'v-${{ ctx.stage }}' },
  ];
  const { status } = await advance(promotion(steps, undefined, vars));
  assert.equal(status.phase, 'Succeeded');
  assert.deepEqual(status.state, {
    first: { value: 'registry.example/app' },
    second: { value: 'v-prod-registry.example/app', image: '1.2.0' },
  });
});

test('retry.errorThreshold tolerates Errored attempts, counting them in the status', async () => {
  const steps = [erroring('e', { retry: { errorThreshold: 3 } })];
  const first = await advance(promotion(steps));
  assert.equal(first.status.phase, 'Running');
  assert.equal(first.status.stepExecutionMetadata[0]!.errorCount, 1);
  assert.equal(
    first.status.message,
    'step 1 compose-output (e): attempt 1 of 3 errored: compose-output config: /: Expected object to have at least 1 properties; will retry',
  );
  const second = await advance(promotion(steps, first.status));
  assert.equal(second.status.phase, 'Running');
  assert.equal(second.status.stepExecutionMetadata[0]!.errorCount, 2);
  const third = await advance(promotion(steps, second.status));
  assert.equal(third.status.phase, 'Errored');
  assert.equal(third.status.stepExecutionMetadata[0]!.errorCount, 3);
  assert.equal(
    third.status.message,
    'step 1 compose-output (e): compose-output config: /: Expected object to have at least 1 properties',
  );
  // A fixed step (say, an output that now exists) succeeds on a later attempt and clears the count.
  const fixed = [{ ...out('e', 'ok'), retry: { errorThreshold: 3 } }];
  const recovered = await advance(promotion(fixed, second.status));
  assert.equal(recovered.status.phase, 'Succeeded');
  assert.equal(recovered.status.stepExecutionMetadata[0]!.errorCount, undefined);
});

test('retry.timeout overrides the step default timeout', async () => {
  const steps: PromotionStep[] = [
    { uses: 'argocd-update', retry: { timeout: '90s' }, config: { apps: [{ name: 'demo-prod' }] } },
  ];
  const first = await advance(promotion(steps));
  assert.equal(first.status.phase, 'Running');
  const soon = await advance(promotion(steps, first.status), new Date(t0.getTime() + 60_000));
  assert.equal(soon.status.phase, 'Running');
  const late = await advance(promotion(steps, first.status), new Date(t0.getTime() + 91_000));
  assert.equal(late.status.phase, 'Errored');
  assert.equal(late.status.message, 'step 1 argocd-update (step-0): timed out after 91s');
  const bad = await advance(promotion([{ ...steps[0]!, retry: { timeout: 'soon' } }]));
  assert.equal(
    bad.status.message,
    'step 1 argocd-update (step-0): steps[0].retry.timeout: "soon" is not a duration like 30s, 5m or 48h',
  );
});

test('set-metadata merges values on the Promotion status', async () => {
  const steps: PromotionStep[] = [
    { uses: 'set-metadata', config: { updates: [{ kind: 'Stage', name: 'prod', values: { a: 1, b: 1 } }] } },
    { uses: 'set-metadata', config: { updates: [{ kind: 'Stage', name: 'prod', values: { b: 2 } }] } },
  ];
  const { status } = await advance(promotion(steps));
  assert.deepEqual(status.metadata, { 'Stage/prod': { a: 1, b: 2 } });
});

test("secret('name') reads the Project's generic Secret through the result port, once per name", async () => {
  const asked: string[] = [];
  const withSecrets: ResultPort = {
    ...results,
    secret: async (name) => {
      asked.push(name);
      return name === 'slack' ? { token: 's3cret' } : undefined;
    },
  };
  const r = await advancePromotion(
    promotion([out('a', "${{ secret('slack').token }}"), out('b', "x-${{ secret('slack').token }}")]),
    freight,
    withSecrets,
    t0,
    defaults,
  );
  assert.deepEqual(asked, ['slack']);
  assert.equal(r.status.phase, 'Succeeded');
  assert.deepEqual(r.status.state.b, { value: 'x-s3cret' });
});
