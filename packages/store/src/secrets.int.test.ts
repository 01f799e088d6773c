import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ParsedSecret } from '@ferry/kargo';
import { SecretStore } from './secrets.ts';
import { Store } from './store.ts';

// Redis database 2 belongs to the credential tests.
let store: Store;
before(async () => {
  store = Store.connect('redis://127.0.0.1:6379/2', 'secrets-test');
  await store.redis.flushdb();
});
after(async () => {
  await store.redis.flushdb();
  await store.close();
});

const KEY = Buffer.alloc(32, 7).toString('base64');
const cred = (name: string, type: string, data: Record<string, string>): ParsedSecret => ({
  project: 'shop',
  name,
  data,
  labels: { 'kargo.akuity.io/cred-type': type },
});

test('credential Secrets are indexed by type without their secret values, and found by URL', async () => {
  const api = new SecretStore(store.redis, KEY);
  const reader = new SecretStore(store.redis, KEY, { recheckMs: 0 });
  assert.equal(await reader.credentialsFor('shop', 'image', 'ghcr.io/acme/app'), undefined);
  assert.equal(
    await api.put(cred('ghcr', 'image', { repoURL: 'ghcr.io/acme/app', username: 'bot', password: 'pw-1' })),
    'created',
  );
  assert.equal(
    await api.put(
      cred('any-acme', 'image', {
        repoURL: '^ghcr\\.io/acme/',
        repoURLIsRegex: 'true',
        username: 'r',
        password: 'pw-r',
      }),
    ),
    'created',
  );
  const index = await store.redis.hgetall('ferry:p:shop:creds:image');
  assert.deepEqual(Object.keys(index).sort(), ['any-acme', 'ghcr']);
  assert.ok(!JSON.stringify(index).includes('pw-'), 'the index holds no password');
  assert.deepEqual(await reader.credentialsFor('shop', 'image', 'GHCR.io/acme/app'), {
    username: 'bot',
    password: 'pw-1',
    secret: 'ghcr',
  });
  assert.equal((await reader.credentialsFor('shop', 'image', 'ghcr.io/acme/other'))?.secret, 'any-acme');
  assert.equal(await reader.credentialsFor('shop', 'git', 'ghcr.io/acme/app'), undefined);
  assert.equal(await reader.credentialsFor('other', 'image', 'ghcr.io/acme/app'), undefined);
});

test('a changed or relabelled Secret reaches readers at once with recheckMs 0, after the recheck time otherwise', async () => {
  let now = 1_000;
  const api = new SecretStore(store.redis, KEY);
  const eager = new SecretStore(store.redis, KEY, { recheckMs: 0 });
  const lazy = new SecretStore(store.redis, KEY, { recheckMs: 5_000, now: () => now });
  await api.put(
    cred('git-main', 'git', { repoURL: 'https://git.example/a.git', username: 'u', password: 'old' }),
  );
  assert.equal((await lazy.credentialsFor('shop', 'git', 'https://git.example/a'))?.password, 'old');
  assert.equal(
    await api.put(
      cred('git-main', 'git', { repoURL: 'https://git.example/a.git', username: 'u', password: 'new' }),
    ),
    'configured',
  );
  assert.equal((await eager.credentialsFor('shop', 'git', 'https://git.example/a'))?.password, 'new');
  assert.equal((await lazy.credentialsFor('shop', 'git', 'https://git.example/a'))?.password, 'old');
  now += 5_000;
  assert.equal((await lazy.credentialsFor('shop', 'git', 'https://git.example/a'))?.password, 'new');
  // Relabelled as helm: gone from the git index.
  await api.put(
    cred('git-main', 'helm', { repoURL: 'https://git.example/a.git', username: 'u', password: 'new' }),
  );
  assert.equal(await eager.credentialsFor('shop', 'git', 'https://git.example/a'), undefined);
  assert.equal((await eager.credentialsFor('shop', 'helm', 'https://git.example/a.git'))?.secret, 'git-main');
  // Label dropped: no longer credentials at all.
  await api.put({ project: 'shop', name: 'git-main', data: { repoURL: 'x' } });
  assert.equal(await eager.credentialsFor('shop', 'helm', 'https://git.example/a.git'), undefined);
  assert.equal(await api.put({ project: 'shop', name: 'git-main', data: { repoURL: 'x' } }), 'unchanged');
});

test('credentials are not handed out for plain HTTP to other hosts, nor without the key', async () => {
  const api = new SecretStore(store.redis, KEY);
  await api.put(cred('plain', 'git', { repoURL: 'http://git.example/b.git', username: 'u', password: 'p' }));
  await api.put(cred('local', 'git', { repoURL: 'http://127.0.0.1:9/b.git', username: 'u', password: 'p' }));
  const reader = new SecretStore(store.redis, KEY, { recheckMs: 0 });
  assert.equal(await reader.credentialsFor('shop', 'git', 'http://git.example/b.git'), undefined);
  assert.equal((await reader.credentialsFor('shop', 'git', 'http://127.0.0.1:9/b'))?.secret, 'local');
  await assert.rejects(
    new SecretStore(store.redis, undefined).credentialsFor('shop', 'git', 'http://127.0.0.1:9/b'),
    /Secret "local" of project "shop" holds git credentials for http:\/\/127.0.0.1:9\/b but this service has no encryption key: set FERRY_ENCRYPTION_KEY/,
  );
  await assert.rejects(
    new SecretStore(store.redis, Buffer.alloc(32, 8).toString('base64')).credentialsFor(
      'shop',
      'git',
      'http://127.0.0.1:9/b',
    ),
    /Secret "local" of project "shop" does not open with this service's FERRY_ENCRYPTION_KEY/,
  );
});
