import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight } from '@ferry/contracts';
import { argocdUpdate, selectorLabel } from './argocd-update.ts';
import type { StepContext } from './types.ts';

const context = (config: Record<string, unknown>): StepContext => ({
  project: 'demo',
  stage: 'dev',
  promotion: 'dev.01j.abcdefa',
  stepIndex: 3,
  alias: 'sync',
  freight: { alias: 'wild-otter', metadata: { name: 'f' } } as Freight,
  config,
  outputs: { push: { commit: 'c'.repeat(40) } },
  workspace: { checkouts: [], edits: [], messages: {} },
  results: { gitWrite: async () => undefined, argocdOp: async () => undefined },
  defaults: { argocdTimeoutSeconds: 300 },
  elapsedMs: 0,
});

test('argocd-update: a selector becomes one SyncArgoCDApp carrying it', async () => {
  const selector = {
    matchLabels: { team: 'shop' },
    matchExpressions: [{ key: 'tier', operator: 'In' as const, values: ['web', 'api'] }],
  };
  const res = await argocdUpdate.run(context({ apps: [{ selector }, { name: 'db', namespace: 'ops' }] }));
  assert.equal(res.status, 'Running');
  assert.equal(
    res.message,
    'waiting for argocd/{team=shop,tier in (api,web)}, ops/db to be Synced and Healthy',
  );
  const [first, second] = res.commands ?? [];
  assert.deepEqual(first?.payload, {
    project: 'demo',
    opId: 'dev.01j.abcdefa/3/0',
    stage: 'dev',
    promotion: 'dev.01j.abcdefa',
    appName: 'team=shop,tier in (api,web)',
    appNamespace: 'argocd',
    selector,
    revision: 'c'.repeat(40),
    timeoutSeconds: 300,
  });
  const payload = second?.payload as { appName: string; selector?: unknown } | undefined;
  assert.equal(payload?.appName, 'db');
  assert.equal(payload?.selector, undefined);
});

test('argocd-update: bad app entries are Errored naming each field (table)', async () => {
  const cases: Array<{ apps: unknown[]; want: string }> = [
    {
      apps: [{ name: 'a', selector: { matchLabels: { x: 'y' } } }],
      want: 'invalid argocd-update config: apps[0]: name and selector are mutually exclusive; give one',
    },
    {
      apps: [{ namespace: 'argocd' }],
      want: 'invalid argocd-update config: apps[0]: needs name or selector',
    },
    {
      apps: [{ name: 'ok' }, { selector: {} }],
      want: 'invalid argocd-update config: apps[1].selector: needs matchLabels or matchExpressions',
    },
    {
      apps: [{ selector: { matchExpressions: [{ key: 'k', operator: 'In' }] } }],
      want: 'invalid argocd-update config: apps[0].selector.matchExpressions[0].values: operator In needs at least one value',
    },
    {
      apps: [{ selector: { matchExpressions: [{ key: 'k', operator: 'Exists', values: ['v'] }] } }],
      want: 'invalid argocd-update config: apps[0].selector.matchExpressions[0].values: must be empty for operator Exists',
    },
  ];
  for (const c of cases) {
    const res = await argocdUpdate.run(context({ apps: c.apps }));
    assert.deepEqual({ status: res.status, message: res.message }, { status: 'Errored', message: c.want });
  }
});

test('selectorLabel sorts so equal selectors read the same', () => {
  assert.equal(
    selectorLabel({
      matchLabels: { b: '2', a: '1' },
      matchExpressions: [
        { key: 'gone', operator: 'DoesNotExist' },
        { key: 'env', operator: 'NotIn', values: ['prod', 'dev'] },
        { key: 'has', operator: 'Exists' },
      ],
    }),
    '!gone,a=1,b=2,env notin (dev,prod),has',
  );
});
