import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Bus } from '@ferry/bus';
import { parseOidcRoles } from '@ferry/config';
import type { Freight } from '@ferry/contracts';
import { createLogger } from '@ferry/observability';
import { Store } from '@ferry/store';
import { type OidcIssuer, startNatsServer, startOidcIssuer, type TestNatsServer } from '@ferry/support';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.ts';
import type { OidcAuthOptions } from './oidc-auth.ts';

// Redis DB 7, shared with auth.int.test.ts: int tests run one file at a time, each flushes 7 only.
let nats: TestNatsServer;
let store: Store;
let bus: Bus;
let app: FastifyInstance;
let oidcOnly: FastifyInstance;
let issuer: OidcIssuer;
const log = createLogger('oidc-test', 'silent');
const BOOT = 'ferry_bootstrap-oidc-test';
const ID = 'b'.repeat(40);

const MANIFESTS = `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: shop
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: app
  namespace: shop
spec:
  subscriptions:
    - image:
        repoURL: ghcr.io/acme/app
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: prod
  namespace: shop
spec:
  requestedFreight:
    - origin: { kind: Warehouse, name: app }
      sources: { direct: true }
`;

const freight: Freight = {
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name: ID, namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
  alias: 'calm-heron',
  origin: { kind: 'Warehouse', name: 'app' },
  images: [{ repoURL: 'ghcr.io/acme/app', tag: '1.0.0', digest: 'sha256:1' }],
  commits: [],
  charts: [],
  status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
};

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const oidcOptions = (): OidcAuthOptions => ({
  issuerUrl: issuer.issuer,
  clientId: 'ferry-ui',
  cliClientId: 'ferry-cli',
  audiences: ['ferry-ui', 'ferry-cli'],
  scopes: ['openid', 'profile', 'email', 'groups'],
  usernameClaim: undefined,
  groupsClaim: 'groups',
  roles: parseOidcRoles(
    'group:platform=system:admin,group:shop-devs=project:shop:promoter,*=project:shop:viewer',
    [],
  ),
  clockSkewSeconds: 30,
  jwksMinRefetchMs: 0,
});

const ADMIN = { sub: 'u-admin', email: 'root@example.com', groups: ['platform'] };
const DEV = { sub: 'u-dev', email: 'dev@example.com', groups: ['shop-devs'] };
const GUEST = { sub: 'u-guest', groups: [] };

before(async () => {
  nats = await startNatsServer();
  issuer = await startOidcIssuer({ clientIds: ['ferry-ui', 'ferry-cli', 'someone-else'] });
  store = Store.connect('redis://127.0.0.1:6379/7', 'oidc-test');
  await store.redis.flushdb();
  bus = await Bus.connect({ servers: nats.url, name: 'oidc-test', log, maxDeliver: 3 });
  app = await buildApp({
    store,
    bus,
    log,
    auth: { mode: 'token', bootstrapAdminToken: BOOT, oidc: oidcOptions() },
  });
  oidcOnly = await buildApp({ store, bus, log, auth: { mode: 'oidc', oidc: oidcOptions() } });
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    headers: auth(issuer.mint(ADMIN, { aud: 'ferry-ui' })),
    payload: { manifests: MANIFESTS },
  });
  assert.equal(res.statusCode, 200, res.body);
  await store.createFreight(freight, 1);
});
after(async () => {
  await app.close();
  await oidcOnly.close();
  await bus.close();
  await store.redis.flushdb();
  await store.close();
  await nats.close();
  await issuer.close();
});

test('GET /api/v1/auth/config is public and names the issuer and client ids only', async () => {
  const res = await app.inject({ method: 'GET', url: '/api/v1/auth/config' });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), {
    methods: ['token', 'oidc'],
    oidc: {
      issuer: issuer.issuer,
      clientId: 'ferry-ui',
      cliClientId: 'ferry-cli',
      scopes: ['openid', 'profile', 'email', 'groups'],
    },
  });
  const only = await oidcOnly.inject({ method: 'GET', url: '/api/v1/auth/config' });
  assert.deepEqual(only.json().methods, ['oidc']);
  const none = await buildApp({ store, bus, log });
  assert.deepEqual((await none.inject({ method: 'GET', url: '/api/v1/auth/config' })).json(), {
    methods: [],
  });
  await none.close();
});

