import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { MANIFEST_ACCEPT, MediaType } from './oci.ts';
import { pushWithSkopeo, startRegistry, type TestRegistry } from './registry.ts';
import { closeServer } from './token-server.ts';
import { freePort, waitFor } from './util.ts';

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

describe('startRegistry without auth', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry.close();
  });

  it('pushes an image that reads back through tags/list and the manifest API', async () => {
    const created = new Date('2026-01-02T03:04:05.000Z');
    const pushed = await registry.pushImage('team/app', 'v1.0.0', {
      created,
      labels: { 'org.opencontainers.image.source': 'https://example.invalid/app' },
    });
    assert.match(pushed.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(pushed.mediaType, 'application/vnd.oci.image.manifest.v1+json');

    const tags = await (await fetch(`${registry.url}/v2/team/app/tags/list`)).json();
    assert.deepEqual(tags, { name: 'team/app', tags: ['v1.0.0'] });

    const res = await fetch(`${registry.url}/v2/team/app/manifests/v1.0.0`, {
      headers: { Accept: MANIFEST_ACCEPT },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), pushed.digest);
    assert.equal(res.headers.get('content-type'), MediaType.OciManifest);
    const manifest = (await res.json()) as { config: { digest: string } };
    assert.equal(manifest.config.digest, pushed.configDigest);

    const config = (await (
      await fetch(`${registry.url}/v2/team/app/blobs/${pushed.configDigest}`)
    ).json()) as {
      created: string;
      os: string;
      architecture: string;
      config: { Labels: Record<string, string> };
    };
    assert.equal(config.created, created.toISOString());
    assert.deepEqual([config.os, config.architecture], ['linux', 'amd64']);
    assert.equal(config.config.Labels['org.opencontainers.image.source'], 'https://example.invalid/app');
  });

  it('answers 404 for an OCI manifest requested without OCI media types (distribution 2.8)', async () => {
    await registry.pushImage('team/quirk', 'v1');
    const res = await fetch(`${registry.url}/v2/team/quirk/manifests/v1`, { method: 'HEAD' });
    assert.equal(res.status, 404);
  });

  it('makes every pushed image unique', async () => {
    const a = await registry.pushImage('team/unique', 'a');
    const b = await registry.pushImage('team/unique', 'b');
    assert.notEqual(a.digest, b.digest);
  });

  it('pushes an OCI index over per-platform images', async () => {
    const index = await registry.pushIndex('team/multi', 'v2', [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    const res = await fetch(`${registry.url}/v2/team/multi/manifests/v2`, {
      headers: { Accept: MANIFEST_ACCEPT },
    });
    assert.equal(res.headers.get('docker-content-digest'), index.digest);
    assert.equal(res.headers.get('content-type'), MediaType.OciIndex);
    const body = (await res.json()) as { manifests: { digest: string; platform: unknown }[] };
    assert.deepEqual(
      body.manifests.map((m) => [m.digest, m.platform]),
      index.manifests.map((m) => [m.digest, m.platform]),
    );
  });

  it('tags, untags and deletes', async () => {
    const v1 = await registry.pushImage('team/prune', 'v1');
    await registry.pushImage('team/prune', 'v2');
    assert.deepEqual(await registry.tagExisting('team/prune', 'v1', 'stable'), { digest: v1.digest });
    const tags = async (): Promise<unknown> =>
      ((await (await fetch(`${registry.url}/v2/team/prune/tags/list`)).json()) as { tags: unknown }).tags;
    assert.deepEqual(((await tags()) as string[]).sort(), ['stable', 'v1', 'v2']);
    await registry.deleteTag('team/prune', 'v2');
    assert.deepEqual(((await tags()) as string[]).sort(), ['stable', 'v1']);
    // Deleting a manifest drops every tag that points at it; no tags left reads as null.
    await registry.deleteManifest('team/prune', v1.digest);
    assert.equal(await tags(), null);
  });

  it('counts the requests it serves', async () => {
    await registry.pushImage('team/count', 'v1');
    registry.resetRequests();
    const res = await fetch(`${registry.url}/v2/team/count/tags/list`);
    await res.body?.cancel();
    assert.equal(registry.requests, 1);
    assert.deepEqual(registry.requestLog, [{ method: 'GET', path: '/v2/team/count/tags/list', status: 200 }]);
  });

  it('accepts an image copied in by skopeo from an OCI layout', async () => {
    const { digest } = await pushWithSkopeo(registry, 'team/skopeo', 'v1');
    const res = await fetch(`${registry.url}/v2/team/skopeo/manifests/v1`, {
      method: 'HEAD',
      headers: { Accept: MANIFEST_ACCEPT },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), digest);
  });
});

describe('startRegistry with basic auth', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ auth: 'basic', users: { alice: 'wonderland' } });
  });
  after(async () => {
    await registry.close();
  });

  it('refuses anonymous requests and accepts the user', async () => {
    await registry.pushImage('private/app', 'v1');
    const anonymous = await fetch(`${registry.url}/v2/private/app/tags/list`);
    await anonymous.body?.cancel();
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="ferry-test-registry"');

    const wrong = await fetch(`${registry.url}/v2/private/app/tags/list`, {
      headers: { Authorization: basic('alice', 'nope') },
    });
    await wrong.body?.cancel();
    assert.equal(wrong.status, 401);

    const ok = await fetch(`${registry.url}/v2/private/app/tags/list`, {
      headers: { Authorization: basic('alice', 'wonderland') },
    });
    assert.deepEqual(await ok.json(), { name: 'private/app', tags: ['v1'] });
  });

  it('lets skopeo push with the credentials', async () => {
    const { digest } = await pushWithSkopeo(registry, 'private/skopeo', 'v1');
    assert.match(digest, /^sha256:/);
  });
});

