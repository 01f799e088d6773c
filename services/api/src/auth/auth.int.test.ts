import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Bus } from '@ferry/bus';
import { createLogger } from '@ferry/observability';
import { Store } from '@ferry/store';
import { startNatsServer, type TestNatsServer } from '@ferry/support';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.ts';
import { liftQueryToken } from './plugin.ts';

// Redis DB 7 is this file's own.
let nats: TestNatsServer;
let store: Store;
let bus: Bus;
let app: FastifyInstance;
const log = createLogger('auth-test', 'silent');
const BOOT = 'ferry_bootstrap-test-token';
const tokens: Record<string, string> = {};

const MANIFESTS = (p: string) => `apiVersion: kargo.akuity.io/v1alpha1
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
`;

const auth = (token: string | undefined) => (token ? { authorization: `Bearer ${token}` } : {});

const createToken = async (name: string, roles: { project?: string; role: string }[]) => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/tokens',
    headers: auth(BOOT),
    payload: { name, roles },
  });
  assert.equal(res.statusCode, 201, res.body);
  const token = res.json().token as string;
  assert.match(token, /^ferry_[A-Za-z0-9_-]{43}$/);
  return token;
};

before(async () => {
  nats = await startNatsServer();
  store = Store.connect('redis://127.0.0.1:6379/7', 'auth-test');
  await store.redis.flushdb();
  bus = await Bus.connect({ servers: nats.url, name: 'auth-test', log, maxDeliver: 3 });
  app = await buildApp({ store, bus, log, auth: { mode: 'token', bootstrapAdminToken: BOOT } });
  for (const p of ['shop', 'other']) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/apply',
      headers: auth(BOOT),
      payload: { manifests: MANIFESTS(p) },
    });
    assert.equal(res.statusCode, 200, res.body);
  }
  tokens.viewer = await createToken('shop-viewer', [{ project: 'shop', role: 'viewer' }]);
  tokens.promoter = await createToken('shop-promoter', [{ project: 'shop', role: 'promoter' }]);
  tokens.otherPromoter = await createToken('other-promoter', [{ project: 'other', role: 'promoter' }]);
  tokens.admin = await createToken('shop-admin', [{ project: 'shop', role: 'admin' }]);
});
after(async () => {
  await app.close();
  await bus.close();
  await store.redis.flushdb();
  await store.close();
  await nats.close();
});

const UNAUTH = {
  statusCode: 401,
  code: 'FERRY_ERR_UNAUTHENTICATED',
  error: 'Unauthorized',
  message: 'send Authorization: Bearer <token>; get one with ferry login',
};
const forbidden = (role: string, project?: string) => ({
  statusCode: 403,
  code: 'FERRY_ERR_FORBIDDEN',
  error: 'Forbidden',
  message:
    project === undefined
      ? 'this needs the system role "admin"; ask an admin for a token that has it'
      : `this needs the role "${role}" in Project "${project}"; ask an admin of the Project for it`,
});

