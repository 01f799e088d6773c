import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Bus } from '@ferry/bus';
import { COMMANDS_STREAM, type Warehouse, type WebhookProvider } from '@ferry/contracts';
import { createLogger } from '@ferry/observability';
import { Keys, Store } from '@ferry/store';
import {
  startNatsServer,
  startRegistry,
  type TestNatsServer,
  type TestRegistry,
  waitFor,
} from '@ferry/support';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.ts';
import { receiverPath } from './receivers.ts';

/**
 * One secret per receiver. GitHub's and Harbor's come as v1 Secrets in the applied file (stored
 * encrypted); the others the interim way, as FERRY_WEBHOOK_SECRET_<NAME>.
 */
const SECRETS: Record<WebhookProvider, string> = {
  github: 'gh-s3cret',
  gitlab: 'gl-token',
  quay: 'quay-s3cret',
  dockerhub: 'hub-s3cret',
  harbor: 'Basic aGFyYm9yOmhvb2s=',
  generic: 'generic-s3cret',
  distribution: 'registry-token',
  gitea: 'gitea-s3cret',
  bitbucket: 'bb-s3cret',
  artifactory: 'frog-token',
  azure: 'acr-s3cret',
};
const PROJECT = 'hooks';
const STORED: WebhookProvider[] = ['github', 'harbor'];
const KEY = Buffer.alloc(32, 7).toString('base64');
const b64 = (s: string) => Buffer.from(s).toString('base64');

let nats: TestNatsServer;
let store: Store;
let bus: Bus;
let app: FastifyInstance;
let registry: TestRegistry;
const log = createLogger('webhooks-test', 'silent');
const saved = { ...process.env };

const manifests = (registryHost: string) => `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: ${PROJECT}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata:
  name: ${PROJECT}
  namespace: ${PROJECT}
spec:
  webhookReceivers:
${Object.keys(SECRETS)
  .map((p) => `    - name: ${p}-rx\n      ${p}:\n        secretRef: { name: ${p}-secret }\n`)
  .join('')}    - name: unset-rx
      quay:
        secretRef: { name: not-set }
---
apiVersion: v1
kind: Secret
metadata:
  name: github-secret
  namespace: ${PROJECT}
data:
  secret: ${b64(SECRETS.github)}
---
apiVersion: v1
kind: Secret
metadata:
  name: harbor-secret
  namespace: ${PROJECT}
stringData:
  auth-header: ${SECRETS.harbor}
${[
  ['ghcr', 'ghcr.io/acme/app'],
  ['hub', 'acme/app'],
  ['quay', 'quay.io/acme/app'],
  ['harbor', 'harbor.example.com/acme/app'],
  ['generic', 'registry.example.com/acme/app'],
  ['registry', `${registryHost}/acme/app`],
  ['other', 'ghcr.io/acme/other'],
  ['frog', 'acme.jfrog.io/docker-local/acme/app'],
  ['acr', 'acme.azurecr.io/acme/app'],
  // Git subscriptions, each written in a different URL form than its sender names.
  ['src-gh', 'git@github.com:acme/app.git', 'git'],
  ['src-gl', 'https://GitLab.example.com/acme/app/', 'git'],
  ['src-tea', 'http://gitea.example.com:3000/acme/app', 'git'],
  ['src-bb', 'https://bitbucket.org/acme/app.git', 'git'],
  ['src-ado', 'https://dev.azure.com/acme/shop/_git/app', 'git'],
  ['src-other', 'https://github.com/acme/app-config', 'git'],
]
  .map(
    ([name, repo, kind = 'image']) =>
      `---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata:\n  name: ${name}\n  namespace: ${PROJECT}\nspec:\n  subscriptions:\n    - ${kind}:\n        repoURL: ${repo}\n`,
  )
  .join('')}`;

