import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Bus } from '@ferry/bus';
import type { DefinitionsDeleted, Freight, Promotion } from '@ferry/contracts';
import { createLogger } from '@ferry/observability';
import { Keys, Store } from '@ferry/store';
import { startNatsServer, type TestNatsServer } from '@ferry/support';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.ts';
import { parseDeleteTargets } from './delete.ts';

// Redis DB 11 is this task's own (shared with the delete reaction test; int tests run one file at a time).
let nats: TestNatsServer;
let store: Store;
let bus: Bus;
let app: FastifyInstance;
const log = createLogger('delete-test', 'silent');
const BOOT = 'ferry_bootstrap-delete-test';
const tokens: Record<string, string> = {};
const facts: DefinitionsDeleted[] = [];

const PROJECT = (p: string) => `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: ${p}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: app
  namespace: ${p}
spec:
  subscriptions:
    - image:
        repoURL: ghcr.io/acme/app
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: dev
  namespace: ${p}
spec:
  requestedFreight:
    - origin: {kind: Warehouse, name: app}
      sources: {direct: true}
  promotionTemplate:
    spec:
      steps:
        - uses: fail
`;

const ID = 'c'.repeat(40);
const auth = (token: string | undefined) => (token ? { authorization: `Bearer ${token}` } : {});

const apply = async (manifests: string) => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    headers: auth(BOOT),
    payload: { manifests },
  });
  assert.equal(res.statusCode, 200, res.body);
};

const createToken = async (name: string, roles: { project?: string; role: string }[]) => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/tokens',
    headers: auth(BOOT),
    payload: { name, roles },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().token as string;
};

const freight = (id: string, alias: string): Freight => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name: id, namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
  alias,
  origin: { kind: 'Warehouse', name: 'app' },
  images: [{ repoURL: 'ghcr.io/acme/app', tag: '1.0.0', digest: 'sha256:1' }],
  commits: [],
  charts: [],
  status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
});

const promotion = (name: string, phase: Promotion['status']['phase']): Promotion => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Promotion',
  metadata: { name, namespace: 'shop' },
  spec: { stage: 'dev', freight: ID, steps: [] },
  status: { phase, currentStep: 0, stepExecutionMetadata: [], state: {}, revision: 0 },
});

