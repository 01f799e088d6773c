import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Freight, Project, Promotion, Stage, Warehouse } from '@ferry/contracts';
import YAML from 'yaml';
import { run } from './cli.ts';
import { apiError, captureIo, type FakeApi, startFakeApi } from './fake-api.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const V = 'kargo.akuity.io/v1alpha1' as const;
const ID1 = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const ID2 = 'ffee0011223344556677889900aabbccddeeff00';

const project: Project = {
  apiVersion: V,
  kind: 'Project',
  metadata: { name: 'demo', creationTimestamp: '2025-05-28T12:00:00Z' },
};

const warehouse = (name: string, repos: string[], extra: Partial<Warehouse> = {}): Warehouse => ({
  apiVersion: V,
  kind: 'Warehouse',
  metadata: { name, namespace: 'demo', generation: 1, creationTimestamp: '2025-06-01T10:00:00Z' },
  spec: {
    interval: '5m0s',
    freightCreationPolicy: 'Automatic',
    subscriptions: repos.map((repoURL) => ({
      image: {
        repoURL,
        imageSelectionStrategy: 'SemVer',
        strictSemvers: true,
        allowTagsRegexes: [],
        ignoreTagsRegexes: [],
        discoveryLimit: 20,
      },
    })),
  },
  ...extra,
});

const stage = (
  name: string,
  sources: { direct: boolean; stages: string[] },
  status?: Stage['status'],
): Stage => ({
  apiVersion: V,
  kind: 'Stage',
  metadata: { name, namespace: 'demo', creationTimestamp: '2025-06-01T11:57:00Z' },
  spec: { requestedFreight: [{ origin: { kind: 'Warehouse', name: 'app' }, sources }] },
  ...(status ? { status } : {}),
});

const freight = (id: string, alias: string, tag: string, verifiedIn: string[]): Freight => ({
  apiVersion: V,
  kind: 'Freight',
  metadata: { name: id, namespace: 'demo', creationTimestamp: '2025-06-01T11:59:55Z' },
  alias,
  origin: { kind: 'Warehouse', name: 'app' },
  images: [{ repoURL: 'ghcr.io/acme/app', tag, digest: 'sha256:00' }],
  commits: [],
  charts: [],
  status: {
    verifiedIn: Object.fromEntries(verifiedIn.map((s) => [s, { verifiedAt: '2025-06-01T11:59:58Z' }])),
    approvedFor: {},
    currentlyIn: {},
  },
});

const promotion = (
  name: string,
  stageName: string,
  id: string,
  phase: Promotion['status']['phase'],
): Promotion => ({
  apiVersion: V,
  kind: 'Promotion',
  metadata: { name, namespace: 'demo', creationTimestamp: '2025-06-01T11:00:00Z' },
  spec: { stage: stageName, freight: id, steps: [{ uses: 'git-clone' }] },
  status: { phase, currentStep: 0, stepExecutionMetadata: [], state: {}, revision: 1 },
});

