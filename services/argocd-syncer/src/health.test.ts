/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Kargo expressions, evaluated by Ferry */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Stage } from '@ferry/contracts';
import type { Application } from './evaluate.ts';
import { appHealth, healthFingerprint, selectorMatches, stageAppRefs, stageHealth } from './health.ts';

const REV = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);
const ref = { namespace: 'argocd', name: 'web' };
const app = (status: Application['status'], extra: Partial<Application> = {}): Application => ({
  metadata: { name: 'web', namespace: 'argocd' },
  status,
  ...extra,
});
const settled = {
  reconciledAt: '2026-01-01T10:00:05Z',
  operationState: { phase: 'Succeeded', finishedAt: '2026-01-01T10:00:00Z' },
  sync: { status: 'Synced', revision: REV },
};

test('app health follows Kargo’s Argo CD health checker (table)', () => {
  const cases: Array<{ name: string; app?: Application; desired?: string[]; state: string; issue?: string }> =
    [
      {
        name: 'missing',
        state: 'Unknown',
        issue: 'unable to find Argo CD Application "web" in namespace "argocd"',
      },
      { name: 'healthy', app: app({ ...settled, health: { status: 'Healthy' } }), state: 'Healthy' },
      {
        name: 'degraded later',
        app: app({ ...settled, health: { status: 'Degraded', message: 'crash loop' } }),
        state: 'Unhealthy',
        issue: 'Argo CD Application "web" in namespace "argocd" has health state "Degraded": crash loop',
      },
      {
        name: 'progressing',
        app: app({ ...settled, health: { status: 'Progressing' } }),
        state: 'Progressing',
        issue: 'Argo CD Application "web" in namespace "argocd" is progressing',
      },
      {
        name: 'suspended',
        app: app({ ...settled, health: { status: 'Suspended' } }),
        state: 'Progressing',
        issue: 'Argo CD Application "web" in namespace "argocd" is suspended',
      },
      {
        name: 'no health yet',
        app: app({ ...settled }),
        state: 'Progressing',
        issue: 'Argo CD Application "web" in namespace "argocd" is progressing',
      },
      {
        name: 'missing resources',
        app: app({ ...settled, health: { status: 'Missing' } }),
        state: 'Unhealthy',
        issue: 'Argo CD Application "web" in namespace "argocd" has health state "Missing"',
      },
      {
        name: 'not reconciled since the operation',
        app: app({ ...settled, reconciledAt: '2026-01-01T09:59:00Z', health: { status: 'Healthy' } }),
        state: 'Unknown',
        issue:
          'Argo CD Application "web" in namespace "argocd" was not reconciled after its most recent operation completed; its health is not trusted yet',
      },
      {
        name: 'comparison error',
        app: app({
          ...settled,
          health: { status: 'Healthy' },
          conditions: [{ type: 'ComparisonError', message: 'repo gone' }],
        }),
        state: 'Unhealthy',
        issue: 'Argo CD Application "web" in namespace "argocd" has "ComparisonError" condition: repo gone',
      },
      {
        name: 'synced elsewhere than desired',
        app: app({ ...settled, sync: { status: 'Synced', revision: OTHER }, health: { status: 'Healthy' } }),
        desired: [REV],
        state: 'Unhealthy',
        issue:
          'Argo CD Application "web" in namespace "argocd" is not synced to the desired revisions: source 1 is at bbbbbbb, not the desired aaaaaaa',
      },
      {
        name: 'being synced with a desired revision',
        app: app({ ...settled, health: { status: 'Healthy' } }, { operation: { sync: { revision: REV } } }),
        desired: [REV],
        state: 'Unknown',
        issue: 'Argo CD Application "web" in namespace "argocd" is being synced',
      },
      {
        name: 'at the desired revision',
        app: app({ ...settled, health: { status: 'Healthy' } }),
        desired: [REV],
        state: 'Healthy',
      },
    ];
  for (const c of cases) {
    const got = appHealth(ref, c.app, c.desired);
    assert.equal(got.app.state, c.state, c.name);
    assert.deepEqual(got.issues, c.issue ? [c.issue] : [], c.name);
  }
});

test('stage health is the worst app state; issues only when not Healthy', () => {
  const now = new Date('2026-01-01T10:00:00Z');
  const healthy = appHealth(ref, app({ ...settled, health: { status: 'Healthy' } }));
  const progressing = appHealth(
    { ...ref, name: 'api' },
    app({ ...settled, health: { status: 'Progressing' } }),
  );
  const degraded = appHealth({ ...ref, name: 'db' }, app({ ...settled, health: { status: 'Degraded' } }));
  assert.equal(stageHealth([healthy], now).status, 'Healthy');
  assert.deepEqual(stageHealth([healthy], now).issues, []);
  assert.equal(stageHealth([healthy, progressing], now).status, 'Progressing');
  const bad = stageHealth([degraded, progressing, healthy], now);
  assert.equal(bad.status, 'Unhealthy');
  assert.equal(bad.issues.length, 2);
  assert.deepEqual(
    bad.apps.map((a) => [a.name, a.state, a.healthStatus.status]),
    [
      ['db', 'Unhealthy', 'Degraded'],
      ['api', 'Progressing', 'Progressing'],
      ['web', 'Healthy', 'Healthy'],
    ],
  );
  // The fingerprint ignores when it was computed.
  assert.equal(
    healthFingerprint(bad),
    healthFingerprint(stageHealth([degraded, progressing, healthy], new Date())),
  );
});

test('the apps a Stage uses come from its argocd-update steps, with ctx and vars resolved', () => {
  const stage = {
    metadata: { name: 'uat' },
    spec: {
      requestedFreight: [],
      promotionTemplate: {
        spec: {
          vars: [{ name: 'app', value: 'shop' }],
          steps: [
            { uses: 'git-clone', config: {} },
            {
              uses: 'argocd-update',
              config: {
                apps: [
                  { name: '${{ vars.app }}-${{ ctx.stage }}' },
                  { name: 'db', namespace: 'data', cluster: 'east' },
                  { selector: { matchLabels: { team: 'shop' } } },
                  { name: '${{ outputs.x.name }}' },
                  { name: 'shop-uat' },
                ],
              },
            },
            { uses: 'argocd-wait', config: { apps: [{ name: 'ignored' }] } },
          ],
        },
      },
    },
  } as unknown as Stage;
  const { refs, problems } = stageAppRefs('demo', stage);
  assert.deepEqual(refs, [
    { namespace: 'argocd', name: 'shop-uat' },
    { namespace: 'data', cluster: 'east', name: 'db' },
    { namespace: 'argocd', selector: { matchLabels: { team: 'shop' } } },
  ]);
  assert.deepEqual(problems, [
    {
      path: 'spec.promotionTemplate.spec.steps[1].config.apps[3].name',
      message:
        '"${{ outputs.x.name }}" uses an expression that only a Promotion can evaluate (only ctx.project, ctx.stage and vars are known outside one), so its health is not watched',
    },
  ]);
});

test('label selectors match as Kubernetes matches them (table)', () => {
  const labels = { team: 'shop', tier: 'web' };
  const cases: Array<[Parameters<typeof selectorMatches>[0], boolean]> = [
    [{ matchLabels: { team: 'shop' } }, true],
    [{ matchLabels: { team: 'shop', tier: 'api' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    [{ matchExpressions: [{ key: 'team', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, false],
  ];
  for (const [sel, want] of cases) assert.equal(selectorMatches(sel, labels), want, JSON.stringify(sel));
});
