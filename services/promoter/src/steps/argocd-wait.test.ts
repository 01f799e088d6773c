import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight } from '@ferry/contracts';
import type { ArgoCDOpRecord } from '@ferry/store';
import { argocdWait } from './argocd-wait.ts';
import type { StepContext } from './types.ts';

const PROMOTION = 'uat.01j.abcdefa';

const context = (
  config: Record<string, unknown>,
  ops: Record<string, Partial<ArgoCDOpRecord>> = {},
): StepContext => ({
  project: 'demo',
  stage: 'uat',
  promotion: PROMOTION,
  stepIndex: 4,
  alias: 'wait',
  freight: { alias: 'wild-otter', metadata: { name: 'f' } } as Freight,
  config,
  outputs: {},
  workspace: { checkouts: [], edits: [], messages: {} },
  results: {
    gitWrite: async () => undefined,
    argocdOp: async (opId) => {
      const op = ops[opId];
      return op && ({ opId, project: 'demo', appName: '', appNamespace: 'argocd', ...op } as ArgoCDOpRecord);
    },
  },
  defaults: { argocdTimeoutSeconds: 300 },
  elapsedMs: 0,
});

test('argocd-wait: a selector becomes one wait command carrying it, beside a named app', async () => {
  const selector = {
    matchLabels: { environment: 'staging' },
    matchExpressions: [{ key: 'tier', operator: 'NotIn' as const, values: ['batch'] }],
  };
  const res = await argocdWait.run(
    context({
      apps: [
        { selector, namespace: 'apps' },
        { name: 'db', cluster: 'east' },
      ],
    }),
  );
  assert.equal(res.status, 'Running');
  assert.equal(
    res.message,
    'waiting for apps/{environment=staging,tier notin (batch)}, east:argocd/db to be Synced and Healthy',
  );
  assert.deepEqual(
    res.commands?.map((c) => [c.type, c.msgId, c.payload]),
    [
      [
        'SyncArgoCDApp',
        `wait-argocd:demo:${PROMOTION}/4/0`,
        {
          project: 'demo',
          opId: `${PROMOTION}/4/0`,
          stage: 'uat',
          promotion: PROMOTION,
          appName: 'environment=staging,tier notin (batch)',
          appNamespace: 'apps',
          selector,
          timeoutSeconds: 300,
          mode: 'wait',
        },
      ],
      [
        'SyncArgoCDApp',
        `wait-argocd:demo:${PROMOTION}/4/1`,
        {
          project: 'demo',
          opId: `${PROMOTION}/4/1`,
          stage: 'uat',
          promotion: PROMOTION,
          appName: 'db',
          appNamespace: 'argocd',
          timeoutSeconds: 300,
          mode: 'wait',
          cluster: 'east',
        },
      ],
    ],
  );
});

test('argocd-wait: outcomes of the syncer operations decide the step (table)', async () => {
  const apps = [{ selector: { matchLabels: { team: 'shop' } } }, { name: 'db' }];
  const first = `${PROMOTION}/4/0`;
  const second = `${PROMOTION}/4/1`;
  const cases: Array<{
    what: string;
    ops: Record<string, Partial<ArgoCDOpRecord>>;
    want: [string, string, number];
  }> = [
    {
      what: 'both done',
      ops: {
        [first]: {
          state: 'Healthy',
          message: '2 Application(s) matching team=shop Synced and Healthy: a, b',
        },
        [second]: { state: 'Healthy', message: 'argocd/db Synced and Healthy at 1234567' },
      },
      want: [
        'Succeeded',
        '2 Application(s) matching team=shop Synced and Healthy: a, b; argocd/db Synced and Healthy at 1234567',
        0,
      ],
    },
    {
      what: 'one still running: only that one is asked again',
      ops: { [first]: { state: 'Healthy', message: 'ok' }, [second]: { state: 'Running' } },
      want: ['Running', 'waiting for argocd/db to be Synced and Healthy', 1],
    },
    {
      what: 'a selector matching nothing',
      ops: {
        [first]: {
          state: 'Errored',
          message:
            'no Argo CD Applications found matching selector "team=shop" in namespace "argocd": fix apps[].selector or label the Applications',
        },
      },
      want: [
        'Errored',
        'Application argocd/{team=shop}: no Argo CD Applications found matching selector "team=shop" in namespace "argocd": fix apps[].selector or label the Applications',
        0,
      ],
    },
    {
      what: 'a matched app Degraded',
      ops: { [first]: { state: 'Failed', message: 'argocd/b is Degraded at 1234567: crash loop' } },
      want: ['Failed', 'Application argocd/{team=shop}: argocd/b is Degraded at 1234567: crash loop', 0],
    },
  ];
  for (const c of cases) {
    const res = await argocdWait.run(context({ apps }, c.ops));
    assert.deepEqual([res.status, res.message, res.commands?.length ?? 0], c.want, c.what);
  }
});

test('argocd-wait: bad app entries are Errored naming each field (table)', async () => {
  const cases: Array<{ apps: unknown[]; want: string }> = [
    {
      apps: [{ name: 'a', selector: { matchLabels: { x: 'y' } } }],
      want: 'invalid argocd-wait config: apps[0]: name and selector are mutually exclusive; give one',
    },
    { apps: [{ namespace: 'argocd' }], want: 'invalid argocd-wait config: apps[0]: needs name or selector' },
    {
      apps: [{ name: 'ok' }, { selector: { matchLabels: {} } }],
      want: 'invalid argocd-wait config: apps[1].selector: needs matchLabels or matchExpressions',
    },
    {
      apps: [{ selector: { matchExpressions: [{ key: 'k', operator: 'NotIn', values: [] }] } }],
      want: 'invalid argocd-wait config: apps[0].selector.matchExpressions[0].values: operator NotIn needs at least one value',
    },
    {
      apps: [{ selector: { matchExpressions: [{ key: 'k', operator: 'DoesNotExist', values: ['v'] }] } }],
      want: 'invalid argocd-wait config: apps[0].selector.matchExpressions[0].values: must be empty for operator DoesNotExist',
    },
  ];
  for (const c of cases) {
    const res = await argocdWait.run(context({ apps: c.apps }));
    assert.deepEqual({ status: res.status, message: res.message }, { status: 'Errored', message: c.want });
  }
});

test('argocd-wait: an unknown selector field is refused by the schema, naming it', async () => {
  await assert.rejects(argocdWait.run(context({ apps: [{ selector: { matchLabel: { a: 'b' } } }] })), {
    name: 'ValidationError',
    message: 'argocd-wait config: /apps/0/selector/matchLabel: Unexpected property',
  });
});