/** A Warehouse with an OCI chart subscription, stored directly (chart manifests are parsed elsewhere). */
const chartWarehouse = {
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'quay-chart', namespace: PROJECT },
  spec: {
    interval: '5m0s',
    freightCreationPolicy: 'Automatic',
    subscriptions: [{ chart: { repoURL: 'oci://quay.io/acme/app', discoveryLimit: 20 } }],
  },
} satisfies Warehouse;

const pathOf = (p: WebhookProvider) => receiverPath(PROJECT, `${p}-rx`, p, SECRETS[p]);
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const hmac = (body: Buffer, secret: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** Takes every RefreshWarehouse command published so far off the commands stream, as `project/warehouse`. */
async function takeRefreshes(): Promise<string[]> {
  const info = await bus.jsm.streams.info(COMMANDS_STREAM);
  const out: string[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await bus.jsm.streams.getMessage(COMMANDS_STREAM, { seq }).catch(() => undefined);
    if (!m?.subject.startsWith('ferry.v1.cmd.poller.refresh.')) continue;
    const p = m.json<{ project: string; warehouse: string }>();
    out.push(`${p.project}/${p.warehouse}`);
  }
  await bus.jsm.streams.purge(COMMANDS_STREAM);
  return out.sort();
}

before(async () => {
  for (const [p, s] of Object.entries(SECRETS))
    if (!STORED.includes(p as WebhookProvider))
      process.env[`FERRY_WEBHOOK_SECRET_${p.toUpperCase()}_SECRET`] = s;
  process.env.FERRY_ENCRYPTION_KEY = KEY;
  nats = await startNatsServer();
  store = Store.connect('redis://127.0.0.1:6379/13', 'webhooks-test');
  await store.redis.flushdb();
  bus = await Bus.connect({ servers: nats.url, name: 'webhooks-test', log, maxDeliver: 3 });
  app = await buildApp({ store, bus, log });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  registry = await startRegistry({
    notify: {
      url: `${api}${pathOf('distribution')}`,
      headers: { Authorization: [`Bearer ${SECRETS.distribution}`] },
    },
  });
  const applied = await app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    payload: { manifests: manifests(registry.host) },
  });
  assert.equal(applied.statusCode, 200, applied.body);
  assert.deepEqual(
    applied
      .json()
      .results.filter((r: { kind: string }) => r.kind === 'Secret')
      .map((r: { name: string; action: string }) => `${r.name}:${r.action}`),
    ['github-secret:created', 'harbor-secret:created'],
  );
  await store.redis.hset(Keys.warehouses(PROJECT), 'quay-chart', JSON.stringify(chartWarehouse));
  await takeRefreshes();
});

after(async () => {
  await registry?.close();
  await app?.close();
  await bus?.close();
  await store?.redis.flushdb();
  await store?.close();
  await nats?.close();
  process.env = saved;
});

