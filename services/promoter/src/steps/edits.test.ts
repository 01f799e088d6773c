import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight, PromotionWorkspace } from '@ferry/contracts';
import { stepRegistry } from './registry.ts';
import type { StepContext, StepResult } from './types.ts';

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

const workspace = (): PromotionWorkspace => ({
  checkouts: [
    { path: 'src', repoURL: 'http://git.example/gitops.git', branch: 'main' },
    { path: 'out', repoURL: 'http://git.example/gitops.git', branch: 'stage/dev' },
  ],
  edits: [],
  messages: {},
});

async function run(uses: string, config: Record<string, unknown>, target: Freight = freight) {
  const ctx: StepContext = {
    project: 'demo',
    stage: 'dev',
    promotion: 'dev.01',
    stepIndex: 1,
    alias: 'step-1',
    freight: target,
    config,
    outputs: {},
    workspace: workspace(),
    results: { gitWrite: async () => undefined, argocdOp: async () => undefined },
    defaults: { argocdTimeoutSeconds: 60 },
    elapsedMs: 0,
  };
  const result: StepResult = await stepRegistry.get(uses)!.run(ctx);
  return { result, edits: ctx.workspace.edits };
}

test('edit steps plan one edit in the right checkout', async () => {
  const cases: Array<{
    uses: string;
    config: Record<string, unknown>;
    edit: PromotionWorkspace['edits'][number];
    outputs?: Record<string, unknown>;
  }> = [
    {
      uses: 'yaml-update',
      config: {
        path: './src/apps/dev/values.yaml',
        updates: [
          { key: 'image.tag', value: 'v2' },
          { key: 'replicas', value: 3 },
        ],
      },
      edit: {
        checkout: 'src',
        kind: 'yaml-update',
        path: 'apps/dev/values.yaml',
        updates: [
          { key: 'image.tag', value: 'v2' },
          { key: 'replicas', value: 3 },
        ],
      },
      outputs: { commitMessage: 'Updated ./src/apps/dev/values.yaml\n\n- image.tag: "v2"\n- replicas: 3' },
    },
    {
      uses: 'json-update',
      config: { path: './out/config.json', updates: [{ key: 'a.0.b', value: true }] },
      edit: {
        checkout: 'out',
        kind: 'json-update',
        path: 'config.json',
        updates: [{ key: 'a.0.b', value: true }],
      },
      outputs: { commitMessage: 'Updated ./out/config.json\n\n- a.0.b: true' },
    },
    {
      uses: 'helm-update-chart',
      config: {
        path: './src/charts/umbrella',
        charts: [{ repository: 'https://c.example', name: 'app', version: '1.1.0' }],
      },
      edit: {
        checkout: 'src',
        kind: 'helm-update-chart',
        path: 'charts/umbrella',
        charts: [{ repository: 'https://c.example', name: 'app', version: '1.1.0' }],
      },
      outputs: { commitMessage: 'Updated chart dependencies for ./src/charts/umbrella\n\n- app: 1.1.0' },
    },
    {
      uses: 'file-write',
      config: { path: './out/README.md', contents: 'hello\n', overwrite: true },
      edit: { checkout: 'out', kind: 'file-write', path: 'README.md', contents: 'hello\n', overwrite: true },
    },
    {
      uses: 'copy',
      config: { inPath: './src/base', outPath: './src/apps/prod' },
      edit: { checkout: 'src', kind: 'copy', inPath: 'base', outPath: 'apps/prod' },
    },
    {
      uses: 'delete',
      config: { path: './out/old', strict: true },
      edit: { checkout: 'out', kind: 'delete', path: 'old', strict: true },
    },
    { uses: 'git-clear', config: { path: './out' }, edit: { checkout: 'out', kind: 'git-clear', path: '' } },
  ];
  for (const c of cases) {
    const { result, edits } = await run(c.uses, c.config);
    assert.deepEqual(result, { status: 'Succeeded', ...(c.outputs ? { outputs: c.outputs } : {}) }, c.uses);
    assert.deepEqual(edits, [c.edit], c.uses);
  }
});

