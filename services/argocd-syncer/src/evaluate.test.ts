import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Application,
  authorizationProblem,
  desiredSources,
  evaluateOp,
  foreignOperation,
  OP_INFO_NAME,
  type SyncerOp,
  syncPatch,
} from './evaluate.ts';

const REV = 'd'.repeat(40);
const OLD = 'e'.repeat(40);
const op: SyncerOp = {
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
const done = { finishedAt: '2026-11-26T10:00:30Z' };
const reconciled = '2026-11-26T10:00:30Z';
const now = new Date('2026-11-26T10:01:00Z');
const synced = (health: string, extra: Record<string, unknown> = {}) =>
  app({
    reconciledAt: reconciled,
    sync: { status: 'Synced', revision: REV },
    health: { status: health, message: 'crash loop' },
    operationState: { phase: 'Succeeded', syncResult: { revision: REV }, ...done, ...ours },
    ...extra,
  });

test('operation verdicts follow Kargo: our operation done, reconciled since, Synced at the revision, Healthy', () => {
  const cases: Array<[string, SyncerOp, Application, string, string]> = [
    [
      'healthy at revision',
      op,
      synced('Healthy'),
      'Healthy',
      'argocd/demo-dev Synced and Healthy at ddddddd',
    ],
    [
      'reconciledAt older than finishedAt',
      op,
      synced('Healthy', { reconciledAt: '2026-11-26T10:00:10Z' }),
      'Running',
      'waiting for argocd/demo-dev to be reconciled after its sync',
    ],
    [
      'no reconciledAt yet',
      op,
      synced('Healthy', { reconciledAt: undefined }),
      'Running',
      'waiting for argocd/demo-dev to be reconciled after its sync',
    ],
    [
      'synced to another revision',
      op,
      synced('Healthy', {
        operationState: { phase: 'Succeeded', syncResult: { revision: OLD }, ...done, ...ours },
      }),
      'Failed',
      "argocd/demo-dev synced eeeeeee, not the desired revision ddddddd: check the source's targetRevision",
    ],
    [
      'not our operation yet',
      op,
      synced('Healthy', { operationState: { phase: 'Succeeded', ...done } }),
      'Running',
      'waiting for Argo CD to start the sync of argocd/demo-dev',
    ],
    [
      'operation requested, not picked up',
      op,
      { ...synced('Healthy'), operation: {} },
      'Running',
      'waiting for Argo CD to start the sync of argocd/demo-dev',
    ],
    [
      'our operation running',
      op,
      synced('Healthy', { operationState: { phase: 'Running', ...ours } }),
      'Running',
      'waiting for the sync of argocd/demo-dev (phase Running)',
    ],
    [
      'progressing',
      op,
      synced('Progressing'),
      'Running',
      'waiting for argocd/demo-dev to be Healthy (now Progressing)',
    ],
    [
      'suspended',
      op,
      synced('Suspended'),
      'Running',
      'waiting for argocd/demo-dev to be Healthy (now Suspended)',
    ],
    ['degraded', op, synced('Degraded'), 'Failed', 'argocd/demo-dev is Degraded at ddddddd: crash loop'],
    [
      'sync failed',
      op,
      app({
        sync: { status: 'OutOfSync' },
        operationState: { phase: 'Failed', message: 'bad manifest', ...ours },
      }),
      'Failed',
      'sync of argocd/demo-dev Failed: bad manifest',
    ],
    [
      'pending behind a foreign operation',
      { ...op, pending: true },
      app({ operationState: { phase: 'Running', operation: { initiatedBy: { username: 'alice' } } } }),
      'Running',
      'waiting for the operation started by alice on argocd/demo-dev to finish before syncing',
    ],
    [
      'multi-source: second source at the desired revision',
      { ...op, revisions: ['', REV] },
      synced('Healthy', {
        sync: { status: 'Synced', revisions: [OLD, REV] },
        operationState: { phase: 'Succeeded', syncResult: { revisions: [OLD, REV] }, ...done, ...ours },
      }),
      'Healthy',
      'argocd/demo-dev Synced and Healthy at eeeeeee, ddddddd',
    ],
    [
      'multi-source: second source elsewhere',
      { ...op, revisions: ['', REV] },
      synced('Healthy', {
        sync: { status: 'Synced', revisions: [REV, OLD] },
        operationState: { phase: 'Succeeded', syncResult: { revisions: [REV, OLD] }, ...done, ...ours },
      }),
      'Failed',
      "argocd/demo-dev synced eeeeeee for source 2, not the desired revision ddddddd: check the source's targetRevision",
    ],
    [
      'wait mode: someone else syncing',
      { ...op, mode: 'wait' },
      app({ operationState: { phase: 'Running' } }),
      'Running',
      'waiting for the running operation on argocd/demo-dev to finish',
    ],
    [
      'wait mode: any operation, Synced and Healthy',
      { ...op, mode: 'wait' },
      synced('Healthy', { operationState: { phase: 'Succeeded', ...done } }),
      'Healthy',
      'argocd/demo-dev Synced and Healthy at ddddddd',
    ],
    [
      'wait mode: OutOfSync',
      { ...op, mode: 'wait', revision: undefined },
      synced('Healthy', { sync: { status: 'OutOfSync', revision: OLD } }),
      'Running',
      'waiting for argocd/demo-dev to be Synced (now OutOfSync)',
    ],
  ];
  for (const [name, o, a, state, message] of cases) {
    assert.deepEqual(evaluateOp(o, a, now), { state, message }, name);
  }
  const late = evaluateOp(op, app({ sync: { status: 'OutOfSync' } }), new Date('2026-11-26T10:06:00Z'));
  assert.deepEqual(late, {
    state: 'Errored',
    message:
      'timed out waiting for argocd/demo-dev to be Synced and Healthy at ddddddd (now: sync OutOfSync at -, health Unknown; last: waiting for Argo CD to start the sync of argocd/demo-dev)',
  });
  // A verdict reached at the deadline still counts.
  assert.equal(evaluateOp(op, synced('Healthy'), new Date('2026-11-26T10:06:00Z')).state, 'Healthy');
});

test('foreign operations are told apart from ours', () => {
  const cases: Array<[string, Application, string | undefined]> = [
    ['none', app({}), undefined],
    [
      'finished',
      app({ operationState: { phase: 'Succeeded', operation: { initiatedBy: { username: 'bob' } } } }),
      undefined,
    ],
    ['ours running', app({ operationState: { phase: 'Running', ...ours } }), undefined],
    ['requested by bob', app({}, { operation: { initiatedBy: { username: 'bob' } } }), 'bob'],
    [
      'running for admin',
      app({ operationState: { phase: 'Running', operation: { initiatedBy: { username: 'admin' } } } }),
      'admin',
    ],
  ];
  for (const [name, a, want] of cases) assert.equal(foreignOperation(a, op.opId), want, name);
});

test('source updates as Kargo applies them', () => {
  const multi: Application = {
    metadata: { name: 'web', namespace: 'argocd' },
    spec: {
      sources: [
        { repoURL: 'https://git.example/config.git', targetRevision: 'main', path: 'dev' },
        {
          repoURL: 'https://charts.example',
          chart: 'web',
          targetRevision: '1.0.0',
          helm: { parameters: [{ name: 'image.tag', value: 'v1' }] },
        },
      ],
    },
  };
  const d = desiredSources(multi, [
    {
      repoURL: 'https://GIT.example/config/',
      desiredRevision: REV,
      kustomize: {
        images: [
          { repoURL: 'ghcr.io/acme/web', tag: 'v2' },
          { repoURL: 'ghcr.io/acme/api', digest: 'sha256:abc', newName: 'mirror/api' },
        ],
      },
    },
    {
      repoURL: 'https://charts.example',
      chart: 'web',
      desiredRevision: '1.1.0',
      updateTargetRevision: true,
      helm: {
        images: [
          { key: 'image.tag', value: 'v2' },
          { key: 'image.repo', value: 'ghcr.io/acme/web' },
        ],
      },
    },
  ]);
  assert.deepEqual(d, {
    multi: true,
    revisions: [REV, '1.1.0'],
    sources: [
      {
        repoURL: 'https://git.example/config.git',
        targetRevision: 'main',
        path: 'dev',
        kustomize: { images: ['ghcr.io/acme/web:v2', 'ghcr.io/acme/api=mirror/api@sha256:abc'] },
      },
      {
        repoURL: 'https://charts.example',
        chart: 'web',
        targetRevision: '1.1.0',
        helm: {
          parameters: [
            { name: 'image.tag', value: 'v2' },
            { name: 'image.repo', value: 'ghcr.io/acme/web' },
          ],
        },
      },
    ],
  });
  // An existing override of the same image is replaced, not duplicated.
  const single: Application = {
    metadata: { name: 'web', namespace: 'argocd' },
    spec: {
      source: { repoURL: 'https://git.example/config.git', kustomize: { images: ['ghcr.io/acme/web:v1'] } },
    },
  };
  const s = desiredSources(
    single,
    [
      {
        repoURL: 'https://git.example/config.git',
        kustomize: { images: [{ repoURL: 'ghcr.io/acme/web', tag: 'v3' }] },
      },
    ],
    OLD,
  );
  assert.deepEqual(s.sources[0]?.kustomize, { images: ['ghcr.io/acme/web:v3'] });
  assert.deepEqual(s.revisions, [OLD]);
  assert.throws(() => desiredSources(single, [{ repoURL: 'https://other.example/x.git', chart: 'c' }]), {
    code: 'ARGOCD_SOURCE_NOT_FOUND',
    message:
      'no source of Application argocd/web has repoURL https://other.example/x.git and chart "c": match apps[].sources[].repoURL (and chart) to the Application\'s source, not to the Warehouse',
  });
  assert.deepEqual(syncPatch({ opId: 'o', promotion: 'p', desired: d }), {
    metadata: { annotations: { 'argocd.argoproj.io/refresh': 'hard' } },
    spec: { sources: d.sources },
    operation: {
      initiatedBy: { username: 'ferry', automated: false },
      info: [
        { name: 'Reason', value: 'Promotion p triggered a sync of this Application' },
        { name: 'Promotion', value: 'p' },
        { name: OP_INFO_NAME, value: 'o' },
      ],
      sync: { revisions: [REV, '1.1.0'] },
    },
  });
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