const FREIGHT = 'a'.repeat(40);
// Every mutating route of the API, with the role it needs in Project "shop" (system: the system admin).
const ROUTES: { method: 'POST' | 'DELETE'; url: string; payload?: unknown; needs: string }[] = [
  {
    method: 'POST',
    url: '/api/v1/projects/shop/promotions',
    payload: { stage: 'prod', freight: FREIGHT },
    needs: 'promoter',
  },
  { method: 'POST', url: '/api/v1/projects/shop/promotions/p1/abort', payload: {}, needs: 'promoter' },
  { method: 'POST', url: '/api/v1/projects/shop/promotions/p1/approve', payload: {}, needs: 'promoter' },
  { method: 'POST', url: '/api/v1/projects/shop/promotions/p1/reject', payload: {}, needs: 'promoter' },
  {
    method: 'POST',
    url: '/api/v1/projects/shop/freight/approve',
    payload: { freight: FREIGHT, stage: 'prod' },
    needs: 'promoter',
  },
  {
    method: 'POST',
    url: '/api/v1/projects/shop/freight/reject',
    payload: { freight: FREIGHT },
    needs: 'promoter',
  },
  { method: 'POST', url: '/api/v1/projects/shop/stages/prod/verify', payload: {}, needs: 'promoter' },
  { method: 'POST', url: '/api/v1/projects/shop/stages/prod/rollback', payload: {}, needs: 'promoter' },
  {
    method: 'POST',
    url: '/api/v1/projects/shop/stages/prod/promote-downstream',
    payload: { freight: FREIGHT },
    needs: 'promoter',
  },
  { method: 'POST', url: '/api/v1/projects/shop/warehouses/app/refresh', payload: {}, needs: 'promoter' },
  { method: 'POST', url: '/api/v1/apply', payload: { manifests: MANIFESTS('shop') }, needs: 'admin' },
  { method: 'POST', url: '/api/v1/tokens', payload: { name: 'x', roles: [] }, needs: 'system' },
  { method: 'DELETE', url: '/api/v1/tokens/nobody', needs: 'system' },
];

describe('every mutating route', () => {
  for (const r of ROUTES) {
    test(`${r.method} ${r.url}`, async () => {
      const call = (token?: string) =>
        app.inject({
          method: r.method,
          url: r.url,
          headers: auth(token),
          ...(r.payload ? { payload: r.payload } : {}),
        });
      const none = await call();
      assert.deepEqual(none.json(), UNAUTH);
      const bad = await call('ferry_not-a-token');
      assert.deepEqual(bad.json(), UNAUTH);
      if (r.needs === 'system') {
        assert.deepEqual((await call(tokens.admin)).json(), forbidden('admin'));
        const ok = await call(BOOT);
        assert.ok(![401, 403].includes(ok.statusCode), ok.body);
        return;
      }
      assert.deepEqual((await call(tokens.viewer)).json(), forbidden(r.needs, 'shop'));
      assert.deepEqual((await call(tokens.otherPromoter)).json(), forbidden(r.needs, 'shop'));
      const right = await call(r.needs === 'admin' ? tokens.admin : tokens.promoter);
      assert.ok(![401, 403].includes(right.statusCode), `${right.statusCode} ${right.body}`);
      if (r.needs === 'admin')
        assert.deepEqual((await call(tokens.promoter)).json(), forbidden('admin', 'shop'));
    });
  }
});

test('reads need viewer in the Project; public routes need nothing', async () => {
  const get = (url: string, token?: string) => app.inject({ method: 'GET', url, headers: auth(token) });
  assert.equal((await get('/api/v1/projects/shop/warehouses')).statusCode, 401);
  assert.equal((await get('/api/v1/projects/shop/warehouses', tokens.viewer)).statusCode, 200);
  assert.deepEqual(
    (await get('/api/v1/projects/shop/warehouses', tokens.otherPromoter)).json(),
    forbidden('viewer', 'shop'),
  );
  // The query token is for EventSource watch streams only.
  assert.equal((await get(`/api/v1/projects/shop/warehouses?access_token=${tokens.viewer}`)).statusCode, 401);
  // On a watch stream it is taken (and cut from the URL); a HEAD-less inject of the stream would
  // not end, so this checks the rewrite itself.
  const raw = {
    method: 'GET',
    url: `/api/v1/projects/shop/stages?watch=true&access_token=${tokens.viewer}`,
    headers: {} as Record<string, string>,
  };
  assert.equal(liftQueryToken(raw as never), '/api/v1/projects/shop/stages?watch=true');
  assert.equal(raw.headers.authorization, `Bearer ${tokens.viewer}`);
  const post = {
    method: 'POST',
    url: '/api/v1/apply?watch=true&access_token=x',
    headers: {} as Record<string, string>,
  };
  assert.equal(liftQueryToken(post as never), '/api/v1/apply?watch=true');
  assert.equal(post.headers.authorization, undefined);
  for (const url of ['/healthz', '/api/v1/openapi.json', '/ui']) {
    assert.equal((await get(url)).statusCode, 200, url);
  }
});