test('whoami: the user-name claim is the subject, groups map to roles; API tokens still work', async () => {
  const cases: [Record<string, string>, unknown][] = [
    [
      auth(issuer.mint(ADMIN, { aud: 'ferry-cli' })),
      {
        name: 'oidc',
        subject: 'root@example.com',
        roles: [{ role: 'admin' }, { project: 'shop', role: 'viewer' }],
        auth: 'token',
      },
    ],
    [
      auth(issuer.mint(DEV, { aud: 'ferry-ui' })),
      {
        name: 'oidc',
        subject: 'dev@example.com',
        roles: [
          { project: 'shop', role: 'promoter' },
          { project: 'shop', role: 'viewer' },
        ],
        auth: 'token',
      },
    ],
    [
      auth(issuer.mint(GUEST, { aud: 'ferry-ui' })),
      { name: 'oidc', subject: 'u-guest', roles: [{ project: 'shop', role: 'viewer' }], auth: 'token' },
    ],
    [
      auth(BOOT),
      { name: 'bootstrap-admin', subject: 'bootstrap-admin', roles: [{ role: 'admin' }], auth: 'token' },
    ],
  ];
  for (const [headers, want] of cases) {
    const res = await app.inject({ method: 'GET', url: '/api/v1/whoami', headers });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), want);
  }
});

test('refused ID tokens answer 401 with the cause and a reason', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, string, string | RegExp][] = [
    [
      issuer.mint(DEV, { iat: now - 900, exp: now - 600 }),
      'expired',
      `the ID token expired at ${new Date((now - 600) * 1000).toISOString()}; log in again (ferry login --oidc, or the UI)`,
    ],
    [
      issuer.mint(DEV, { aud: 'someone-else' }),
      'wrong_audience',
      `the ID token is for audience "someone-else", not "ferry-ui" or "ferry-cli"; get a token issued to Ferry's client id`,
    ],
    [issuer.mint(DEV, { alg: 'none' }), 'unsupported_alg', /^the ID token's alg "none" is not accepted/],
    [
      issuer.mint(DEV, { kid: issuer.addKey('ES256') }),
      'unknown_key',
      /which the issuer's JWKS does not list/,
    ],
  ];
  for (const [token, reason, message] of cases) {
    const res = await app.inject({ method: 'GET', url: '/api/v1/projects', headers: auth(token) });
    assert.equal(res.statusCode, 401, res.body);
    const body = res.json();
    assert.equal(body.code, 'FERRY_ERR_UNAUTHENTICATED');
    assert.deepEqual(body.details, { reason });
    if (typeof message === 'string') assert.equal(body.message, message);
    else assert.match(body.message, message);
  }
  // With oidc alone, API tokens are not accepted at all.
  const res = await oidcOnly.inject({ method: 'GET', url: '/api/v1/projects', headers: auth(BOOT) });
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().message, 'send Authorization: Bearer <token>; get one with ferry login');
});

test('roles from claims are enforced; approvals and the audit log name the user by the claim', async () => {
  const approved: { by: string }[] = [];
  const sub = bus.nc.subscribe('ferry.v1.cmd.freight.approve.>', {
    callback: (_err, msg) => {
      approved.push(msg.json() as { by: string });
    },
  });
  const guest = await app.inject({
    method: 'POST',
    url: '/api/v1/projects/shop/freight/approve',
    headers: auth(issuer.mint(GUEST)),
    payload: { freight: ID, stage: 'prod' },
  });
  assert.equal(guest.statusCode, 403, guest.body);
  assert.equal(
    guest.json().message,
    'this needs the role "promoter" in Project "shop"; ask an admin of the Project for it',
  );
  // A rotated key: the verifier fetches the JWKS again for the new kid.
  issuer.rotate('ES256');
  const dev = await app.inject({
    method: 'POST',
    url: '/api/v1/projects/shop/freight/approve',
    headers: auth(issuer.mint(DEV)),
    payload: { freight: ID, stage: 'prod' },
  });
  assert.equal(dev.statusCode, 202, dev.body);
  for (let i = 0; i < 100 && approved.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  sub.unsubscribe();
  assert.deepEqual(
    approved.map((a) => a.by),
    ['dev@example.com'],
  );
  const log = await app.inject({
    method: 'GET',
    url: '/api/v1/projects/shop/audit?limit=2',
    headers: auth(issuer.mint(ADMIN)),
  });
  assert.equal(log.statusCode, 200, log.body);
  assert.deepEqual(
    (log.json().items as Record<string, unknown>[]).map(({ who, token, status }) => ({ who, token, status })),
    [
      { who: 'dev@example.com', token: 'oidc', status: 202 },
      { who: 'u-guest', token: 'oidc', status: 403 },
    ],
  );
});