test('edit step configs are checked, with messages naming the key', async () => {
  const cases: Array<{ uses: string; config: Record<string, unknown>; message: string }> = [
    {
      uses: 'yaml-update',
      config: { path: './src/v.yaml' },
      message: 'yaml-update config: /updates: Expected required property',
    },
    {
      uses: 'yaml-update',
      config: { path: './src/v.yaml', updates: [{ key: 'a', value: { nested: 1 } }] },
      message: 'yaml-update config: /updates/0/value: Expected union value',
    },
    {
      uses: 'json-update',
      config: { path: './src/v.json', updates: [] },
      message: 'json-update config: /updates: Expected array length to be greater or equal to 1',
    },
    {
      uses: 'helm-update-chart',
      config: { path: './src/chart', charts: [{ repository: 'r', name: 'n' }] },
      message:
        'charts[0]: Freight wild-otter has no chart n from r (it has: none); subscribe the Warehouse to that chart or give charts[0].version',
    },
    {
      uses: 'file-write',
      config: { path: './src/x' },
      message: 'file-write config: /contents: Expected required property',
    },
    {
      uses: 'file-write',
      config: { path: './src/x', contents: '', permissions: '0644' },
      message: 'file-write config: /permissions: Unexpected property',
    },
    {
      uses: 'copy',
      config: { inPath: './src/a', outPath: '/out/a' },
      message: 'outPath: "/out/a" must be relative to the Promotion\'s work tree',
    },
    {
      uses: 'delete',
      config: { path: './elsewhere/x' },
      message:
        'path: "./elsewhere/x" is not inside a checkout of an earlier git-clone step (checkouts: src, out)',
    },
    {
      uses: 'git-clear',
      config: { path: '../up' },
      message: 'path: "../up" leaves the Promotion\'s work tree',
    },
  ];
  for (const c of cases) {
    await assert.rejects(
      run(c.uses, c.config),
      { message: c.message },
      `${c.uses} ${JSON.stringify(c.config)}`,
    );
  }
});

test('control steps: fail, compose-output, set-metadata', async () => {
  const cases: Array<{ uses: string; config: Record<string, unknown>; result: StepResult }> = [
    {
      uses: 'fail',
      config: { message: 'prod is frozen' },
      result: { status: 'Failed', message: 'prod is frozen' },
    },
    { uses: 'fail', config: {}, result: { status: 'Failed', message: 'failed by a fail step' } },
    {
      uses: 'compose-output',
      config: { url: 'http://x', n: 2 },
      result: { status: 'Succeeded', outputs: { url: 'http://x', n: 2 } },
    },
    {
      uses: 'set-metadata',
      config: { updates: [{ kind: 'Stage', name: 'prod', values: { pr: 12 } }] },
      result: { status: 'Succeeded', metadata: [{ kind: 'Stage', name: 'prod', values: { pr: 12 } }] },
    },
  ];
  for (const c of cases) assert.deepEqual((await run(c.uses, c.config)).result, c.result, c.uses);
  await assert.rejects(run('compose-output', {}), {
    message: 'compose-output config: /: Expected object to have at least 1 properties',
  });
  await assert.rejects(
    run('set-metadata', { updates: [{ kind: 'Warehouse', name: 'w', values: { a: 1 } }] }),
    {
      message: 'set-metadata config: /updates/0/kind: Expected union value',
    },
  );
});

test('helm-update-chart takes a missing version from the target Freight, matching repository and name', async () => {
  const charted: Freight = {
    ...freight,
    charts: [
      { repoURL: 'https://C.example/', name: 'app', version: '1.4.0' },
      { repoURL: 'https://c.example', name: 'web', version: '9.9.9' },
      { repoURL: 'oci://registry.example/charts/db', name: '', version: '2.1.0' },
    ],
  };
  const { result, edits } = await run(
    'helm-update-chart',
    {
      path: './src/chart',
      charts: [
        { repository: 'https://c.example/', name: 'app' },
        { repository: 'oci://registry.example/charts', name: 'db' },
        { repository: 'https://c.example', name: 'web', version: '1.0.0' },
      ],
    },
    charted,
  );
  assert.deepEqual(edits, [
    {
      checkout: 'src',
      kind: 'helm-update-chart',
      path: 'chart',
      charts: [
        { repository: 'https://c.example/', name: 'app', version: '1.4.0' },
        { repository: 'oci://registry.example/charts', name: 'db', version: '2.1.0' },
        { repository: 'https://c.example', name: 'web', version: '1.0.0' },
      ],
    },
  ]);
  assert.equal(
    result.outputs?.commitMessage,
    'Updated chart dependencies for ./src/chart\n\n- app: 1.4.0\n- db: 2.1.0\n- web: 1.0.0',
  );
  await assert.rejects(
    run(
      'helm-update-chart',
      { path: './src/chart', charts: [{ repository: 'https://c.example', name: 'db' }] },
      charted,
    ),
    {
      message:
        'charts[0]: Freight wild-otter has no chart db from https://c.example (it has: https://C.example/ app, ' +
        'https://c.example web, oci://registry.example/charts/db); subscribe the Warehouse to that chart or give charts[0].version',
    },
  );
});