describe('startRegistry with token auth', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ auth: 'token', users: { bob: 'builder' }, tokenExpiresInSeconds: 120 });
  });
  after(async () => {
    await registry.close();
  });

  it('runs the Docker token flow end to end', async () => {
    await registry.pushImage('private/app', 'v1');
    registry.resetRequests();
    const challenge = await fetch(`${registry.url}/v2/private/app/tags/list`);
    await challenge.body?.cancel();
    assert.equal(challenge.status, 401);
    const header = challenge.headers.get('www-authenticate') ?? '';
    const match = /^Bearer realm="([^"]+)",service="([^"]+)",scope="([^"]+)"$/.exec(header);
    assert.ok(match, header);
    assert.equal(match[3], 'repository:private/app:pull');

    const tokenURL = `${match[1]}?${new URLSearchParams({ service: match[2]!, scope: match[3]! })}`;
    const refused = await fetch(tokenURL, { headers: { Authorization: basic('bob', 'wrong') } });
    await refused.body?.cancel();
    assert.equal(refused.status, 401);

    const answer = (await (
      await fetch(tokenURL, { headers: { Authorization: basic('bob', 'builder') } })
    ).json()) as {
      token: string;
      access_token: string;
      expires_in: number;
      issued_at: string;
    };
    assert.equal(answer.access_token, answer.token);
    assert.equal(answer.expires_in, 120);
    assert.ok(!Number.isNaN(Date.parse(answer.issued_at)));
    const header64 = answer.token.split('.')[0]!;
    const jose = JSON.parse(Buffer.from(header64, 'base64url').toString('utf8')) as {
      alg: string;
      x5c: string[];
    };
    assert.equal(jose.alg, 'ES256');
    assert.equal(jose.x5c.length, 1);

    const ok = await fetch(`${registry.url}/v2/private/app/tags/list`, {
      headers: { Authorization: `Bearer ${answer.token}` },
    });
    assert.deepEqual(await ok.json(), { name: 'private/app', tags: ['v1'] });
    assert.equal(registry.tokenRequests, 2);
  });

  it('gives anonymous callers a token without access', async () => {
    await registry.pushImage('private/anon', 'v1');
    const challenge = await fetch(`${registry.url}/v2/private/anon/tags/list`);
    await challenge.body?.cancel();
    const match = /realm="([^"]+)",service="([^"]+)",scope="([^"]+)"/.exec(
      challenge.headers.get('www-authenticate') ?? '',
    );
    assert.ok(match);
    const tokenURL = `${match[1]}?${new URLSearchParams({ service: match[2]!, scope: match[3]! })}`;
    const { token } = (await (await fetch(tokenURL)).json()) as { token: string };
    const res = await fetch(`${registry.url}/v2/private/anon/tags/list`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    await res.body?.cancel();
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
  });

  it('lets skopeo push through the token flow', async () => {
    const { digest } = await pushWithSkopeo(registry, 'private/skopeo', 'v1');
    assert.match(digest, /^sha256:/);
  });
});

describe('startRegistry notifications', () => {
  it('posts push events to the configured endpoint with its headers', async () => {
    const received: { auth: string | undefined; type: string | undefined; body: string }[] = [];
    const port = await freePort();
    const sink = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        received.push({ auth: req.headers.authorization, type: req.headers['content-type'], body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(port, '127.0.0.1', resolve));
    const registry = await startRegistry({
      notify: { url: `http://127.0.0.1:${port}/events`, headers: { Authorization: ['Bearer hook-token'] } },
    });
    try {
      const pushed = await registry.pushImage('team/notify', 'v1');
      await waitFor('a push event', async () => received.some((r) => r.body.includes(pushed.digest)));
      const event = received.find((r) => r.body.includes(pushed.digest))!;
      assert.equal(event.auth, 'Bearer hook-token');
      assert.equal(event.type, 'application/vnd.docker.distribution.events.v1+json');
    } finally {
      await registry.close();
      await closeServer(sink);
    }
  });
});
