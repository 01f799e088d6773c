import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Promotion, Stage } from '@ferry/contracts';
import { run } from './cli.ts';
import { captureIo, type FakeApi, startFakeApi } from './fake-api.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const V = 'kargo.akuity.io/v1alpha1' as const;
const ID1 = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

const stage = (name: string, status?: Stage['status']): Stage => ({
  apiVersion: V,
  kind: 'Stage',
  metadata: { name, namespace: 'demo', creationTimestamp: '2025-06-01T11:57:00Z' },
  spec: {
    requestedFreight: [{ origin: { kind: 'Warehouse', name: 'app' }, sources: { direct: true, stages: [] } }],
  },
  ...(status ? { status } : {}),
});

const STAGES = [
  stage('dev', {
    freightHistory: [
      {
        id: ID1,
        origin: { kind: 'Warehouse', name: 'app' },
        promotedAt: 'x',
        promotion: 'p1',
        alias: 'wild-otter',
      },
    ] as unknown as NonNullable<Stage['status']>['freightHistory'],
    lastPromotion: { name: 'p1', phase: 'Succeeded', freight: ID1 },
    health: { status: 'Healthy', issues: [], apps: [], updatedAt: 'x' },
    verification: { freight: ID1, phase: 'Successful', startedAt: 'x' },
  }),
  stage('prod'),
];

const PROMOTION: Promotion = {
  apiVersion: V,
  kind: 'Promotion',
  metadata: { name: 'p2', namespace: 'demo', creationTimestamp: '2025-06-01T11:00:00Z' },
  spec: { stage: 'prod', freight: ID1, steps: [] },
  status: {
    phase: 'Pending',
    message: 'waiting for p1 to finish',
    requestedBy: 'alice',
    currentStep: 0,
    stepExecutionMetadata: [],
    state: {},
    revision: 1,
  },
};

describe('ferry get -o wide|name|jsonpath', () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi();
    api.on('GET', '/api/v1/projects/demo/stages', { status: 200, body: { items: STAGES } });
    api.on('GET', '/api/v1/projects/demo/stages/dev', { status: 200, body: STAGES[0] });
    api.on('GET', '/api/v1/projects/demo/promotions', { status: 200, body: { items: [PROMOTION] } });
  });
  after(() => api.close());
  const get = async (args: string[], cwd?: string) => {
    const c = captureIo({ env: { FERRY_SERVER: api.url }, now: () => NOW, ...(cwd ? { cwd } : {}) });
    const code = await run(['get', ...args], c.io);
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  };

  it('-o wide adds columns to the table', async () => {
    const r = await get(['stages', '-p', 'demo', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'NAME   SOURCES         CURRENT-FREIGHT   PHASE       HEALTH    AGE   FREIGHT-ID                                 VERIFICATION   PROMOTION',
        `dev    warehouse/app   wild-otter        Succeeded   Healthy   3m    ${ID1}   Successful     p1`,
        'prod   warehouse/app   <none>            <none>      <none>    3m    <none>                                     <none>         <none>',
        '',
      ].join('\n'),
    );
    const p = await get(['promotions', '-p', 'demo', '-o', 'wide']);
    assert.equal(
      p.stdout,
      [
        'NAME   STAGE   FREIGHT   PHASE     AGE   FREIGHT-ID                                 REQUESTED-BY   MESSAGE',
        `p2     prod    a1b2c3d   Pending   1h    ${ID1}   alice          waiting for p1 to finish`,
        '',
      ].join('\n'),
    );
  });

  it('-o name prints kind/name per line, for a list and for one', async () => {
    assert.deepEqual(await get(['stages', '-p', 'demo', '-o', 'name']), {
      code: 0,
      stdout: 'stage/dev\nstage/prod\n',
      stderr: '',
    });
    assert.equal((await get(['stage', 'dev', '-p', 'demo', '-o', 'name'])).stdout, 'stage/dev\n');
    assert.equal((await get(['promo', '-p', 'demo', '-o', 'name'])).stdout, 'promotion/p2\n');
  });

  it('-o jsonpath renders the template over the API answer, adding no newline', async () => {
    const r = await get([
      'stages',
      '-p',
      'demo',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.status.lastPromotion.phase}{"\\n"}{end}',
    ]);
    assert.deepEqual(r, { code: 0, stdout: 'dev\tSucceeded\nprod\t\n', stderr: '' });
    const one = await get(['stage', 'dev', '-p', 'demo', '-o=jsonpath={.status.health.status}']);
    assert.equal(one.stdout, 'Healthy');
    const names = await get(['stages', '-p', 'demo', '--output', 'jsonpath={.items[*].metadata.name}']);
    assert.equal(names.stdout, 'dev prod');
  });

  it('-o jsonpath-file reads the template from a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-jsonpath-'));
    await writeFile(join(dir, 'names.tmpl'), '{range .items[*]}{.metadata.name}{"\\n"}{end}');
    const r = await get(['stages', '-p', 'demo', '-o', 'jsonpath-file=names.tmpl'], dir);
    assert.deepEqual(r, { code: 0, stdout: 'dev\nprod\n', stderr: '' });
  });

  it('a bad template is a usage error naming the column, and calls nothing', async () => {
    const before = api.requests.length;
    const r = await get(['stages', '-p', 'demo', '-o', 'jsonpath={.items[*}']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr.split('\n')[0],
      'error: -o jsonpath: unterminated array subscript: add "]" at column 8 of "{.items[*}"',
    );
    const empty = await get(['stages', '-p', 'demo', '-o', 'jsonpath=']);
    assert.equal(
      empty.stderr.split('\n')[0],
      `error: -o jsonpath needs a template, e.g. -o jsonpath='{.items[*].metadata.name}'`,
    );
    assert.equal(api.requests.length, before);
  });
});

describe('-o jsonpath on the other commands that print API objects', () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi();
  });
  after(() => api.close());
  const ferry = async (args: string[]) => {
    const c = captureIo({ env: { FERRY_SERVER: api.url }, now: () => NOW });
    const code = await run(args, c.io);
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  };

  it('create freight -o jsonpath', async () => {
    api.on('POST', '/api/v1/projects/demo/freight', {
      status: 201,
      body: { metadata: { name: ID1 }, alias: 'wild-otter' },
    });
    const r = await ferry([
      'create',
      'freight',
      '-p',
      'demo',
      '--warehouse',
      'app',
      '-o',
      'jsonpath={.alias}',
    ]);
    assert.deepEqual(r, { code: 0, stdout: 'wild-otter', stderr: '' });
  });

  it('promote --dry-run -o jsonpath', async () => {
    api.on('POST', '/api/v1/projects/demo/promotions/dry-run', {
      status: 200,
      body: {
        steps: [
          { uses: 'git-clone', action: 'planned' },
          { uses: 'git-push', action: 'diff' },
        ],
      },
    });
    const r = await ferry([
      'promote',
      '-p',
      'demo',
      '--stage',
      'dev',
      '--freight',
      ID1,
      '--dry-run',
      '-o',
      'jsonpath={range .steps[*]}{.uses}={.action}{"\\n"}{end}',
    ]);
    assert.deepEqual(r, { code: 0, stdout: 'git-clone=planned\ngit-push=diff\n', stderr: '' });
  });

  it('test subscription checks the template before sending anything', async () => {
    const before = api.requests.length;
    const r = await ferry(['test', 'subscription', '-p', 'demo', '--image', 'nginx', '-o', 'jsonpath={.x']);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.split('\n')[0],
      'error: -o jsonpath: unclosed action: add "}" at column 1 of "{.x"',
    );
    assert.equal(api.requests.length, before);
  });
});