/** Per provider: a valid delivery, with the headers that sign or authenticate it. */
const VALID: Array<[WebhookProvider, string, (body: Buffer) => Record<string, string>, string[]]> = [
  [
    'github',
    'github-package.json',
    (b) => ({ 'x-github-event': 'package', 'x-hub-signature-256': hmac(b, SECRETS.github) }),
    ['ghcr'],
  ],
  [
    'github',
    'github-push.json',
    (b) => ({ 'x-github-event': 'push', 'x-hub-signature-256': hmac(b, SECRETS.github) }),
    ['src-gh'],
  ],
  ['dockerhub', 'dockerhub-push.json', () => ({}), ['hub']],
  ['quay', 'quay-push.json', () => ({}), ['quay', 'quay-chart']],
  ['harbor', 'harbor-push.json', () => ({ authorization: SECRETS.harbor }), ['harbor']],
  ['generic', 'generic.json', (b) => ({ 'x-ferry-signature-256': hmac(b, SECRETS.generic) }), ['generic']],
  [
    'distribution',
    'distribution-push.json',
    () => ({
      authorization: `Bearer ${SECRETS.distribution}`,
      'content-type': 'application/vnd.docker.distribution.events.v1+json',
    }),
    ['registry'],
  ],
  [
    'gitlab',
    'gitlab-push.json',
    () => ({ 'x-gitlab-token': SECRETS.gitlab, 'x-gitlab-event': 'Push Hook' }),
    ['src-gl'],
  ],
  [
    'gitlab',
    'gitlab-push.json',
    () => ({ 'x-gitlab-token': SECRETS.gitlab, 'x-gitlab-event': 'Tag Push Hook' }),
    ['src-gl'],
  ],
  [
    'gitea',
    'gitea-push.json',
    (b) => ({ 'x-gitea-event': 'push', 'x-gitea-signature': hmac(b, SECRETS.gitea).slice(7) }),
    ['src-tea'],
  ],
  [
    'bitbucket',
    'bitbucket-push.json',
    (b) => ({ 'x-event-key': 'repo:push', 'x-hub-signature': hmac(b, SECRETS.bitbucket) }),
    ['src-bb'],
  ],
  [
    'artifactory',
    'artifactory-push.json',
    (b) => ({ 'x-jfrog-event-auth': hmac(b, SECRETS.artifactory).slice(7) }),
    ['frog'],
  ],
  ['azure', 'azure-acr-push.json', () => ({ 'user-agent': 'AzureContainerRegistry/1.0' }), ['acr']],
  ['azure', 'azure-devops-push.json', () => ({ 'user-agent': 'VSServices/19.0' }), ['src-ado']],
];

test('a valid delivery publishes RefreshWarehouse for the matching Warehouse only', async () => {
  for (const [provider, file, headers, want] of VALID) {
    // The sample names a registry on 127.0.0.1:5000; the test registry listens elsewhere.
    const body = Buffer.from(fixture(file).toString().replaceAll('127.0.0.1:5000', registry.host));
    const res = await app.inject({
      method: 'POST',
      url: pathOf(provider),
      headers: { 'content-type': 'application/json', ...headers(body) },
      payload: body,
    });
    assert.equal(res.statusCode, 200, `${provider}: ${res.body}`);
    assert.deepEqual(res.json().refreshed, want, provider);
    assert.deepEqual(
      await takeRefreshes(),
      want.map((w) => `${PROJECT}/${w}`),
      provider,
    );
  }
});

test('pings and events a receiver does not handle are answered 200 and refresh nothing', async () => {
  const cases: Array<[WebhookProvider, string, (b: Buffer) => Record<string, string>, string]> = [
    [
      'github',
      'github-ping.json',
      (b) => ({ 'x-github-event': 'ping', 'x-hub-signature-256': hmac(b, SECRETS.github) }),
      'pong',
    ],
    [
      'github',
      'github-push.json',
      (b) => ({ 'x-github-event': 'issues', 'x-hub-signature-256': hmac(b, SECRETS.github) }),
      'event "issues" is not handled',
    ],
    [
      'gitea',
      'gitea-push.json',
      (b) => ({ 'x-gitea-event': 'create', 'x-gitea-signature': hmac(b, SECRETS.gitea).slice(7) }),
      'event "create" is not handled',
    ],
    [
      'bitbucket',
      'bitbucket-push.json',
      (b) => ({ 'x-event-key': 'pullrequest:created', 'x-hub-signature': hmac(b, SECRETS.bitbucket) }),
      'event "pullrequest:created" is not handled',
    ],
    [
      'artifactory',
      'dockerhub-push.json',
      (b) => ({ 'x-jfrog-event-auth': hmac(b, SECRETS.artifactory).slice(7) }),
      'event "/" is not a docker push',
    ],
    ['azure', 'azure-acr-ping.json', () => ({}), 'pong'],
  ];
  for (const [provider, file, headers, message] of cases) {
    const body = fixture(file);
    const res = await app.inject({
      method: 'POST',
      url: pathOf(provider),
      headers: { 'content-type': 'application/json', ...headers(body) },
      payload: body,
    });
    assert.equal(res.statusCode, 200, `${provider}: ${res.body}`);
    assert.deepEqual(res.json(), { refreshed: [], message }, provider);
  }
  assert.deepEqual(await takeRefreshes(), []);
});

