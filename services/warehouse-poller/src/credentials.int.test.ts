import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GitSubscription, ImageSubscription, Warehouse } from '@ferry/contracts';
import type { ParsedSecret } from '@ferry/kargo';
import { RegistryClient } from '@ferry/registry';
import { SecretStore, Store } from '@ferry/store';
import {
  RegistryAuthMode,
  startGitServer,
  startRegistry,
  type TestGitServer,
  type TestRegistry,
} from '@ferry/support';
import { projectGit, projectRegistry } from './credentials.ts';
import { discoverWarehouse } from './discover.ts';
import { gitCli, gitDiscoverer, memoryGitMemo } from './git.ts';

// Redis database 2 belongs to the credential tests; only it is flushed.
const KEY = Buffer.alloc(32, 3).toString('base64');
let store: Store;
before(async () => {
  store = Store.connect('redis://127.0.0.1:6379/2', 'poller-credentials-test');
  await store.redis.flushdb();
});
after(async () => {
  await store.redis.flushdb();
  await store.close();
});

const cred = (project: string, name: string, type: string, data: Record<string, string>): ParsedSecret => ({
  project,
  name,
  data,
  labels: { 'kargo.akuity.io/cred-type': type },
});

const imageWarehouse = (repoURL: string): Warehouse => {
  const image: ImageSubscription = {
    repoURL,
    imageSelectionStrategy: 'SemVer',
    strictSemvers: true,
    allowTagsRegexes: [],
    ignoreTagsRegexes: [],
    discoveryLimit: 20,
  };
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Warehouse',
    metadata: { name: 'app', namespace: 'shop' },
    spec: { interval: '5m0s', freightCreationPolicy: 'Automatic', subscriptions: [{ image }] },
  };
};

for (const mode of [RegistryAuthMode.Basic, RegistryAuthMode.Token]) {
  describe(`image discovery with credentials from Secrets (${mode} auth)`, () => {
    let registry: TestRegistry;
    before(async () => {
      registry = await startRegistry({ auth: mode, users: { pusher: 'push-pw', reader: 'read-pw' } });
      await registry.pushImage('team/app', '1.0.0');
      await registry.pushImage('team/app', '1.1.0');
    });
    after(async () => {
      await registry?.close();
    });

    it('fails naming the Secret to apply, then succeeds once it is stored; other Projects stay out', async () => {
      const project = `shop-${mode}`;
      const repoURL = `${registry.host}/team/app`;
      const client = new RegistryClient();
      const secrets = new SecretStore(store.redis, KEY, { recheckMs: 0 });
      const first = await discoverWarehouse(
        imageWarehouse(repoURL),
        projectRegistry(client, secrets, project),
        new Date(),
      );
      assert.equal(first.images, undefined);
      assert.equal(first.errors.length, 1);
      assert.match(
        first.errors[0]!,
        new RegExp(
          `^subscription 0 \\(${repoURL}\\): repository "team/app" on registry ${registry.host}: .*HTTP 401.*; ` +
            `no credentials matched in project "${project}"; apply a Secret labelled kargo.akuity.io/cred-type: image ` +
            `with repoURL ${repoURL} \\(ferry apply\\), or add the registry to FERRY_REGISTRY_AUTH_FILE$`,
        ),
      );

      await new SecretStore(store.redis, KEY).put(
        cred(project, 'registry', 'image', { repoURL, username: 'reader', password: 'read-pw' }),
      );
      const second = await discoverWarehouse(
        imageWarehouse(repoURL),
        projectRegistry(client, secrets, project),
        new Date(),
      );
      assert.deepEqual(second.errors, []);
      assert.equal(second.images?.[0]?.tag, '1.1.0');

      // The same client, for a Project without the Secret: no token or credentials leak across.
      const other = await discoverWarehouse(
        imageWarehouse(repoURL),
        projectRegistry(client, secrets, `${project}-other`),
        new Date(),
      );
      assert.equal(other.images, undefined);
      assert.match(other.errors[0]!, /no credentials matched in project "shop-\w+-other"/);
      assert.ok(!JSON.stringify([first, second, other]).includes('read-pw'));
    });

    it('a wrong password says the credentials were refused, without showing them', async () => {
      const project = `bad-${mode}`;
      const repoURL = `${registry.host}/team/app`;
      await new SecretStore(store.redis, KEY).put(
        cred(project, 'registry', 'image', { repoURL, username: 'reader', password: 'wrong-pw-123' }),
      );
      const r = await discoverWarehouse(
        imageWarehouse(repoURL),
        projectRegistry(new RegistryClient(), new SecretStore(store.redis, KEY), project),
        new Date(),
      );
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0]!, /check the credentials configured for registry/);
      assert.ok(!r.errors[0]!.includes('wrong-pw-123'));
    });
  });
}

