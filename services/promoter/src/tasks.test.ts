import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight, Promotion, PromotionStep, PromotionTask } from '@ferry/contracts';
import { inflateTaskSteps } from '@ferry/kargo';
import { advancePromotion } from './execute.ts';
import type { ResultPort } from './steps/types.ts';

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

/** Outcomes of other services: none, since these steps plan nothing. */
const results: ResultPort = { gitWrite: async () => undefined, argocdOp: async () => undefined };

/* biome-ignore-start lint/suspicious/noTemplateCurlyInString: Kargo expressions, evaluated by Ferry */
const task: PromotionTask = {
  kind: 'PromotionTask',
  name: 'greet',
  project: 'demo',
  spec: {
    vars: [{ name: 'who' }, { name: 'greeting', value: 'hello' }],
    steps: [
      { uses: 'compose-output', as: 'first', config: { text: '${{ vars.greeting }} ${{ vars.who }}' } },
      { uses: 'compose-output', as: 'second', config: { again: '${{ task.outputs.first.text }}!' } },
    ],
  },
};
const template: PromotionStep[] = [
  { uses: '', as: 'g', task: { name: 'greet' }, vars: [{ name: 'who', value: '${{ ctx.stage }}' }] },
  { uses: 'compose-output', as: 'after', config: { seen: "${{ outputs['g::second'].again }}" } },
];
/* biome-ignore-end lint/suspicious/noTemplateCurlyInString: Kargo expressions */

test('an inflated task runs with its inputs and sees its own steps as task.outputs', async () => {
  const inflated = await inflateTaskSteps(template, undefined, async () => task);
  assert.ok('steps' in inflated);
  const promotion: Promotion = {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Promotion',
    metadata: { name: 'dev.01j0000000000000000000000.aaaaaaa', namespace: 'demo' },
    spec: { stage: 'dev', freight: freight.metadata.name, steps: inflated.steps },
    status: { phase: 'Pending', currentStep: 0, stepExecutionMetadata: [], state: {}, revision: 0 },
  };
  const { status } = await advancePromotion(promotion, freight, results, new Date('2026-11-26T10:00:00Z'), {
    argocdTimeoutSeconds: 300,
  });
  assert.equal(status.phase, 'Succeeded', status.message);
  assert.deepEqual(
    status.stepExecutionMetadata.map((s) => `${s.alias} ${s.status}`),
    ['g::first Succeeded', 'g::second Succeeded', 'after Succeeded'],
  );
  assert.deepEqual(status.state, {
    'g::first': { text: 'hello dev' },
    'g::second': { again: 'hello dev!' },
    after: { seen: 'hello dev!' },
  });
});

test('a step outside a task has no task.outputs', async () => {
  const promotion: Promotion = {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Promotion',
    metadata: { name: 'dev.01j0000000000000000000000.bbbbbbb', namespace: 'demo' },
    spec: {
      stage: 'dev',
      freight: freight.metadata.name,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Kargo expression
      steps: [{ uses: 'compose-output', as: 'x', config: { a: '${{ task.outputs.y }}' } }],
    },
    status: { phase: 'Pending', currentStep: 0, stepExecutionMetadata: [], state: {}, revision: 0 },
  };
  const { status } = await advancePromotion(promotion, freight, results, new Date('2026-11-26T10:00:00Z'), {
    argocdTimeoutSeconds: 300,
  });
  assert.equal(status.phase, 'Errored');
  assert.equal(
    status.stepExecutionMetadata[0]?.message,
    'steps[0].config.a: unknown name "task" in expression (known: ctx, vars, outputs)',
  );
});
