import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { freePort, pushWithSkopeo, startRegistry, type TestRegistry } from '@ferry/support';
import { RegistryClient } from './client.ts';
import { RegistryAuthError, RegistryNotFoundError, RegistryUnreachableError } from './errors.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

describe('RegistryClient against docker-registry without auth', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry.close();
  });

  it('lists tags and resolves a tag to the pushed digest with one HEAD', async () => {
    const v1 = await registry.pushImage('team/app', 'v1.0.0');
    const v2 = await registry.pushImage('team/app', 'v1.1.0');
    const client = new RegistryClient();
    assert.deepEqual((await client.listTags(`${registry.host}/team/app`)).sort(), ['v1.0.0', 'v1.1.0']);
    client.resetStats();
    assert.deepEqual(await client.resolveTag(`${registry.host}/team/app`, 'v1.0.0'), {
      digest: v1.digest,
      mediaType: OCI_MANIFEST,
    });
    assert.equal((await client.resolveTag(`${registry.host}/team/app`, 'v1.1.0')).digest, v2.digest);
    assert.deepEqual(client.stats, { requests: 2, tokenRequests: 0, byMethodStatus: { 'HEAD 200': 2 } });
  });

  it('reads created time, platform and labels of an image', async () => {
    const created = new Date('2026-03-04T05:06:07.000Z');
    const pushed = await registry.pushImage('team/info', 'v1', {
      created,
      labels: { 'org.opencontainers.image.revision': 'abc123' },
    });
    const client = new RegistryClient();
    assert.deepEqual(await client.getImageInfo(`${registry.host}/team/info`, 'v1'), {
      digest: pushed.digest,
      mediaType: OCI_MANIFEST,
      manifestDigest: pushed.digest,
      created: created.toISOString(),
      platform: { os: 'linux', architecture: 'amd64' },
      labels: { 'org.opencontainers.image.revision': 'abc123' },
    });
    const byDigest = await client.getManifest(`${registry.host}/team/info`, pushed.digest);
    assert.equal(byDigest.digest, pushed.digest);
  });

  it('picks the requested platform from an OCI index', async () => {
    const created = new Date('2026-05-06T07:08:09.000Z');
    const index = await registry.pushIndex(
      'team/multi',
      'v2',
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      { created },
    );
    const client = new RegistryClient();
    const repo = `${registry.host}/team/multi`;
    assert.deepEqual(await client.resolveTag(repo, 'v2'), { digest: index.digest, mediaType: OCI_INDEX });

    const arm = await client.getImageInfo(repo, 'v2', { os: 'linux', architecture: 'arm64' });
    assert.equal(arm.digest, index.digest);
    assert.equal(arm.mediaType, OCI_INDEX);
    assert.equal(arm.manifestDigest, index.manifests[1]!.digest);
    assert.deepEqual(arm.platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.equal(arm.created, created.toISOString());

    const byDefault = await client.getImageInfo(repo, 'v2');
    assert.equal(byDefault.manifestDigest, index.manifests[0]!.digest);

    await assert.rejects(client.getImageInfo(repo, 'v2', { os: 'linux', architecture: 's390x' }), {
      name: 'RegistryNotFoundError',
      message:
        `repository "team/multi" on registry ${registry.host}: the index "v2" has no image for linux/s390x ` +
        '(it has: linux/amd64, linux/arm64/v8); pick one of those platforms',
    });
  });

  it('names the repository when it does not exist', async () => {
    const client = new RegistryClient();
    await assert.rejects(client.listTags(`${registry.host}/team/missing`), (err: unknown) => {
      assert.ok(err instanceof RegistryNotFoundError);
      assert.equal(err.registry, registry.host);
      assert.equal(err.repository, 'team/missing');
      assert.equal(
        err.message,
        `repository "team/missing" on registry ${registry.host}: not found while listing tags (HTTP 404, ` +
          'NAME_UNKNOWN: repository name not known to registry); check the image repository URL and that the ' +
          'image was pushed',
      );
      return true;
    });
  });

  it('reports a missing tag as not found', async () => {
    await registry.pushImage('team/tagless', 'v1');
    const client = new RegistryClient();
    await assert.rejects(client.resolveTag(`${registry.host}/team/tagless`, 'v9'), {
      name: 'RegistryNotFoundError',
      message:
        `repository "team/tagless" on registry ${registry.host}: not found while resolving tag "v9" (HTTP 404); ` +
        'check the image repository URL and that the image was pushed',
    });
  });

  it('lists no tags once every tag is deleted (distribution answers "tags": null)', async () => {
    const pushed = await registry.pushImage('team/gone', 'v1');
    await registry.deleteManifest('team/gone', pushed.digest);
    assert.deepEqual(await new RegistryClient().listTags(`${registry.host}/team/gone`), []);
  });

  it('resolves an image pushed by skopeo to the digest skopeo reports', async () => {
    const { digest } = await pushWithSkopeo(registry, 'team/skopeo', 'v1');
    assert.equal(
      (await new RegistryClient().resolveTag(`${registry.host}/team/skopeo`, 'v1')).digest,
      digest,
    );
  });

  it('sends one request per call as the registry counts them', async () => {
    await registry.pushImage('team/counted', 'v1');
    registry.resetRequests();
    const client = new RegistryClient();
    await client.listTags(`${registry.host}/team/counted`);
    await client.resolveTag(`${registry.host}/team/counted`, 'v1');
    assert.equal(registry.requests, client.stats.requests);
    assert.deepEqual(
      registry.requestLog.map((r) => `${r.method} ${r.path} ${r.status}`),
      ['GET /v2/team/counted/tags/list 200', 'HEAD /v2/team/counted/manifests/v1 200'],
    );
  });
});

