import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { PromotionPlan } from '@ferry/contracts';
import YAML from 'yaml';
import { run } from './cli.ts';
import { apiError, captureIo, type FakeApi, startFakeApi } from './fake-api.ts';

const ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const URL = '/api/v1/projects/demo/promotions/dry-run';
const DIFF = [
  'diff --git a/apps/dev/kustomization.yaml b/apps/dev/kustomization.yaml',
  'index 1111111..2222222 100644',
  '--- a/apps/dev/kustomization.yaml',
  '+++ b/apps/dev/kustomization.yaml',
  '@@ -4 +4 @@ images:',
  '-  newTag: 1.1.0',
  '+  newTag: 1.2.0',
  '',
].join('\n');

const PLAN: PromotionPlan = {
  project: 'demo',
  stage: 'dev',
  freight: { id: ID, alias: 'wild-otter' },
  promotion: 'dev.dry-run.a1b2c3d',
  warnings: ['step 3 (sync) uses outputs.push.commit, known only once step 2 (push) git-push has run'],
  steps: [
    {
      index: 0,
      alias: 'step-0',
      uses: 'git-clone',
      action: 'planned',
      config: { repoURL: 'http://g/r.git' },
    },
    {
      index: 1,
      alias: 'push',
      uses: 'git-push',
      action: 'diff',
      config: { path: './src' },
      message: 'would push a commit to main (on 3333333): updated',
      diff: {
        repoURL: 'http://g/r.git',
        branch: 'main',
        base: '3'.repeat(40),
        changed: true,
        files: ['apps/dev/kustomization.yaml'],
        diff: DIFF,
      },
    },
    {
      index: 2,
      alias: 'sync',
      uses: 'argocd-update',
      action: 'would-run',
      config: { apps: [{ name: 'demo-dev' }] },
      message: 'has effects outside Ferry; not run in a dry run',
      placeholders: ['<dry-run: outputs.push.commit>'],
    },
    { index: 3, alias: 'step-3', uses: 'http', action: 'skipped', message: 'its if (false) is false' },
  ],
};

describe('ferry promote --dry-run', () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi();
  });
  after(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
    api.on('POST', URL, { status: 200, body: PLAN });
  });

  const promote = async (args: string[]) => {
    const c = captureIo({ env: { FERRY_SERVER: api.url } });
    const code = await run(['promote', '-p', 'demo', '--stage', 'dev', ...args], c.io);
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  };

  it('prints each step with its action, the config of steps not run and the diffs, and exits 0', async () => {
    const r = await promote([
      '--freight-alias',
      'wild-otter',
      '--dry-run',
      '--var',
      'replicas=3',
      '--var',
      'x=a=b',
    ]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      [
        'dry run: Freight wild-otter (a1b2c3d) to Stage dev in Project demo; nothing was created, committed or pushed',
        'warning: step 3 (sync) uses outputs.push.commit, known only once step 2 (push) git-push has run',
        '[1/4] git-clone (step-0): planned',
        '[2/4] git-push (push): diff',
        '      would push a commit to main (on 3333333): updated',
        '      http://g/r.git main: 1 file changed (apps/dev/kustomization.yaml)',
        ...DIFF.trimEnd().split('\n'),
        '[3/4] argocd-update (sync): would-run',
        '      has effects outside Ferry; not run in a dry run',
        '      config:',
        '        apps:',
        '          - name: demo-dev',
        '[4/4] http (step-3): skipped',
        '      its if (false) is false',
        '',
      ].join('\n'),
    );
    assert.deepEqual(api.requests, [
      {
        method: 'POST',
        url: URL,
        body: {
          stage: 'dev',
          freightAlias: 'wild-otter',
          vars: [
            { name: 'replicas', value: '3' },
            { name: 'x', value: 'a=b' },
          ],
        },
      },
    ]);
  });

  it('-o json and -o yaml print the raw plan', async () => {
    const json = await promote(['--freight', ID, '--dry-run', '-o', 'json']);
    assert.deepEqual(JSON.parse(json.stdout), PLAN);
    const yaml = await promote(['--freight', ID, '--dry-run', '-o', 'yaml']);
    assert.deepEqual(YAML.parse(yaml.stdout), PLAN);
    assert.deepEqual(api.requests[0]?.body, { stage: 'dev', freight: ID });
  });

  it('refuses flags that do not go with a dry run, before asking the API', async () => {
    const cases: Array<[string[], string]> = [
      [['--freight', ID, '--dry-run', '--wait'], '--wait cannot follow a --dry-run: nothing is created'],
      [
        ['--freight', ID, '--dry-run', '-o', 'table'],
        'unknown output format "table": use text, json, yaml or jsonpath=TEMPLATE',
      ],
      [['--freight', ID, '--dry-run', '--var', 'novalue'], '--var "novalue" is not NAME=VALUE'],
      [['--freight', ID, '-o', 'json'], '--output and --var go with --dry-run'],
    ];
    for (const [args, message] of cases) {
      const r = await promote(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, new RegExp(`error: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
    assert.deepEqual(api.requests, []);
  });

  it('shows the API error (a Stage that does not exist) and exits 1', async () => {
    api.on('POST', URL, {
      status: 404,
      body: apiError(404, 'FERRY_ERR_STAGE_NOT_FOUND', 'Stage "dev" not found in Project "demo"'),
    });
    const r = await promote(['--freight', ID, '--dry-run']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Stage "dev" not found in Project "demo"/);
  });
});
