import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PromotionStep, PromotionTask, PromotionVariable } from '@ferry/contracts';
import { type InflateResult, inflateTaskSteps, taskOutputs } from './tasks.ts';

const task = (name: string, vars: PromotionTask['spec']['vars'], steps: PromotionStep[]): PromotionTask => ({
  kind: 'PromotionTask',
  name,
  project: 'demo',
  spec: { vars, steps },
});

const deploy = task(
  'deploy',
  [{ name: 'image' }, { name: 'branch', value: 'main' }],
  [
    { uses: 'git-clone', as: 'clone', config: { repoURL: 'x' } },
    { uses: 'git-push', vars: [{ name: 'local', value: '1' }] },
  ],
);
const cluster: PromotionTask = {
  ...task('shared', [], [{ uses: 'git-push' }]),
  kind: 'ClusterPromotionTask',
  project: '',
};

const lookup = async (ref: { name: string; kind?: string }) =>
  ref.kind === 'ClusterPromotionTask'
    ? ref.name === 'shared'
      ? cluster
      : undefined
    : ref.name === 'deploy'
      ? deploy
      : undefined;

describe('inflateTaskSteps', () => {
  const cases: Array<[string, PromotionStep[], PromotionVariable[] | undefined, InflateResult]> = [
    ['no task steps: unchanged', [{ uses: 'git-push' }], undefined, { steps: [{ uses: 'git-push' }] }],
    [
      'a task with its required input given, default aliases',
      [{ uses: 'copy' }, { uses: '', task: { name: 'deploy' }, vars: [{ name: 'image', value: 'app' }] }],
      undefined,
      {
        steps: [
          { uses: 'copy', as: 'step-0' },
          {
            uses: 'git-clone',
            as: 'task-1::clone',
            config: { repoURL: 'x' },
            vars: [
              { name: 'branch', value: 'main' },
              { name: 'image', value: 'app' },
            ],
          },
          {
            uses: 'git-push',
            as: 'task-1::step-1',
            vars: [
              { name: 'branch', value: 'main' },
              { name: 'image', value: 'app' },
              { name: 'local', value: '1' },
            ],
          },
        ],
      },
    ],
    [
      'template vars set an input: no default, and they satisfy a required one',
      [{ uses: '', as: 'd', task: { name: 'deploy', kind: 'PromotionTask' } }],
      [
        { name: 'image', value: 'app' },
        { name: 'branch', value: 'dev' },
      ],
      {
        steps: [
          { uses: 'git-clone', as: 'd::clone', config: { repoURL: 'x' } },
          { uses: 'git-push', as: 'd::step-1', vars: [{ name: 'local', value: '1' }] },
        ],
      },
    ],
    [
      'a ClusterPromotionTask',
      [{ uses: '', as: 'c', task: { name: 'shared', kind: 'ClusterPromotionTask' } }],
      undefined,
      { steps: [{ uses: 'git-push', as: 'c::step-0' }] },
    ],
    [
      'a required input missing',
      [{ uses: '', as: 'd', task: { name: 'deploy' }, vars: [{ name: 'image', value: '' }] }],
      undefined,
      {
        problem: `step 1 (d): PromotionTask "deploy" needs a value for its input "image": give it in the step's vars`,
      },
    ],
    [
      'an unknown PromotionTask',
      [{ uses: 'copy' }, { uses: '', task: { name: 'nope' } }],
      undefined,
      {
        problem: `step 2 (task-1): PromotionTask "nope" not found in the Promotion's project: apply it first`,
      },
    ],
    [
      'an unknown ClusterPromotionTask',
      [{ uses: '', task: { name: 'nope', kind: 'ClusterPromotionTask' } }],
      undefined,
      { problem: 'step 1 (task-0): ClusterPromotionTask "nope" not found: apply it first' },
    ],
  ];
  for (const [name, steps, vars, want] of cases) {
    it(name, async () => {
      assert.deepEqual(await inflateTaskSteps(steps, vars, lookup), want);
    });
  }
});

describe('taskOutputs', () => {
  const outputs = { 'd::clone': { a: 1 }, 'd::push': { b: 2 }, 'e::clone': { c: 3 }, clone: { d: 4 } };
  const cases: Array<[string, Record<string, unknown>]> = [
    ['d::push', { clone: { a: 1 }, push: { b: 2 } }],
    ['e::x', { clone: { c: 3 } }],
    ['clone', {}],
  ];
  for (const [alias, want] of cases) {
    it(alias, () => assert.deepEqual(taskOutputs(alias, outputs), want));
  }
});