/** Waits until `n` DefinitionsDeleted facts have arrived. */
const factsArrived = async (n: number) => {
  for (let i = 0; i < 100 && facts.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(facts.length, n);
};

before(async () => {
  nats = await startNatsServer();
  store = Store.connect('redis://127.0.0.1:6379/11', 'delete-test');
  await store.redis.flushdb();
  bus = await Bus.connect({ servers: nats.url, name: 'delete-test', log, maxDeliver: 3 });
  bus.nc.subscribe('ferry.v1.definition.deleted.>', {
    callback: (_err, msg) => {
      facts.push(msg.json() as DefinitionsDeleted);
    },
  });
  app = await buildApp({
    store,
    bus,
    log,
    auth: { mode: 'token', bootstrapAdminToken: BOOT },
    clock: () => new Date('2026-02-01T00:00:00Z'),
  });
  tokens.viewer = await createToken('shop-viewer', [{ project: 'shop', role: 'viewer' }]);
  tokens.promoter = await createToken('shop-promoter', [{ project: 'shop', role: 'promoter' }]);
  tokens.admin = await createToken('shop-admin', [{ project: 'shop', role: 'admin' }]);
});
beforeEach(async () => {
  // Tokens survive; the Projects are made anew.
  for (const p of ['shop', 'other']) await store.deleteProject(p, { force: true });
  await apply(PROJECT('shop'));
  await apply(PROJECT('other'));
  facts.length = 0;
});
after(async () => {
  await app.close();
  await bus.close();
  await store.redis.flushdb();
  await store.close();
  await nats.close();
});

const del = (url: string, token?: string) => app.inject({ method: 'DELETE', url, headers: auth(token) });

describe('DELETE /api/v1/projects/:project/<kind>/:name', () => {
  it('needs a token, and admin in the Project', async () => {
    const url = '/api/v1/projects/shop/warehouses/app';
    assert.equal((await del(url)).json().code, 'FERRY_ERR_UNAUTHENTICATED');
    for (const t of [tokens.viewer, tokens.promoter]) {
      assert.deepEqual((await del(url, t)).json(), {
        statusCode: 403,
        code: 'FERRY_ERR_FORBIDDEN',
        error: 'Forbidden',
        message: 'this needs the role "admin" in Project "shop"; ask an admin of the Project for it',
      });
    }
    assert.deepEqual(
      (await del('/api/v1/projects/other/warehouses/app', tokens.admin)).json().code,
      'FERRY_ERR_FORBIDDEN',
    );
    assert.ok(await store.getWarehouse('shop', 'app'));
    const ok = await del(url, tokens.admin);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { kind: 'Warehouse', project: 'shop', name: 'app', outcome: 'deleted' });
    assert.equal(await store.getWarehouse('shop', 'app'), undefined);
    await factsArrived(1);
    assert.deepEqual(facts[0], {
      project: 'shop',
      resources: [{ kind: 'Warehouse', name: 'app' }],
      by: 'shop-admin',
      at: '2026-02-01T00:00:00.000Z',
      force: false,
    });
    // Audited in the Project, with who and the outcome.
    const [entry] = (await store.redis.lrange(Keys.projectAudit('shop'), 0, 0)).map((e) => JSON.parse(e));
    assert.equal(entry.route, 'DELETE /api/v1/projects/:project/warehouses/:name');
    assert.equal(entry.who, 'shop-admin');
    assert.equal(entry.target, 'app');
    assert.equal(entry.status, 200);
  });

  it('answers 404 with the kind’s code for what is not there', async () => {
    const cases: [string, string, string][] = [
      [
        '/api/v1/projects/shop/stages/nope',
        'FERRY_ERR_STAGE_NOT_FOUND',
        'Stage "nope" not found in Project "shop"',
      ],
      [
        '/api/v1/projects/shop/freight/nope',
        'FERRY_ERR_FREIGHT_NOT_FOUND',
        'Freight "nope" not found in Project "shop"',
      ],
      [
        '/api/v1/projects/shop/promotions/nope',
        'FERRY_ERR_PROMOTION_NOT_FOUND',
        'Promotion "nope" not found in Project "shop"',
      ],
      [
        '/api/v1/projects/shop/promotiontasks/nope',
        'FERRY_ERR_RESOURCE_NOT_FOUND',
        'PromotionTask "nope" not found in Project "shop"',
      ],
      [
        '/api/v1/projects/shop/analysistemplates/nope',
        'FERRY_ERR_RESOURCE_NOT_FOUND',
        'AnalysisTemplate "nope" not found in Project "shop"',
      ],
      [
        '/api/v1/projects/shop/secrets/nope',
        'FERRY_ERR_RESOURCE_NOT_FOUND',
        'Secret "nope" not found in Project "shop"',
      ],
      [
        '/api/v1/projects/shop/projectconfig',
        'FERRY_ERR_RESOURCE_NOT_FOUND',
        'ProjectConfig "shop" not found in Project "shop"',
      ],
      ['/api/v1/projects/gone/warehouses/app', 'FERRY_ERR_PROJECT_NOT_FOUND', 'Project "gone" not found'],
      ['/api/v1/projects/gone', 'FERRY_ERR_PROJECT_NOT_FOUND', 'Project "gone" not found'],
    ];
    for (const [url, code, message] of cases) {
      const res = await del(url, BOOT);
      assert.equal(res.statusCode, 404, url);
      assert.deepEqual(res.json(), { statusCode: 404, code, error: 'Not Found', message }, url);
    }
    assert.equal(facts.length, 0);
  });

  it('refuses Freight in use and unfinished Promotions with 409, deletes them once free', async () => {
    await store.createFreight(freight(ID, 'wild-otter'), 1);
    await store.createPromotion(promotion('dev.1.ccccccc', 'Pending'));
    const p = await del('/api/v1/projects/shop/promotions/dev.1.ccccccc', tokens.admin);
    assert.equal(p.statusCode, 409);
    assert.equal(p.json().code, 'FERRY_ERR_PROMOTION_NOT_FINISHED');
    const f = await del('/api/v1/projects/shop/freight/wild-otter', tokens.admin);
    assert.equal(f.statusCode, 409);
    assert.deepEqual(f.json(), {
      statusCode: 409,
      code: 'FERRY_ERR_FREIGHT_IN_USE',
      error: 'Conflict',
      message: `Freight ${ID} is being promoted by dev.1.ccccccc: wait for it to finish or abort it first`,
    });
    const cur = (await store.getPromotion('shop', 'dev.1.ccccccc'))!;
    await store.casPromotionStatus('shop', 'dev.1.ccccccc', 'dev', 0, { ...cur.status, phase: 'Failed' });
    assert.equal((await del('/api/v1/projects/shop/promotions/dev.1.ccccccc', tokens.admin)).statusCode, 200);
    const ok = await del('/api/v1/projects/shop/freight/wild-otter', tokens.admin);
    assert.deepEqual(ok.json(), { kind: 'Freight', project: 'shop', name: ID, outcome: 'deleted' });
    await factsArrived(2);
    assert.deepEqual(
      facts.map((x) => x.resources),
      [[{ kind: 'Promotion', name: 'dev.1.ccccccc' }], [{ kind: 'Freight', name: ID }]],
    );
  });

  it('refuses a Stage with a Running Promotion unless ?force=true', async () => {
    await store.createFreight(freight(ID, 'wild-otter'), 1);
    await store.createPromotion(promotion('dev.1.ccccccc', 'Running'));
    const no = await del('/api/v1/projects/shop/stages/dev', tokens.admin);
    assert.equal(no.statusCode, 409);
    assert.equal(no.json().code, 'FERRY_ERR_PROMOTION_RUNNING');
    const bad = await del('/api/v1/projects/shop/stages/dev?force=maybe', tokens.admin);
    assert.equal(bad.statusCode, 400);
    const yes = await del('/api/v1/projects/shop/stages/dev?force=true', tokens.admin);
    assert.equal(yes.statusCode, 200, yes.body);
    await factsArrived(1);
    assert.equal(facts[0]!.force, true);
    assert.deepEqual(facts[0]!.resources, [{ kind: 'Stage', name: 'dev' }]);
  });
});