const gitSub = (repoURL: string): GitSubscription => ({
  repoURL,
  commitSelectionStrategy: 'NewestFromBranch',
  strictSemvers: true,
  allowTagsRegexes: [],
  ignoreTagsRegexes: [],
  includePaths: [],
  excludePaths: [],
  discoveryLimit: 20,
});

describe('git discovery with credentials from Secrets (smart HTTP, basic auth)', () => {
  let server: TestGitServer;
  let cacheDir: string;
  before(async () => {
    server = await startGitServer({ auth: { username: 'bot', password: 'git-pw-456' } });
    cacheDir = await mkdtemp(join(tmpdir(), 'ferry-poller-creds-'));
  });
  after(async () => {
    await server?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('asks for the Secret, refuses a wrong one, discovers with the right one, never puts it in argv', async () => {
    const repoURL = await server.createRepo('config', { 'a.txt': 'a' });
    const argv: string[] = [];
    const base = gitDiscoverer({
      cacheDir,
      memo: memoryGitMemo(),
      git: gitCli((args) => argv.push(...args)),
    });
    const secrets = new SecretStore(store.redis, KEY, { recheckMs: 0 });
    const git = projectGit(base, secrets, 'gitshop');
    const wh: Warehouse = {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Warehouse',
      metadata: { name: 'config', namespace: 'gitshop' },
      spec: {
        interval: '5m0s',
        freightCreationPolicy: 'Automatic',
        subscriptions: [{ git: gitSub(repoURL) }],
      },
    };
    const none = await discoverWarehouse(
      wh,
      {
        listTags: async () => [],
        resolveTag: async () => ({ digest: '' }),
        getImageInfo: async () => ({ digest: '' }),
      },
      new Date(),
      { git },
    );
    assert.deepEqual(none.errors, [
      `subscription 0 (${repoURL}): ${repoURL} asks for credentials and none matched; apply a Secret labelled kargo.akuity.io/cred-type: git with repoURL ${repoURL}`,
    ]);
    const api = new SecretStore(store.redis, KEY);
    await api.put(
      cred('gitshop', 'git-creds', 'git', { repoURL: `${repoURL}`, username: 'bot', password: 'nope-789' }),
    );
    const wrong = await discoverWarehouse(
      wh,
      {
        listTags: async () => [],
        resolveTag: async () => ({ digest: '' }),
        getImageInfo: async () => ({ digest: '' }),
      },
      new Date(),
      { git },
    );
    assert.match(
      wrong.errors[0]!,
      /refused the credentials of Secret "git-creds"; check its username and password/,
    );
    // A regex Secret for the whole server, as Kargo allows; the exact one is removed by relabelling.
    await api.put({ project: 'gitshop', name: 'git-creds', data: {} });
    await api.put(
      cred('gitshop', 'all-repos', 'git', {
        repoURL: `^${server.url.replaceAll('.', '\\.')}/`,
        repoURLIsRegex: 'true',
        username: 'bot',
        password: 'git-pw-456',
      }),
    );
    const ok = await discoverWarehouse(
      wh,
      {
        listTags: async () => [],
        resolveTag: async () => ({ digest: '' }),
        getImageInfo: async () => ({ digest: '' }),
      },
      new Date(),
      { git },
    );
    assert.deepEqual(ok.errors, []);
    assert.equal(ok.commits?.[0]?.message, 'initial commit');
    assert.ok(argv.some((a) => a === 'ls-remote') && argv.some((a) => a === 'fetch'));
    assert.ok(!argv.some((a) => a.includes('git-pw-456') || a.includes('nope-789')), 'no password in argv');
    assert.ok(!JSON.stringify(ok).includes('git-pw-456'));
  });
});
