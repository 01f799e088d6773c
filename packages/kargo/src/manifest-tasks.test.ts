import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '@ferry/contracts';
import { parseManifests } from './manifest.ts';

const options = { knownProjects: new Set(['demo']) };

describe('PromotionTask manifests', () => {
  it('reads PromotionTasks, ClusterPromotionTasks and task steps of Stages', () => {
    const text = `apiVersion: kargo.akuity.io/v1alpha1
kind: PromotionTask
metadata:
  name: deploy
  namespace: demo
spec:
  vars:
    - name: image
    - name: branch
      value: main
  steps:
    - uses: git-clone
      as: clone
      config:
        repoURL: https://git.example/app.git
    - uses: git-push
      config:
        path: ./out
---
apiVersion: kargo.akuity.io/v1alpha1
kind: ClusterPromotionTask
metadata:
  name: shared
spec:
  steps:
    - uses: git-push
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: dev
  namespace: demo
spec:
  requestedFreight:
    - origin: { kind: Warehouse, name: app }
      sources: { direct: true }
  promotionTemplate:
    spec:
      steps:
        - task: { name: deploy }
          as: d
          vars:
            - name: image
              value: app
        - task: { name: shared, kind: ClusterPromotionTask }
`;
    const parsed = parseManifests(text, options);
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(parsed.promotionTasks, [
      {
        kind: 'PromotionTask',
        name: 'deploy',
        project: 'demo',
        spec: {
          vars: [{ name: 'image' }, { name: 'branch', value: 'main' }],
          steps: [
            { uses: 'git-clone', as: 'clone', config: { repoURL: 'https://git.example/app.git' } },
            { uses: 'git-push', config: { path: './out' } },
          ],
        },
      },
      {
        kind: 'ClusterPromotionTask',
        name: 'shared',
        project: '',
        spec: { vars: [], steps: [{ uses: 'git-push' }] },
      },
    ]);
    const stage = parsed.resources.find((r) => r.resource.kind === 'Stage')?.resource;
    assert.deepEqual(stage?.kind === 'Stage' ? stage.spec.promotionTemplate?.spec.steps : undefined, [
      { uses: '', as: 'd', vars: [{ name: 'image', value: 'app' }], task: { name: 'deploy' } },
      { uses: '', task: { name: 'shared', kind: 'ClusterPromotionTask' } },
    ]);
  });

  const head = (kind: string, ns?: string) =>
    `apiVersion: kargo.akuity.io/v1alpha1\nkind: ${kind}\nmetadata:\n  name: t\n${ns ? `  namespace: ${ns}\n` : ''}`;
  const cases: Array<[string, string, string[]]> = [
    [
      'no steps, a nested task, an input twice, no Project',
      `${head('PromotionTask')}spec:\n  vars:\n    - name: a\n    - name: a\n    - value: x\n  steps: []\n`,
      [
        'document 1 (PromotionTask "t", line 3): /metadata/namespace: required: the Project this PromotionTask belongs to',
        'document 1 (PromotionTask "t", line 8): /spec/vars/1/name: input "a" is declared twice',
        'document 1 (PromotionTask "t", line 9): /spec/vars/2/name: required: the name of the input',
        'document 1 (PromotionTask "t", line 10): /spec/steps: required: at least one step',
      ],
    ],
    [
      'a step of a task using a task; a ClusterPromotionTask with a namespace',
      `${head('ClusterPromotionTask', 'demo')}spec:\n  steps:\n    - task: { name: x }\n`,
      [
        'document 1 (ClusterPromotionTask "t", line 5): /metadata/namespace: a ClusterPromotionTask belongs to no Project: remove it',
        'document 1 (ClusterPromotionTask "t", line 8): /spec/steps/0/task: a PromotionTask step cannot itself use a task',
      ],
    ],
    [
      'an unknown Project, defined twice',
      `${head('PromotionTask', 'other')}spec:\n  steps: [{ uses: x }]\n---\n${head('PromotionTask', 'other')}spec:\n  steps: [{ uses: x }]\n`,
      [
        'document 1 (PromotionTask "t", line 5): /metadata/namespace: project "other" does not exist: apply its Project first or in the same file',
        'document 2 (PromotionTask "t", line 13): /metadata/namespace: project "other" does not exist: apply its Project first or in the same file',
        'document 2 (PromotionTask "t", line 12): /metadata/name: PromotionTask "t" of project "other" is defined twice',
      ],
    ],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => {
      assert.throws(
        () => parseManifests(text, options),
        (err: unknown) => {
          assert.ok(err instanceof ValidationError);
          assert.deepEqual(
            err.problems.map((p) => `${p.path}: ${p.message}`),
            want,
          );
          return true;
        },
      );
    });
  }
});
