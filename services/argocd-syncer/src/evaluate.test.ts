import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ArgoCDOpRecord } from '@ferry/store';
import { type Application, authorizationProblem, evaluateOp, OP_INFO_NAME } from './evaluate.ts';

const REV = 'd'.repeat(40);
const op: ArgoCDOpRecord = {
  opId: 'dev.x.aaaaaaa/4/0',
  project: 'demo',
  state: 'Running',
  appName: 'demo-dev',
  appNamespace: 'argocd',
  revision: REV,
  startedAt: '2026-11-26T10:00:00Z',
  deadline: '2026-11-26T10:05:00Z',
};
const app = (status: Application['status'], extra: Partial<Application> = {}): Application => ({
  metadata: { name: 'demo-dev', namespace: 'argocd' },
  status,
  ...extra,
});
const ours = { operation: { info: [{ name: OP_INFO_NAME, value: op.opId }] } };
const now = new Date('2026-11-26T10:01:00Z');

test('operation verdicts', () => {
  const cases: Array<[string, Application, string]> = [
    [
      'healthy at revision',
      app({
        sync: { status: 'Synced', revision: REV },
        health: { status: 'Healthy' },
        operationState: { phase: 'Succeeded', ...ours },
      }),
      'Healthy',
    ],
    [
      'healthy but old revision',
      app({
        sync: { status: 'Synced', revision: 'e'.repeat(40) },
        health: { status: 'Healthy' },
        operationState: { phase: 'Succeeded', ...ours },
      }),
      'Running',
    ],
    [
      'not our operation yet',
      app({
        sync: { status: 'Synced', revision: REV },
        health: { status: 'Healthy' },
        operationState: { phase: 'Succeeded' },
      }),
      'Running',
    ],
    [
      'operation still pending',
      app(
        {
          sync: { status: 'Synced', revision: REV },
          health: { status: 'Healthy' },
          operationState: { phase: 'Succeeded', ...ours },
        },
        { operation: {} },
      ),
      'Running',
    ],
    [
      'progressing',
      app({
        sync: { status: 'Synced', revision: REV },
        health: { status: 'Progressing' },
        operationState: { phase: 'Succeeded', ...ours },
      }),
      'Running',
    ],
    [
      'degraded',
      app({
        sync: { status: 'Synced', revision: REV },
        health: { status: 'Degraded', message: 'crash loop' },
        operationState: { phase: 'Succeeded', ...ours },
      }),
      'Failed',
    ],
    [
      'sync failed',
      app({
        sync: { status: 'OutOfSync' },
        operationState: { phase: 'Failed', message: 'bad manifest', ...ours },
      }),
      'Failed',
    ],
  ];
  for (const [name, a, want] of cases) assert.equal(evaluateOp(op, a, now).state, want, name);
  const late = evaluateOp(op, app({ sync: { status: 'OutOfSync' } }), new Date('2026-11-26T10:06:00Z'));
  assert.equal(late.state, 'Errored');
  assert.equal(
    late.message,
    'timed out waiting for argocd/demo-dev to be Synced and Healthy at ddddddd (now: sync OutOfSync at -, health Unknown)',
  );
});

test('authorization names the annotation to add', () => {
  const a = app({});
  assert.equal(
    authorizationProblem(a, 'demo', 'dev'),
    'Application argocd/demo-dev does not allow Stage dev of Project demo to sync it: add the annotation kargo.akuity.io/authorized-stage: "demo:dev"',
  );
  a.metadata.annotations = { 'kargo.akuity.io/authorized-stage': 'demo:uat' };
  assert.equal(
    authorizationProblem(a, 'demo', 'dev'),
    'Application argocd/demo-dev is authorized for "demo:uat", not "demo:dev": fix its kargo.akuity.io/authorized-stage annotation',
  );
  a.metadata.annotations = { 'kargo.akuity.io/authorized-stage': 'demo:dev' };
  assert.equal(authorizationProblem(a, 'demo', 'dev'), undefined);
});