test('apply needs the system admin for a new Project', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    headers: auth(tokens.admin),
    payload: { manifests: MANIFESTS('brand-new') },
  });
  assert.deepEqual(res.json(), forbidden('admin'));
  assert.equal(await store.getProject('brand-new'), undefined);
});

test('token lifecycle: create, use, list without secrets, delete, then refused', async () => {
  const token = await createToken('ci', [{ project: 'shop', role: 'viewer' }]);
  const who = await app.inject({ method: 'GET', url: '/api/v1/whoami', headers: auth(token) });
  assert.deepEqual(who.json(), {
    name: 'ci',
    subject: 'ci',
    roles: [{ project: 'shop', role: 'viewer' }],
    auth: 'token',
  });
  const dup = await app.inject({
    method: 'POST',
    url: '/api/v1/tokens',
    headers: auth(BOOT),
    payload: { name: 'ci', roles: [] },
  });
  assert.equal(dup.json().code, 'FERRY_ERR_TOKEN_EXISTS');
  const list = await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: auth(BOOT) });
  assert.equal(list.statusCode, 200);
  assert.ok(!list.body.includes(token), 'the list holds no secret');
  assert.ok(!list.body.includes('hash'), 'the list holds no hash');
  const ci = list.json().items.find((t: { name: string }) => t.name === 'ci');
  assert.equal(typeof ci.lastUsedAt, 'string');
  assert.deepEqual(
    list.json().items.map((t: { name: string }) => t.name),
    ['ci', 'other-promoter', 'shop-admin', 'shop-promoter', 'shop-viewer', 'x'],
  );
  const del = await app.inject({ method: 'DELETE', url: '/api/v1/tokens/ci', headers: auth(BOOT) });
  assert.equal(del.statusCode, 204);
  const after = await app.inject({ method: 'GET', url: '/api/v1/whoami', headers: auth(token) });
  assert.deepEqual(after.json(), UNAUTH);
  const again = await app.inject({ method: 'DELETE', url: '/api/v1/tokens/ci', headers: auth(BOOT) });
  assert.equal(again.json().code, 'FERRY_ERR_TOKEN_NOT_FOUND');
  assert.equal((await store.redis.hgetall('ferry:auth:tokens')).ci, undefined);
});

test('a role without a Project other than admin is refused', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/tokens',
    headers: auth(BOOT),
    payload: { name: 'odd', roles: [{ role: 'viewer' }] },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(
    res.json().message,
    'role "viewer" needs a "project"; only "admin" exists without one (the system admin)',
  );
});

test('mutating requests are audited per Project, newest first; reading the log needs admin', async () => {
  await app.inject({
    method: 'POST',
    url: '/api/v1/projects/shop/warehouses/app/refresh',
    headers: auth(tokens.promoter),
    payload: {},
  });
  await app.inject({
    method: 'POST',
    url: '/api/v1/projects/shop/stages/prod/verify',
    headers: auth(tokens.viewer),
    payload: {},
  });
  const denied = await app.inject({
    method: 'GET',
    url: '/api/v1/projects/shop/audit',
    headers: auth(tokens.promoter),
  });
  assert.deepEqual(denied.json(), forbidden('admin', 'shop'));
  const res = await app.inject({
    method: 'GET',
    url: '/api/v1/projects/shop/audit?limit=2',
    headers: auth(tokens.admin),
  });
  assert.equal(res.statusCode, 200, res.body);
  const items = res.json().items as Record<string, unknown>[];
  assert.equal(items.length, 2);
  const [verify, refresh] = items.map(({ at, ...rest }) => {
    assert.equal(typeof at, 'string');
    return rest;
  });
  assert.deepEqual(verify, {
    who: 'shop-viewer',
    token: 'shop-viewer',
    route: 'POST /api/v1/projects/:project/stages/:name/verify',
    target: 'prod',
    status: 403,
    from: '127.0.0.1',
    project: 'shop',
  });
  assert.equal(refresh?.who, 'shop-promoter');
  assert.equal(refresh?.route, 'POST /api/v1/projects/:project/warehouses/:name/refresh');
  assert.ok(![401, 403].includes(refresh?.status as number));
  // Token changes land in the system log.
  const system = await store.redis.lrange('ferry:audit', 0, -1);
  assert.ok(system.some((e) => JSON.parse(e).route === 'POST /api/v1/tokens'));
});