test('a bad or missing signature gets 401 with a Ferry error and publishes nothing', async () => {
  const cases: Array<[WebhookProvider, string, Record<string, string>, string]> = [
    [
      'github',
      'github-package.json',
      { 'x-github-event': 'package', 'x-hub-signature-256': 'sha256=00' },
      'the request to github webhook receiver "github-rx" has a missing or wrong X-Hub-Signature-256 header',
    ],
    [
      'gitlab',
      'gitlab-push.json',
      { 'x-gitlab-token': 'wrong' },
      'the request to gitlab webhook receiver "gitlab-rx" has a missing or wrong X-Gitlab-Token header',
    ],
    [
      'harbor',
      'harbor-push.json',
      {},
      'the request to harbor webhook receiver "harbor-rx" has a missing or wrong Authorization header',
    ],
    [
      'generic',
      'generic.json',
      { 'x-ferry-signature-256': hmac(Buffer.from('{}'), SECRETS.generic) },
      'the request to generic webhook receiver "generic-rx" has a missing or wrong signature header',
    ],
    [
      'distribution',
      'distribution-push.json',
      { authorization: 'Bearer nope' },
      'the request to distribution webhook receiver "distribution-rx" has a missing or wrong Authorization: Bearer token',
    ],
    [
      'gitea',
      'gitea-push.json',
      { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(Buffer.from('{}'), SECRETS.gitea).slice(7) },
      'the request to gitea webhook receiver "gitea-rx" has a missing or wrong X-Gitea-Signature header',
    ],
    [
      'bitbucket',
      'bitbucket-push.json',
      { 'x-event-key': 'repo:push' },
      'the request to bitbucket webhook receiver "bitbucket-rx" has a missing or wrong X-Hub-Signature header',
    ],
    [
      'artifactory',
      'artifactory-push.json',
      { 'x-jfrog-event-auth': 'not-a-signature' },
      'the request to artifactory webhook receiver "artifactory-rx" has a missing or wrong X-Jfrog-Event-Auth header',
    ],
  ];
  for (const [provider, file, headers, message] of cases) {
    const res = await app.inject({
      method: 'POST',
      url: pathOf(provider),
      headers: { 'content-type': 'application/json', ...headers },
      payload: fixture(file),
    });
    assert.equal(res.statusCode, 401, `${provider}: ${res.body}`);
    assert.deepEqual(res.json(), {
      statusCode: 401,
      code: 'FERRY_ERR_WEBHOOK_UNAUTHORIZED',
      error: res.json().error,
      message,
    });
  }
  // Docker Hub, Quay and Azure sign nothing: their secret is the path, so a wrong secret is an unknown path.
  for (const [provider, file] of [
    ['dockerhub', 'dockerhub-push.json'],
    ['azure', 'azure-acr-push.json'],
  ] as const) {
    const wrong = receiverPath(PROJECT, `${provider}-rx`, provider, 'guess');
    const res = await app.inject({ method: 'POST', url: wrong, payload: fixture(file) });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'FERRY_ERR_NOT_FOUND');
    assert.equal(res.json().message, `no webhook receiver at ${wrong}`);
  }
  assert.deepEqual(await takeRefreshes(), []);
});

test('an oversized body gets 413 for every provider and publishes nothing', async () => {
  const big = Buffer.alloc(2 * 1024 * 1024 + 1, 0x20);
  for (const provider of Object.keys(SECRETS) as WebhookProvider[]) {
    const res = await app.inject({
      method: 'POST',
      url: pathOf(provider),
      headers: { 'content-type': 'application/json' },
      payload: big,
    });
    assert.equal(res.statusCode, 413, `${provider}: ${res.body}`);
    assert.equal(res.json().code, 'FERRY_ERR_WEBHOOK_TOO_LARGE', provider);
  }
  assert.deepEqual(await takeRefreshes(), []);
});