describe('ferry get', () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi();
  });
  after(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
  });
  const get = async (args: string[], env: Record<string, string> = {}) => {
    const c = captureIo({ env: { FERRY_SERVER: api.url, ...env }, now: () => NOW });
    const code = await run(['get', ...args], c.io);
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  };

  it('prints projects as a table', async () => {
    api.on('GET', '/api/v1/projects', { status: 200, body: { items: [project] } });
    assert.deepEqual(await get(['projects']), { code: 0, stdout: 'NAME   AGE\ndemo   4d\n', stderr: '' });
  });

  it('prints warehouses as an aligned table', async () => {
    api.on('GET', '/api/v1/projects/demo/warehouses', {
      status: 200,
      body: {
        items: [
          warehouse('app', ['ghcr.io/acme/app', 'nginx'], {
            status: { lastHandledRefresh: '2025-06-01T11:59:30Z', lastFreightID: ID1 },
          }),
          warehouse('infrastructure', ['ghcr.io/acme/infra']),
        ],
      },
    });
    const r = await get(['wh', '-p', 'demo']);
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      [
        'NAME             SUBSCRIPTIONS            LAST-DISCOVERY   FREIGHT   AGE',
        'app              ghcr.io/acme/app,nginx   30s              a1b2c3d   2h',
        'infrastructure   ghcr.io/acme/infra       <none>           <none>    2h',
        '',
      ].join('\n'),
    );
  });

  it('prints stages with sources, the current Freight alias, the phase and the health', async () => {
    api.on('GET', '/api/v1/projects/demo/stages', {
      status: 200,
      body: {
        items: [
          stage(
            'dev',
            { direct: true, stages: [] },
            {
              freightHistory: [
                { id: ID1, origin: { kind: 'Warehouse', name: 'app' }, promotedAt: 'x', promotion: 'p1' },
              ],
              lastPromotion: { name: 'p1', phase: 'Succeeded', freight: ID1 },
              health: { status: 'Unhealthy', issues: ['degraded'], apps: [], updatedAt: 'x' },
            },
          ),
          stage(
            'staging',
            { direct: false, stages: ['dev'] },
            {
              freightHistory: [
                { id: ID2, origin: { kind: 'Warehouse', name: 'app' }, promotedAt: 'x', promotion: 'p2' },
              ],
              lastPromotion: { name: 'p2', phase: 'Failed', freight: ID2 },
              currentPromotion: { name: 'p3', freight: ID1 },
              health: { status: 'Healthy', issues: [], apps: [], updatedAt: 'x' },
            },
          ),
          stage('prod', { direct: false, stages: ['staging', 'dev'] }),
        ],
      },
    });
    // Only ID1 is in the list: a Freight missing from it falls back to its short id.
    api.on('GET', '/api/v1/projects/demo/freight', {
      status: 200,
      body: { items: [freight(ID1, 'wild-otter', '1.2.3', ['dev'])] },
    });
    const r = await get(['stages'], { FERRY_PROJECT: 'demo' });
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      [
        'NAME      SOURCES         CURRENT-FREIGHT   PHASE       HEALTH      AGE',
        'dev       warehouse/app   wild-otter        Succeeded   Unhealthy   3m',
        'staging   dev             ffee001           Promoting   Healthy     3m',
        'prod      staging,dev     <none>            <none>      <none>      3m',
        '',
      ].join('\n'),
    );
  });

  it('prints freight with full ids, images and where it was verified, passing --warehouse', async () => {
    api.on('GET', '/api/v1/projects/demo/freight?warehouse=app', {
      status: 200,
      body: {
        items: [
          freight(ID1, 'wild-otter', '1.2.3', ['dev', 'staging']),
          freight(ID2, 'calm-crab', '1.3.0', []),
        ],
      },
    });
    const r = await get(['freight', '-p', 'demo', '--warehouse', 'app']);
    assert.equal(
      r.stdout,
      [
        `NAME                                       ALIAS        ORIGIN   IMAGES                   VERIFIED-IN   AGE`,
        `${ID1}   wild-otter   app      ghcr.io/acme/app:1.2.3   dev,staging   5s`,
        `${ID2}   calm-crab    app      ghcr.io/acme/app:1.3.0   <none>        5s`,
        '',
      ].join('\n'),
    );
  });

  it('adds a CHARTS column when some Freight has Helm charts', async () => {
    const withCharts: Freight = {
      ...freight(ID1, 'wild-otter', '1.2.3', []),
      images: [],
      charts: [
        { repoURL: 'https://charts.example.com/', name: 'app', version: '1.0.0' },
        { repoURL: 'oci://ghcr.io/acme/db', name: '', version: '2.0.0' },
      ],
    };
    api.on('GET', '/api/v1/projects/demo/freight', {
      status: 200,
      body: { items: [withCharts, freight(ID2, 'calm-crab', '1.3.0', [])] },
    });
    const r = await get(['freight', '-p', 'demo']);
    assert.equal(
      r.stdout,
      [
        `NAME                                       ALIAS        ORIGIN   IMAGES                   CHARTS                                                             VERIFIED-IN   AGE`,
        `${ID1}   wild-otter   app      <none>                   https://charts.example.com/app:1.0.0,oci://ghcr.io/acme/db:2.0.0   <none>        5s`,
        `${ID2}   calm-crab    app      ghcr.io/acme/app:1.3.0   <none>                                                             <none>        5s`,
        '',
      ].join('\n'),
    );
  });

  it('prints promotions with short Freight ids, passing --stage', async () => {
    api.on('GET', '/api/v1/projects/demo/promotions?stage=dev', {
      status: 200,
      body: { items: [promotion('dev.01jx.a1b2c3d', 'dev', ID1, 'Succeeded')] },
    });
    const r = await get(['promo', '-p', 'demo', '--stage', 'dev']);
    assert.equal(
      r.stdout,
      'NAME               STAGE   FREIGHT   PHASE       AGE\n' +
        'dev.01jx.a1b2c3d   dev     a1b2c3d   Succeeded   1h\n',
    );
  });

  it('shows a named resource as a one-row table', async () => {
    api.on('GET', '/api/v1/projects/demo/freight/wild-otter', {
      status: 200,
      body: freight(ID1, 'wild-otter', '1.2.3', []),
    });
    const r = await get(['freight', 'wild-otter', '-p', 'demo']);
    assert.equal(
      r.stdout.split('\n')[1],
      `${ID1}   wild-otter   app      ghcr.io/acme/app:1.2.3   <none>        5s`,
    );
  });

  it('-o json prints exactly the object the API sent for a named resource', async () => {
    const body = warehouse('app', ['ghcr.io/acme/app'], { status: { lastFreightID: ID1 } });
    api.on('GET', '/api/v1/projects/demo/warehouses/app', { status: 200, body });
    const r = await get(['warehouse', 'app', '-p', 'demo', '-o', 'json']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${JSON.stringify(body, null, 2)}\n`);
  });

  it('-o json prints the list answer as {"items": [...]}', async () => {
    api.on('GET', '/api/v1/projects', { status: 200, body: { items: [project] } });
    const r = await get(['projects', '-o', 'json']);
    assert.deepEqual(JSON.parse(r.stdout), { items: [project] });
  });

  it('-o yaml prints the same as YAML', async () => {
    const body = promotion('dev.01jx.a1b2c3d', 'dev', ID1, 'Running');
    api.on('GET', '/api/v1/projects/demo/promotions/dev.01jx.a1b2c3d', { status: 200, body });
    const r = await get(['promotion', 'dev.01jx.a1b2c3d', '-p', 'demo', '-o', 'yaml']);
    assert.equal(r.code, 0);
    assert.deepEqual(YAML.parse(r.stdout), body);
    assert.match(
      r.stdout,
      /^apiVersion: kargo\.akuity\.io\/v1alpha1\nkind: Promotion\nmetadata:\n {2}name: dev\.01jx/,
    );
  });

  it('says so on stderr when a list is empty', async () => {
    api.on('GET', '/api/v1/projects/demo/stages', { status: 200, body: { items: [] } });
    assert.deepEqual(await get(['stages', '-p', 'demo']), {
      code: 0,
      stdout: '',
      stderr: 'No Stages found in project demo.\n',
    });
  });

  it('prints a not-found error with its code and exits 1', async () => {
    api.on('GET', '/api/v1/projects/demo/stages/nope', {
      status: 404,
      body: apiError(404, 'FERRY_ERR_STAGE_NOT_FOUND', 'stage "nope" not found in project "demo"'),
    });
    assert.deepEqual(await get(['stage', 'nope', '-p', 'demo']), {
      code: 1,
      stdout: '',
      stderr: 'error: stage "nope" not found in project "demo" (FERRY_ERR_STAGE_NOT_FOUND)\n',
    });
  });

  describe('usage errors exit 2 with the usage text and call nothing', () => {
    const cases: Array<[string, string[], string]> = [
      ['missing -p', ['stages'], 'a Project is required for Stages: pass -p PROJECT or set FERRY_PROJECT'],
      ['no kind', [], 'a KIND is required'],
      ['unknown kind', ['pods', '-p', 'demo'], 'unknown kind "pods"'],
      [
        'bad output',
        ['stages', '-p', 'demo', '-o', 'xml'],
        'unknown output format "xml": use table, wide, json, yaml, name or jsonpath=TEMPLATE',
      ],
      [
        '--stage off promotions',
        ['freight', '-p', 'demo', '--stage', 'dev'],
        '--stage applies to promotions only',
      ],
      ['unknown option', ['stages', '-p', 'demo', '--bogus'], "Unknown option '--bogus'"],
    ];
    for (const [title, args, message] of cases) {
      it(title, async () => {
        const r = await get(args);
        assert.equal(r.code, 2);
        assert.equal(r.stdout, '');
        assert.ok(r.stderr.startsWith(`error: ${message}`), r.stderr);
        assert.ok(r.stderr.includes('\n\nUsage: ferry get KIND [NAME]'), r.stderr);
        assert.equal(api.requests.length, 0);
      });
    }
  });

  it('--help prints the usage on stdout', async () => {
    const r = await get(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: ferry get KIND/);
  });
});