describe('RegistryClient against docker-registry with basic auth', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ auth: 'basic', users: { alice: 'correct-horse' } });
    await registry.pushImage('private/app', 'v1');
  });
  after(async () => {
    await registry.close();
  });

  it('answers the basic challenge once, then sends credentials up front', async () => {
    const client = new RegistryClient({
      credentials: (host) =>
        host === registry.host ? { username: 'alice', password: 'correct-horse' } : undefined,
    });
    assert.deepEqual(await client.listTags(`${registry.host}/private/app`), ['v1']);
    assert.deepEqual(await client.listTags(`${registry.host}/private/app`), ['v1']);
    assert.deepEqual(client.stats, {
      requests: 3,
      tokenRequests: 0,
      byMethodStatus: { 'GET 401': 1, 'GET 200': 2 },
    });
  });

  it('refuses an anonymous client', async () => {
    await assert.rejects(new RegistryClient().listTags(`${registry.host}/private/app`), {
      name: 'RegistryAuthError',
      code: 'FERRY_ERR_REGISTRY_UNAUTHORIZED',
      message:
        `repository "private/app" on registry ${registry.host}: authentication required while listing tags ` +
        `(HTTP 401, basic auth); configure credentials for registry ${registry.host}`,
    });
  });

  it('reports a bad password without revealing it', async () => {
    const password = 'Tr0ub4dor&3-wrong';
    const client = new RegistryClient({ credentials: () => ({ username: 'alice', password }) });
    await assert.rejects(client.listTags(`${registry.host}/private/app`), (err: unknown) => {
      assert.ok(err instanceof RegistryAuthError);
      assert.equal(err.status, 401);
      assert.equal(
        err.message,
        `repository "private/app" on registry ${registry.host}: access denied while listing tags (HTTP 401, ` +
          `UNAUTHORIZED: authentication required); check the credentials configured for registry ${registry.host} ` +
          'and that they may pull "private/app"',
      );
      const everything = `${err.message} ${JSON.stringify(err.details)} ${String(err.stack)}`;
      assert.ok(!everything.includes(password));
      assert.ok(!everything.includes(Buffer.from(`alice:${password}`).toString('base64')));
      return true;
    });
  });
});

