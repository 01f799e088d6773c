import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ProjectConfig, Warehouse, WebhookProvider } from '@ferry/contracts';
import { PROVIDERS } from './providers/index.ts';
import type { WebhookOutcome, WebhookRequest, WebhookTargets } from './providers/types.ts';
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

/** An outcome as one line: `ignore <reason>`, or `refresh` with the targets of each kind. */
function show(out: WebhookOutcome): string {
  if (out.kind === 'ignore') return `ignore ${out.reason}`;
  const parts = (['images', 'charts', 'git'] as const).flatMap((k) =>
    out[k]?.length ? [`${k}=${out[k].join(',')}`] : [],
  );
  return `refresh ${parts.join(' ')}`;
}

test('each provider reads the repositories its payload names, or says why it refreshes nothing', () => {
  const cases: Array<
    [WebhookProvider, string, Record<string, string>, string, { virtualRepoName?: string }?]
  > = [
    [
      'github',
      'github-package.json',
      { 'x-github-event': 'package' },
      'refresh images=ghcr.io/acme/app:1.4.0 charts=ghcr.io/acme/app:1.4.0',
    ],
    [
      'github',
      'github-push.json',
      { 'x-github-event': 'push' },
      'refresh git=https://github.com/acme/app.git,https://github.com/acme/app,git@github.com:acme/app.git,git://github.com/acme/app.git',
    ],
    ['github', 'github-ping.json', { 'x-github-event': 'ping' }, 'ignore pong'],
    ['github', 'github-ping.json', { 'x-github-event': 'issues' }, 'ignore event "issues" is not handled'],
    [
      'gitlab',
      'gitlab-push.json',
      { 'x-gitlab-event': 'Push Hook' },
      'refresh git=https://gitlab.example.com/acme/app.git,git@gitlab.example.com:acme/app.git,https://gitlab.example.com/acme/app',
    ],
    [
      'gitlab',
      'gitlab-push.json',
      { 'x-gitlab-event': 'Tag Push Hook' },
      'refresh git=https://gitlab.example.com/acme/app.git,git@gitlab.example.com:acme/app.git,https://gitlab.example.com/acme/app',
    ],
    [
      'gitlab',
      'gitlab-push.json',
      { 'x-gitlab-event': 'Issue Hook' },
      'ignore event "Issue Hook" is not handled',
    ],
    ['dockerhub', 'dockerhub-push.json', {}, 'refresh images=docker.io/acme/app charts=docker.io/acme/app'],
    ['quay', 'quay-push.json', {}, 'refresh images=quay.io/acme/app charts=quay.io/acme/app'],
    [
      'harbor',
      'harbor-push.json',
      {},
      'refresh images=harbor.example.com/acme/app:1.4.0 charts=harbor.example.com/acme/app:1.4.0',
    ],
    [
      'generic',
      'generic.json',
      {},
      'refresh images=https://Registry.Example.com/acme/app/ charts=https://Registry.Example.com/acme/app/ git=https://Registry.Example.com/acme/app/',
    ],
    [
      'distribution',
      'distribution-push.json',
      {},
      'refresh images=127.0.0.1:5000/acme/app charts=127.0.0.1:5000/acme/app',
    ],
    ['distribution', 'quay-push.json', {}, 'ignore no manifest push in the events'],
    [
      'gitea',
      'gitea-push.json',
      { 'x-gitea-event': 'push' },
      'refresh git=https://gitea.example.com/acme/app.git,https://gitea.example.com/acme/app,git@gitea.example.com:acme/app.git',
    ],
    ['gitea', 'gitea-push.json', { 'x-gitea-event': 'create' }, 'ignore event "create" is not handled'],
    ['gitea', 'gitea-push.json', {}, 'ignore event "" is not handled'],
    [
      'bitbucket',
      'bitbucket-push.json',
      { 'x-event-key': 'repo:push' },
      'refresh git=https://bitbucket.org/acme/app',
    ],
    [
      'bitbucket',
      'bitbucket-refs-changed.json',
      { 'x-event-key': 'repo:refs_changed' },
      'refresh git=ssh://git@bitbucket.example.com:7999/acme/app.git,https://bitbucket.example.com/scm/acme/app.git',
    ],
    ['bitbucket', 'bitbucket-push.json', { 'x-event-key': 'diagnostics:ping' }, 'ignore pong'],
    [
      'bitbucket',
      'bitbucket-push.json',
      { 'x-event-key': 'pullrequest:created' },
      'ignore event "pullrequest:created" is not handled',
    ],
    [
      'artifactory',
      'artifactory-push.json',
      {},
      'refresh images=acme.jfrog.io/docker-local/acme/app charts=acme.jfrog.io/docker-local/acme/app',
    ],
    [
      'artifactory',
      'artifactory-push.json',
      {},
      'refresh images=acme.jfrog.io/docker-virtual/acme/app charts=acme.jfrog.io/docker-virtual/acme/app',
      { virtualRepoName: 'docker-virtual' },
    ],
    ['artifactory', 'dockerhub-push.json', {}, 'ignore event "/" is not a docker push'],
    ['azure', 'azure-acr-push.json', {}, 'refresh images=acme.azurecr.io/acme/app'],
    ['azure', 'azure-acr-ping.json', {}, 'ignore pong'],
    ['azure', 'azure-devops-push.json', {}, 'refresh git=https://acme@dev.azure.com/acme/shop/_git/app'],
    ['azure', 'quay-push.json', {}, 'ignore action "" is not handled'],
  ];
  for (const [provider, file, headers, want, extra] of cases) {
    const body = fixture(file);
    const config = { secretRef: { name: 'x' }, ...extra };
    const out = PROVIDERS[provider].extract({ headers, body }, JSON.parse(body.toString()), config);
    assert.equal(show(out), want, `${provider} ${file} ${JSON.stringify(headers)}`);
  }
});