test('GET /api/v1/projects lists only the Projects the token has a role in', async () => {
  const names = async (token: string) => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/projects', headers: auth(token) });
    assert.equal(res.statusCode, 200, res.body);
    return (res.json().items as { metadata: { name: string } }[]).map((p) => p.metadata.name).sort();
  };
  assert.deepEqual(await names(tokens.viewer!), ['shop']);
  assert.deepEqual(await names(tokens.otherPromoter!), ['other']);
  assert.deepEqual(await names(BOOT), ['other', 'shop']);
  const both = await createToken('both-viewer', [
    { project: 'shop', role: 'viewer' },
    { project: 'other', role: 'admin' },
  ]);
  assert.deepEqual(await names(both), ['other', 'shop']);
  const none = await createToken('no-roles', []);
  assert.deepEqual(await names(none), []);
  // Paging counts only what the caller may see.
  const page = await app.inject({
    method: 'GET',
    url: '/api/v1/projects?limit=1',
    headers: auth(tokens.viewer),
  });
  assert.deepEqual(
    page.json().items.map((p: { metadata: { name: string } }) => p.metadata.name),
    ['shop'],
  );
  assert.equal(page.json().metadata, undefined);
  const unauth = await app.inject({ method: 'GET', url: '/api/v1/projects' });
  assert.deepEqual(unauth.json(), UNAUTH);
});

test('a token may expire: a past expiresAt is refused, an expired token is marked and refused', async () => {
  const past = await app.inject({
    method: 'POST',
    url: '/api/v1/tokens',
    headers: auth(BOOT),
    payload: { name: 'late', roles: [], expiresAt: '2020-01-01T00:00:00Z' },
  });
  assert.equal(past.statusCode, 400);
  assert.equal(past.json().code, 'FERRY_ERR_VALIDATION');
  assert.deepEqual(past.json().details.problems, [
    {
      path: '/expiresAt',
      message:
        '2020-01-01T00:00:00Z is not in the future; give a later time or leave it out for a token that does not expire',
    },
  ]);
  const expiresAt = new Date(Date.now() + 1500).toISOString();
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/tokens',
    headers: auth(BOOT),
    payload: { name: 'short-lived', roles: [{ project: 'shop', role: 'viewer' }], expiresAt },
  });
  assert.equal(res.statusCode, 201, res.body);
  const token = res.json().token as string;
  const listed = async () =>
    (await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: auth(BOOT) }))
      .json()
      .items.find((t: { name: string }) => t.name === 'short-lived');
  assert.equal((await listed()).expired, false);
  assert.equal(
    (await app.inject({ method: 'GET', url: '/api/v1/whoami', headers: auth(token) })).statusCode,
    200,
  );
  await new Promise((r) => setTimeout(r, 1600));
  assert.deepEqual(
    { expiresAt: (await listed()).expiresAt, expired: (await listed()).expired },
    { expiresAt, expired: true },
  );
  const refused = await app.inject({ method: 'GET', url: '/api/v1/whoami', headers: auth(token) });
  assert.deepEqual(refused.json(), UNAUTH);
  // Tokens without an expiry carry no `expired` field.
  const viewer = (await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: auth(BOOT) }))
    .json()
    .items.find((t: { name: string }) => t.name === 'shop-viewer');
  assert.equal('expired' in viewer, false);
});