describe('RegistryClient against docker-registry with token auth', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ auth: 'token', users: { bob: 'builder-pass' } });
  });
  after(async () => {
    await registry.close();
  });

  it('gets a token, caches it, and resolves the pushed digest', async () => {
    const pushed = await registry.pushImage('private/app', 'v1');
    registry.resetRequests();
    const client = new RegistryClient({ credentials: () => ({ username: 'bob', password: 'builder-pass' }) });
    const repo = `${registry.host}/private/app`;
    assert.deepEqual(await client.listTags(repo), ['v1']);
    assert.equal(registry.tokenRequests, 1);
    assert.deepEqual(await client.listTags(repo), ['v1']);
    assert.equal((await client.resolveTag(repo, 'v1')).digest, pushed.digest);
    assert.equal(registry.tokenRequests, 1, 'the cached token serves the second listTags and the HEAD');
    assert.deepEqual(client.stats, {
      requests: 4,
      tokenRequests: 1,
      byMethodStatus: { 'GET 401': 1, 'GET 200': 2, 'HEAD 200': 1 },
    });
    assert.equal(registry.requests, 4);
  });

  it('reads image info through the token flow', async () => {
    const created = new Date('2026-07-08T09:10:11.000Z');
    const pushed = await registry.pushImage('private/info', 'v1', { created });
    const client = new RegistryClient({ credentials: () => ({ username: 'bob', password: 'builder-pass' }) });
    const info = await client.getImageInfo(`${registry.host}/private/info`, 'v1');
    assert.equal(info.digest, pushed.digest);
    assert.equal(info.created, created.toISOString());
  });

  it('reports a bad password from the token service without revealing it', async () => {
    await registry.pushImage('private/denied', 'v1');
    const password = 'not-the-builder-pass';
    const client = new RegistryClient({ credentials: () => ({ username: 'bob', password }) });
    await assert.rejects(client.listTags(`${registry.host}/private/denied`), (err: unknown) => {
      assert.ok(err instanceof RegistryAuthError);
      const tokenOrigin = new URL(registry.url).origin.replace(/:\d+$/, '');
      assert.match(
        err.message,
        new RegExp(
          `^repository "private/denied" on registry ${registry.host}: the token service ${tokenOrigin}:\\d+ refused ` +
            'the configured credentials while listing tags \\(HTTP 401\\); check the credentials configured for ' +
            `registry ${registry.host} and that they may pull "private/denied"$`,
        ),
      );
      assert.ok(!`${err.message} ${String(err.stack)}`.includes(password));
      return true;
    });
  });

  it('refuses an anonymous client once the registry rejects its empty token', async () => {
    await registry.pushImage('private/anon', 'v1');
    await assert.rejects(new RegistryClient().listTags(`${registry.host}/private/anon`), {
      name: 'RegistryAuthError',
      message:
        `repository "private/anon" on registry ${registry.host}: access denied while listing tags (HTTP 401, ` +
        `UNAUTHORIZED: authentication required); no credentials are configured for registry ${registry.host}; ` +
        'add them if the repository is private',
    });
  });

  it('fetches a fresh token after the cached one expires', async () => {
    const short = await startRegistry({ auth: 'token', users: { bob: 'pw' }, tokenExpiresInSeconds: 2 });
    try {
      await short.pushImage('private/app', 'v1');
      let now = Date.now();
      const client = new RegistryClient({
        credentials: () => ({ username: 'bob', password: 'pw' }),
        now: () => now,
      });
      await client.listTags(`${short.host}/private/app`);
      now += 1_500;
      await client.listTags(`${short.host}/private/app`);
      assert.equal(short.tokenRequests, 2, 'a 2 s token is renewed after its margin (half its life)');
    } finally {
      await short.close();
    }
  });
});

describe('RegistryClient against other servers', () => {
  it('reports a closed port as unreachable', async () => {
    const port = await freePort();
    await assert.rejects(
      new RegistryClient({ timeoutMs: 2000 }).listTags(`127.0.0.1:${port}/app`),
      (err: unknown) => {
        assert.ok(err instanceof RegistryUnreachableError);
        assert.match(
          err.message,
          new RegExp(
            `^repository "app" on registry 127\\.0\\.0\\.1:${port}: cannot reach http://127\\.0\\.0\\.1:${port} while ` +
              'listing tags \\(ECONNREFUSED: .*\\); check the registry address and the network$',
          ),
        );
        return true;
      },
    );
  });

  // docker-registry 2.8 ignores ?n= and never sends Link, so pagination is exercised against a small fake.
  it('follows Link pagination over real HTTP', async () => {
    const all = ['a', 'b', 'c', 'd', 'e'];
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://x');
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : all.indexOf(last) + 1;
      const page = all.slice(start, start + 2);
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (start + 2 < all.length)
        headers.Link = `</v2/team/paged/tags/list?n=2&last=${page.at(-1)}>; rel="next"`;
      res.writeHead(200, headers).end(JSON.stringify({ name: 'team/paged', tags: page }));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const client = new RegistryClient();
      assert.deepEqual(await client.listTags(`127.0.0.1:${port}/team/paged`), all);
      assert.deepEqual(seen, [
        '/v2/team/paged/tags/list',
        '/v2/team/paged/tags/list?n=2&last=b',
        '/v2/team/paged/tags/list?n=2&last=d',
      ]);
      assert.equal(client.stats.requests, 3);
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  });
});