test('payload variants: media types, package actions, Artifactory image types and bad paths', () => {
  const run = (provider: WebhookProvider, payload: unknown, headers: Record<string, string> = {}) =>
    show(
      PROVIDERS[provider].extract({ headers, body: Buffer.from(JSON.stringify(payload)) }, payload, {
        secretRef: { name: 'x' },
      }),
    );
  const pkg = JSON.parse(fixture('github-package.json').toString());
  const helm = structuredClone(pkg);
  helm.package.package_version.package_url = 'ghcr.io/acme/charts/app:';
  helm.package.package_version.container_metadata.manifest = {
    config: { media_type: 'application/vnd.cncf.helm.config.v1+json' },
  };
  assert.equal(
    run('github', helm, { 'x-github-event': 'package' }),
    'refresh charts=ghcr.io/acme/charts/app',
  );
  assert.equal(
    run('github', { ...pkg, action: 'deleted' }, { 'x-github-event': 'package' }),
    'ignore package action "deleted" is not a publication',
  );
  assert.equal(
    run(
      'github',
      { registry_package: pkg.package, action: 'updated' },
      { 'x-github-event': 'registry_package' },
    ),
    'refresh images=ghcr.io/acme/app:1.4.0 charts=ghcr.io/acme/app:1.4.0',
  );
  assert.equal(
    run('github', { repository: {} }, { 'x-github-event': 'push' }),
    'ignore no repository URL in the push payload',
  );

  const frog = JSON.parse(fixture('artifactory-push.json').toString());
  const withType = (image_type: string) => ({ ...frog, data: { ...frog.data, image_type } });
  assert.equal(run('artifactory', withType('docker')), 'refresh images=acme.jfrog.io/docker-local/acme/app');
  assert.equal(run('artifactory', withType('oci')), 'refresh charts=acme.jfrog.io/docker-local/acme/app');
  assert.equal(run('artifactory', withType('npm')), 'ignore image type "npm" is neither docker nor oci');
  assert.equal(
    run('artifactory', { ...frog, data: { ...frog.data, path: 'manifest.json' } }),
    'ignore data.path "manifest.json" is not <image>/<tag>/<manifest>',
  );
  assert.equal(
    run('artifactory', { ...frog, jpd_origin: undefined }),
    'ignore no jpd_origin URL in the payload',
  );
  assert.equal(
    run('artifactory', { ...frog, event_type: 'deleted' }),
    'ignore event "docker/deleted" is not a docker push',
  );

  const acr = JSON.parse(fixture('azure-acr-push.json').toString());
  acr.target.mediaType = 'application/vnd.oci.image.manifest.v1+json';
  assert.equal(run('azure', acr), 'refresh images=acme.azurecr.io/acme/app charts=acme.azurecr.io/acme/app');
  assert.equal(
    run('azure', { eventType: 'git.pullrequest.merged', resource: {} }),
    'ignore event "git.pullrequest.merged" is not handled',
  );

  const reg = JSON.parse(fixture('distribution-push.json').toString());
  for (const e of reg.events)
    e.target.mediaType = e.target.tag
      ? 'application/vnd.docker.distribution.manifest.v2+json'
      : e.target.mediaType;
  assert.equal(run('distribution', reg), 'refresh images=127.0.0.1:5000/acme/app');
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
    ['gitea', { 'x-gitea-signature': hmac(body, s).slice(7) }, true],
    ['gitea', { 'x-hub-signature-256': hmac(body, s) }, true],
    ['gitea', { 'x-gitea-signature': hmac(body, 'other').slice(7) }, false],
    [
      'gitea',
      { 'x-gitea-signature': hmac(body, 'other').slice(7), 'x-hub-signature-256': hmac(body, s) },
      false,
    ],
    ['gitea', {}, false],
    ['bitbucket', { 'x-hub-signature': hmac(body, s) }, true],
    ['bitbucket', { 'x-hub-signature': hmac(body, 'other') }, false],
    ['bitbucket', { 'x-hub-signature-256': hmac(body, s) }, false],
    ['bitbucket', {}, false],
    ['artifactory', { 'x-jfrog-event-auth': hmac(body, s).slice(7) }, true],
    ['artifactory', { 'x-jfrog-event-auth': hmac(body, 'other').slice(7) }, false],
    ['artifactory', { 'x-jfrog-event-auth': s }, false],
    ['artifactory', {}, false],
    ['azure', {}, true],
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

test('warehouses match on normalised repositories of the same kind only', () => {
  const wh = (name: string, ...subs: Array<Record<string, string>>): Warehouse =>
    ({
      metadata: { name },
      spec: {
        subscriptions: subs.map((s) => {
          const [kind, repoURL] = Object.entries(s)[0] as [string, string];
          return { [kind]: { repoURL } };
        }),
      },
    }) as unknown as Warehouse;
  const warehouses = [
    wh('hub', { image: 'nginx' }),
    wh('ghcr', { image: 'ghcr.io/Acme/App' }),
    wh('local', { image: 'localhost:5000/acme/app' }, { image: 'quay.io/x/y' }),
    wh('other', { image: 'ghcr.io/acme/other' }),
    wh('src', { git: 'git@github.com:acme/app.git' }),
    wh('src-https', { image: 'ghcr.io/acme/other' }, { git: 'https://GitHub.com/acme/app/' }),
    wh('src-other', { git: 'https://github.com/acme/app-config' }),
    wh('chart', { chart: 'oci://ghcr.io/acme/charts/app' }),
    wh('chart-hub', { chart: 'oci://registry-1.docker.io/bitnamicharts/nginx' }),
    wh('chart-http', { chart: 'https://ghcr.io/acme/charts/app' }),
  ];
  const cases: Array<[WebhookTargets, string[]]> = [
    [{ images: ['index.docker.io/library/nginx'] }, ['hub']],
    [{ images: ['docker.io/nginx:1.27'] }, ['hub']],
    [{ images: ['https://GHCR.io/acme/app/'] }, ['ghcr']],
    [
      {
        images: ['ghcr.io/acme/app@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945'],
      },
      ['ghcr'],
    ],
    [{ images: ['localhost:5000/acme/app', 'ghcr.io/acme/app:1.0'] }, ['ghcr', 'local']],
    [{ images: ['ghcr.io/acme'] }, []],
    // A git push matches git subscriptions in any URL form, and nothing else.
    [{ git: ['https://github.com/acme/app.git'] }, ['src', 'src-https']],
    [{ git: ['ssh://git@github.com:22/acme/app'] }, ['src', 'src-https']],
    [{ git: ['https://github.com/acme'] }, []],
    [{ images: ['github.com/acme/app'] }, []],
    // A registry push matches oci:// chart subscriptions when it names charts.
    [{ charts: ['ghcr.io/acme/charts/app:0.3.1'] }, ['chart']],
    [{ images: ['ghcr.io/acme/charts/app'] }, []],
    [{ images: ['docker.io/bitnamicharts/nginx'], charts: ['docker.io/bitnamicharts/nginx'] }, ['chart-hub']],
    [{ charts: ['ghcr.io/acme/app'], git: ['https://github.com/acme/app-config'] }, ['src-other']],
    [{}, []],
  ];
  for (const [targets, want] of cases)
    assert.deepEqual(matchingWarehouses(warehouses, targets), want, JSON.stringify(targets));
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
