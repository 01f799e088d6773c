import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ProjectConfig, Warehouse, WebhookProvider } from '@ferry/contracts';
import { PROVIDERS } from './providers/index.ts';
import type { WebhookRequest } from './providers/types.ts';
import { TokenBuckets } from './rate-limit.ts';
import {
  matchingWarehouses,
  receiverDetails,
  receiverPath,
  resolveReceivers,
  secretLookup,
} from './receivers.ts';
import { SecretStore } from './secrets.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const hmac = (body: Buffer, secret: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

test('each provider reads the repositories its payload names, or says why it refreshes nothing', () => {
  const cases: Array<[WebhookProvider, string, Record<string, string>, string]> = [
    ['github', 'github-package.json', { 'x-github-event': 'package' }, 'refresh ghcr.io/acme/app:1.4.0'],
    [
      'github',
      'github-push.json',
      { 'x-github-event': 'push' },
      'ignore no matching subscription: git subscriptions are not supported yet',
    ],
    ['github', 'github-ping.json', { 'x-github-event': 'ping' }, 'ignore pong'],
    ['github', 'github-ping.json', { 'x-github-event': 'issues' }, 'ignore event "issues" is not handled'],
    [
      'gitlab',
      'gitlab-push.json',
      { 'x-gitlab-event': 'Push Hook' },
      'ignore no matching subscription: GitLab sends git events (Push Hook), and Ferry has no git subscriptions yet',
    ],
    ['dockerhub', 'dockerhub-push.json', {}, 'refresh docker.io/acme/app'],
    ['quay', 'quay-push.json', {}, 'refresh quay.io/acme/app'],
    ['harbor', 'harbor-push.json', {}, 'refresh harbor.example.com/acme/app:1.4.0'],
    ['generic', 'generic.json', {}, 'refresh https://Registry.Example.com/acme/app/'],
    ['distribution', 'distribution-push.json', {}, 'refresh 127.0.0.1:5000/acme/app'],
    ['distribution', 'quay-push.json', {}, 'ignore no manifest push in the events'],
  ];
  for (const [provider, file, headers, want] of cases) {
    const body = fixture(file);
    const out = PROVIDERS[provider].extract({ headers, body }, JSON.parse(body.toString()));
    const got = out.kind === 'refresh' ? `refresh ${out.repositories.join(' ')}` : `ignore ${out.reason}`;
    assert.equal(got, want, `${provider} ${file}`);
  }
});

test('each provider checks its signature or token; path-secret providers accept any request', () => {
  const body = Buffer.from('{"a":1}');
  const s = 's3cret';
  const req = (headers: Record<string, string>): WebhookRequest => ({ headers, body });
  const cases: Array<[WebhookProvider, Record<string, string>, boolean, { signatureHeader?: string }?]> = [
    ['github', { 'x-hub-signature-256': hmac(body, s) }, true],
    ['github', { 'x-hub-signature-256': hmac(body, 'other') }, false],
    ['github', { 'x-hub-signature-256': 'sha256=' }, false],
    ['github', {}, false],
    ['gitlab', { 'x-gitlab-token': s }, true],
    ['gitlab', { 'x-gitlab-token': `${s}x` }, false],
    ['gitlab', {}, false],
    ['harbor', { authorization: s }, true],
    ['harbor', { authorization: `Bearer ${s}` }, false],
    ['distribution', { authorization: `Bearer ${s}` }, true],
    ['distribution', { authorization: s }, false],
    ['generic', { 'x-ferry-signature-256': hmac(body, s) }, true],
    ['generic', { 'x-ferry-signature-256': hmac(body, s).slice(7) }, true],
    ['generic', { 'x-sig': hmac(body, s) }, true, { signatureHeader: 'X-Sig' }],
    ['generic', { 'x-ferry-signature-256': hmac(body, s) }, false, { signatureHeader: 'X-Sig' }],
    ['dockerhub', {}, true],
    ['quay', {}, true],
  ];
  for (const [provider, headers, want, extra] of cases) {
    const config = { secretRef: { name: 'x' }, ...extra };
    assert.equal(
      PROVIDERS[provider].authenticate(req(headers), s, config),
      want,
      `${provider} ${JSON.stringify(headers)}`,
    );
  }
});