test("the ProjectConfig shows each receiver's path, or why it has none", async () => {
  const res = await app.inject({ method: 'GET', url: `/api/v1/projects/${PROJECT}/projectconfig` });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json().status.webhookReceivers, [
    ...(Object.keys(SECRETS) as WebhookProvider[]).map((p) => ({ name: `${p}-rx`, path: pathOf(p) })),
    {
      name: 'unset-rx',
      message:
        'Secret "not-set" with key "secret" not found: apply it with ferry apply, or set FERRY_WEBHOOK_SECRET_NOT_SET for the api',
    },
  ]);
  const missing = await app.inject({ method: 'GET', url: '/api/v1/projects/nope/projectconfig' });
  assert.equal(missing.json().code, 'FERRY_ERR_PROJECT_NOT_FOUND');
});

test('a receiver over its rate limit gets 429', async () => {
  const codes: number[] = [];
  for (let i = 0; i < 25; i++) {
    const res = await app.inject({
      method: 'POST',
      url: pathOf('gitlab'),
      payload: fixture('gitlab-push.json'),
    });
    codes.push(res.statusCode);
  }
  assert.ok(codes.includes(429), codes.join());
  const last = await app.inject({
    method: 'POST',
    url: pathOf('gitlab'),
    payload: fixture('gitlab-push.json'),
  });
  assert.equal(last.json().code, 'FERRY_ERR_WEBHOOK_RATE_LIMITED');
});

test('end to end: pushing to a real registry publishes RefreshWarehouse through its notification', async () => {
  await registry.pushImage('acme/app', '1.0.0');
  await waitFor(
    'a RefreshWarehouse from the registry notification',
    async () => {
      const got = await takeRefreshes();
      if (got.length === 0) return false;
      assert.deepEqual([...new Set(got)], [`${PROJECT}/registry`]);
      return true;
      // The registry delivers its events in order and retries refused ones with backoff: on a busy
      // machine the push's event can queue behind earlier ones for more than a few seconds.
    },
    45_000,
  );
});

test('Secrets are stored encrypted, re-applied unchanged, and refused without FERRY_ENCRYPTION_KEY', async () => {
  const raw = await store.redis.get(`ferry:p:${PROJECT}:secret:github-secret`);
  assert.ok(raw, 'stored');
  assert.ok(!raw.includes(SECRETS.github) && !raw.includes(b64(SECRETS.github)), 'not in plain text');
  const again = await app.inject({
    method: 'POST',
    url: '/api/v1/apply',
    payload: { manifests: manifests(registry.host) },
  });
  assert.deepEqual(
    again
      .json()
      .results.filter((r: { kind: string }) => r.kind === 'Secret')
      .map((r: { action: string }) => r.action),
    ['unchanged', 'unchanged'],
  );
  delete process.env.FERRY_ENCRYPTION_KEY;
  try {
    const file = `apiVersion: v1\nkind: Secret\nmetadata: { name: late, namespace: ${PROJECT} }\nstringData: { secret: x }\n---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata: { name: late, namespace: ${PROJECT} }\nspec:\n  subscriptions:\n    - image: { repoURL: ghcr.io/acme/late }\n`;
    const refused = await app.inject({ method: 'POST', url: '/api/v1/apply', payload: { manifests: file } });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(refused.json().code, 'FERRY_ERR_VALIDATION');
    assert.equal(
      refused.json().message,
      'the manifests hold Secrets but the api has no encryption key: set FERRY_ENCRYPTION_KEY (32 bytes in base64, e.g. `openssl rand -base64 32`) and restart the api, or remove the Secrets',
    );
    assert.equal(await store.getWarehouse(PROJECT, 'late'), undefined, 'nothing applied');
    assert.equal(await store.redis.get(`ferry:p:${PROJECT}:secret:late`), null);
  } finally {
    process.env.FERRY_ENCRYPTION_KEY = KEY;
  }
});