describe('DELETE /api/v1/projects/:project', () => {
  it('needs the system admin and removes everything of the Project', async () => {
    assert.equal((await del('/api/v1/projects/shop', tokens.admin)).json().code, 'FERRY_ERR_FORBIDDEN');
    await store.createFreight(freight(ID, 'wild-otter'), 1);
    const res = await del('/api/v1/projects/shop', BOOT);
    assert.deepEqual(res.json(), { kind: 'Project', project: 'shop', name: 'shop', outcome: 'deleted' });
    assert.equal(await store.getProject('shop'), undefined);
    assert.deepEqual(await store.listFreight('shop'), []);
    assert.deepEqual(await store.listStages('shop'), []);
    assert.ok(await store.getProject('other'));
    await factsArrived(1);
    assert.deepEqual(facts[0]!.resources, [{ kind: 'Project', name: 'shop' }]);
  });
});

describe('POST /api/v1/manifests/delete', () => {
  const FILE = `apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: app
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: dev
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: uat
`;
  const post = (payload: Record<string, unknown>, token?: string) =>
    app.inject({ method: 'POST', url: '/api/v1/manifests/delete', headers: auth(token), payload });

  it('deletes each document (Stages before Warehouses) and reports each outcome', async () => {
    const res = await post({ manifests: FILE, project: 'shop' }, tokens.admin);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().results, [
      { kind: 'Stage', project: 'shop', name: 'dev', outcome: 'deleted' },
      {
        kind: 'Stage',
        project: 'shop',
        name: 'uat',
        outcome: 'not found',
        code: 'FERRY_ERR_STAGE_NOT_FOUND',
        message: 'Stage "uat" not found in Project "shop"',
      },
      { kind: 'Warehouse', project: 'shop', name: 'app', outcome: 'deleted' },
    ]);
    await factsArrived(1);
    assert.deepEqual(facts[0]!.resources, [
      { kind: 'Stage', name: 'dev' },
      { kind: 'Warehouse', name: 'app' },
    ]);
    const [entry] = (await store.redis.lrange(Keys.projectAudit('shop'), 0, 0)).map((e) => JSON.parse(e));
    assert.equal(entry.route, 'POST /api/v1/manifests/delete');
  });

  it('needs admin in every Project the file names, and the system admin for a Project', async () => {
    assert.equal((await post({ manifests: FILE, project: 'shop' })).statusCode, 401);
    assert.deepEqual(
      (await post({ manifests: FILE, project: 'shop' }, tokens.viewer)).json().message,
      'this needs the role "admin" in Project "shop"; ask an admin of the Project for it',
    );
    assert.deepEqual(
      (await post({ manifests: FILE, project: 'other' }, tokens.admin)).json().message,
      'this needs the role "admin" in Project "other"; ask an admin of the Project for it',
    );
    const project = await post({ manifests: PROJECT('shop') }, tokens.admin);
    assert.equal(project.statusCode, 403);
    assert.ok(await store.getStage('shop', 'dev'));
    const all = await post({ manifests: PROJECT('shop') }, BOOT);
    assert.deepEqual(
      all.json().results.map((r: { kind: string; outcome: string }) => `${r.kind} ${r.outcome}`),
      ['Stage deleted', 'Warehouse deleted', 'Project deleted'],
    );
  });

  it('refuses a file with a bad document whole, naming each problem', async () => {
    const res = await post(
      {
        manifests: `${FILE}---\nkind: Deployment\nmetadata: {name: x}\n---\nkind: Stage\nmetadata: {}\n`,
        source: 'f.yaml',
      },
      BOOT,
    );
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'FERRY_ERR_BAD_MANIFEST');
    assert.deepEqual(res.json().details.problems, [
      {
        path: 'f.yaml[0].metadata.namespace',
        message: "required: the Warehouse's Project; set it or give one with -p",
      },
      {
        path: 'f.yaml[1].metadata.namespace',
        message: "required: the Stage's Project; set it or give one with -p",
      },
      {
        path: 'f.yaml[2].metadata.namespace',
        message: "required: the Stage's Project; set it or give one with -p",
      },
      {
        path: 'f.yaml[3].kind',
        message:
          '"Deployment": ferry delete knows Promotion, Freight, Stage, Warehouse, PromotionTask, AnalysisTemplate, Secret, ProjectConfig, Project',
      },
      { path: 'f.yaml[4].metadata.name', message: 'required: the Stage to delete' },
    ]);
    assert.ok(await store.getStage('shop', 'dev'));
  });
});

describe('parseDeleteTargets', () => {
  it('takes the namespace, else the default Project; skips empty documents', () => {
    assert.deepEqual(
      parseDeleteTargets(
        '---\nkind: Stage\nmetadata: {name: a, namespace: x}\n---\n---\nkind: Freight\nmetadata: {name: b}\n',
        'd',
      ),
      [
        { kind: 'Freight', project: 'd', name: 'b' },
        { kind: 'Stage', project: 'x', name: 'a' },
      ],
    );
  });
});