test("a receiver path is Kargo's: /webhook/<provider>/<sha256 of name + project + secret>", () => {
  const hash = createHash('sha256').update('ghshops3cret').digest('hex');
  assert.equal(receiverPath('shop', 'gh', 'github', 's3cret'), `/webhook/github/${hash}`);
  assert.notEqual(
    receiverPath('shop', 'gh', 'github', 'other'),
    receiverPath('shop', 'gh', 'github', 's3cret'),
  );
});

test('status shows a path for receivers whose secret is set and says which variable to set otherwise', async () => {
  const config: ProjectConfig = {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'ProjectConfig',
    metadata: { name: 'shop', namespace: 'shop' },
    spec: {
      promotionPolicies: [],
      webhookReceivers: [
        { name: 'gh', github: { secretRef: { name: 'gh-secret' } } },
        { name: 'hub', dockerhub: { secretRef: { name: 'hub.secret' } } },
      ],
    },
  };
  const secrets = secretLookup(undefined, { GH_SECRET: 's3cret' });
  assert.deepEqual(receiverDetails(await resolveReceivers(config, secrets)), [
    { name: 'gh', path: receiverPath('shop', 'gh', 'github', 's3cret') },
    {
      name: 'hub',
      message:
        'Secret "hub.secret" with key "secret" not found: apply it with ferry apply, or set FERRY_WEBHOOK_SECRET_HUB_SECRET for the api',
    },
  ]);
});

test('warehouses match on normalised image repositories only', () => {
  const wh = (name: string, ...repos: string[]): Warehouse =>
    ({
      metadata: { name },
      spec: { subscriptions: repos.map((repoURL) => ({ image: { repoURL } })) },
    }) as unknown as Warehouse;
  const warehouses = [
    wh('hub', 'nginx'),
    wh('ghcr', 'ghcr.io/Acme/App'),
    wh('local', 'localhost:5000/acme/app', 'quay.io/x/y'),
    wh('other', 'ghcr.io/acme/other'),
  ];
  const cases: Array<[string[], string[]]> = [
    [['index.docker.io/library/nginx'], ['hub']],
    [['docker.io/nginx:1.27'], ['hub']],
    [['https://GHCR.io/acme/app/'], ['ghcr']],
    [['ghcr.io/acme/app@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945'], ['ghcr']],
    [
      ['localhost:5000/acme/app', 'ghcr.io/acme/app:1.0'],
      ['ghcr', 'local'],
    ],
    [['ghcr.io/acme'], []],
  ];
  for (const [repos, want] of cases)
    assert.deepEqual(matchingWarehouses(warehouses, repos), want, repos.join());
});

test('the token bucket allows a burst, refuses beyond it and refills with time', () => {
  let now = 0;
  const b = new TokenBuckets({ capacity: 2, refillPerSecond: 1 }, () => now);
  assert.deepEqual([b.take('a'), b.take('a'), b.take('a'), b.take('b')], [true, true, false, true]);
  now = 999;
  assert.equal(b.take('a'), false);
  now = 1000;
  assert.equal(b.take('a'), true);
});

test('stored Secrets open only with their key, Project and name', async () => {
  const kv = new Map<string, string>();
  const redis = {
    get: async (k: string) => kv.get(k) ?? null,
    set: async (k: string, v: string) => {
      kv.set(k, v);
      return 'OK';
    },
  } as unknown as ConstructorParameters<typeof SecretStore>[0];
  const key = Buffer.alloc(32, 1).toString('base64');
  const sealed = new SecretStore(redis, key);
  const s = { project: 'shop', name: 'gh', data: { secret: 's3cret' } };
  assert.equal(await sealed.put(s), 'created');
  assert.equal(await sealed.put(s), 'unchanged');
  assert.equal(await sealed.put({ ...s, data: { secret: 'new' } }), 'configured');
  assert.deepEqual(await sealed.get('shop', 'gh'), { secret: 'new' });
  assert.ok(!kv.get('ferry:p:shop:secret:gh')?.includes('new'));
  await assert.rejects(new SecretStore(redis, Buffer.alloc(32, 2).toString('base64')).get('shop', 'gh'));
  kv.set('ferry:p:other:secret:gh', kv.get('ferry:p:shop:secret:gh')!);
  await assert.rejects(sealed.get('other', 'gh'), /unable to authenticate data/);
  assert.equal(await new SecretStore(redis, undefined).get('shop', 'gh'), undefined);
  assert.throws(() => new SecretStore(redis, undefined).requireKey(), /set FERRY_ENCRYPTION_KEY/);
});
