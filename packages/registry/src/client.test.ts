import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { type FetchLike, RegistryClient } from './client.ts';
import {
  RegistryAuthError,
  RegistryBadResponseError,
  RegistryNotFoundError,
  RegistryRateLimitedError,
  RegistryUnreachableError,
} from './errors.ts';

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
}

// A hand-written fake: routes by "METHOD url" and records every call.
function fakeFetch(route: (call: Call) => Response | Promise<Response>): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      const call = {
        method: init.method ?? 'GET',
        url,
        headers: { ...(init.headers as Record<string, string>) },
      };
      calls.push(call);
      return await route(call);
    },
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

const digestOf = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

describe('RegistryClient.listTags', () => {
  it('talks HTTPS to registry-1.docker.io for a Docker Hub short name', async () => {
    const fake = fakeFetch(() => json(200, { name: 'library/nginx', tags: ['1.27'] }));
    const client = new RegistryClient({ fetch: fake.fetch, userAgent: 'ferry-test' });
    assert.deepEqual(await client.listTags('nginx'), ['1.27']);
    assert.equal(fake.calls[0]!.url, 'https://registry-1.docker.io/v2/library/nginx/tags/list');
    assert.equal(fake.calls[0]!.headers['User-Agent'], 'ferry-test');
  });

  it('follows relative and absolute Link pagination and treats null tags as none', async () => {
    const fake = fakeFetch(({ url }) => {
      const u = new URL(url);
      switch (u.searchParams.get('last')) {
        case null:
          return json(200, { tags: ['a', 'b'] }, { Link: '</v2/app/tags/list?n=2&last=b>; rel="next"' });
        case 'b':
          return json(
            200,
            { tags: ['c', 'd'] },
            { Link: `<${u.origin}/v2/app/tags/list?n=2&last=d>; rel="next"` },
          );
        default:
          return json(200, { tags: null });
      }
    });
    const client = new RegistryClient({ fetch: fake.fetch, insecureRegistries: ['registry.lan:5000'] });
    assert.deepEqual(await client.listTags('registry.lan:5000/app'), ['a', 'b', 'c', 'd']);
    assert.deepEqual(
      fake.calls.map((c) => c.url),
      [
        'http://registry.lan:5000/v2/app/tags/list',
        'http://registry.lan:5000/v2/app/tags/list?n=2&last=b',
        'http://registry.lan:5000/v2/app/tags/list?n=2&last=d',
      ],
    );
    assert.deepEqual(client.stats, { requests: 3, tokenRequests: 0, byMethodStatus: { 'GET 200': 3 } });
  });

  it('refuses a next link to another origin', async () => {
    const fake = fakeFetch(() =>
      json(200, { tags: ['a'] }, { Link: '<https://evil.example/v2/app/tags/list>; rel="next"' }),
    );
    const client = new RegistryClient({ fetch: fake.fetch });
    await assert.rejects(client.listTags('ghcr.io/o/app'), {
      name: 'RegistryBadResponseError',
      message:
        'repository "o/app" on registry ghcr.io: unusable answer while listing tags: the next page link points to ' +
        'another origin (https://evil.example); retry later and check the registry if it persists',
    });
  });

  it('stops a pagination loop', async () => {
    const fake = fakeFetch(() => json(200, { tags: ['a'] }, { Link: '</v2/o/app/tags/list>; rel="next"' }));
    const client = new RegistryClient({ fetch: fake.fetch });
    await assert.rejects(client.listTags('ghcr.io/o/app'), RegistryBadResponseError);
    assert.equal(fake.calls.length, 1);
  });

  it('reports a missing repository with the registry error body', async () => {
    const fake = fakeFetch(() =>
      json(404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }),
    );
    const client = new RegistryClient({ fetch: fake.fetch });
    await assert.rejects(client.listTags('ghcr.io/o/missing'), (err: unknown) => {
      assert.ok(err instanceof RegistryNotFoundError);
      assert.equal(err.code, 'FERRY_ERR_REGISTRY_NOT_FOUND');
      assert.equal(err.status, 404);
      assert.deepEqual(err.details, [
        { code: 'NAME_UNKNOWN', message: 'repository name not known to registry' },
      ]);
      assert.equal(
        err.message,
        'repository "o/missing" on registry ghcr.io: not found while listing tags (HTTP 404, NAME_UNKNOWN: ' +
          'repository name not known to registry); check the image repository URL and that the image was pushed',
      );
      return true;
    });
  });

  it('reports rate limiting with Retry-After', async () => {
    const fake = fakeFetch(() =>
      json(429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }, { 'Retry-After': '42' }),
    );
    const client = new RegistryClient({ fetch: fake.fetch });
    await assert.rejects(client.listTags('nginx'), (err: unknown) => {
      assert.ok(err instanceof RegistryRateLimitedError);
      assert.equal(err.code, 'FERRY_ERR_REGISTRY_RATE_LIMITED');
      assert.equal(err.retryAfterSeconds, 42);
      assert.equal(
        err.message,
        'repository "library/nginx" on registry docker.io: rate-limited while listing tags (HTTP 429, ' +
          'TOOMANYREQUESTS: slow down); retry after 42 s, or configure credentials: authenticated pulls get higher limits',
      );
      return true;
    });
  });

  it('reports a server error as a bad response', async () => {
    const fake = fakeFetch(() => new Response('oops', { status: 503 }));
    const client = new RegistryClient({ fetch: fake.fetch });
    await assert.rejects(client.listTags('ghcr.io/o/app'), {
      name: 'RegistryBadResponseError',
      code: 'FERRY_ERR_REGISTRY_BAD_RESPONSE',
      status: 503,
      message:
        'repository "o/app" on registry ghcr.io: unexpected answer while listing tags (HTTP 503); retry later and ' +
        "check the registry's health if it persists",
    });
    assert.deepEqual(client.stats.byMethodStatus, { 'GET 503': 1 });
  });

  it('reports a network failure as unreachable', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const fake = fakeFetch(() => {
      throw new TypeError('fetch failed', { cause: refused });
    });
    const client = new RegistryClient({ fetch: fake.fetch });
    await assert.rejects(client.listTags('ghcr.io/o/app'), (err: unknown) => {
      assert.ok(err instanceof RegistryUnreachableError);
      assert.equal(err.code, 'FERRY_ERR_REGISTRY_UNREACHABLE');
      assert.ok(err.cause instanceof TypeError);
      assert.equal(
        err.message,
        'repository "o/app" on registry ghcr.io: cannot reach https://ghcr.io while listing tags (ECONNREFUSED: ' +
          'connect ECONNREFUSED 10.0.0.1:443); check the registry address and the network; a registry that serves ' +
          'plain HTTP must be listed in insecureRegistries',
      );
      return true;
    });
    assert.deepEqual(client.stats.byMethodStatus, { 'GET error': 1 });
  });

  it('reports a timeout as unreachable', async () => {
    const fake = fakeFetch(() => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    });
    const client = new RegistryClient({ fetch: fake.fetch, timeoutMs: 1234 });
    await assert.rejects(client.listTags('127.0.0.1:5000/app'), {
      name: 'RegistryUnreachableError',
      message:
        'repository "app" on registry 127.0.0.1:5000: cannot reach http://127.0.0.1:5000 while listing tags (no ' +
        'answer within 1234 ms); check the registry address and the network',
    });
  });
});

describe('RegistryClient auth', () => {
  const realm = 'https://auth.example/token';
  const challenge = `Bearer realm="${realm}",service="reg.example",scope="repository:o/app:pull"`;

  function tokenRegistry(opts: { expiresIn?: number; echo?: boolean } = {}) {
    let issued = 0;
    return fakeFetch(({ url, headers }) => {
      if (url.startsWith(realm)) {
        issued++;
        const body: Record<string, unknown> = { access_token: `tok-${issued}-abcdef` };
        if (opts.expiresIn !== undefined) body.expires_in = opts.expiresIn;
        return json(200, body);
      }
      if (!headers.Authorization?.startsWith('Bearer tok-')) {
        return json(
          401,
          { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
          { 'WWW-Authenticate': challenge },
        );
      }
      if (opts.echo) {
        // A misbehaving registry that echoes the credentials it got; the client must scrub them.
        return json(403, { errors: [{ code: 'DENIED', message: `denied for ${headers.Authorization}` }] });
      }
      return json(200, { tags: ['v1'] });
    });
  }

  it('answers a bearer challenge, caches the token and sends it up front next time', async () => {
    const fake = tokenRegistry();
    const client = new RegistryClient({
      fetch: fake.fetch,
      credentials: (host) => (host === 'reg.example' ? { username: 'u', password: 'p4ss' } : undefined),
    });
    assert.deepEqual(await client.listTags('reg.example/o/app'), ['v1']);
    assert.deepEqual(await client.listTags('reg.example/o/app'), ['v1']);
    assert.deepEqual(
      fake.calls.map((c) => `${c.method} ${c.url} ${c.headers.Authorization ?? '-'}`),
      [
        'GET https://reg.example/v2/o/app/tags/list -',
        `GET ${realm}?service=reg.example&scope=repository%3Ao%2Fapp%3Apull Basic ${Buffer.from('u:p4ss').toString('base64')}`,
        'GET https://reg.example/v2/o/app/tags/list Bearer tok-1-abcdef',
        'GET https://reg.example/v2/o/app/tags/list Bearer tok-1-abcdef',
      ],
    );
    assert.deepEqual(client.stats, {
      requests: 3,
      tokenRequests: 1,
      byMethodStatus: { 'GET 401': 1, 'GET 200': 2 },
    });
  });

  it('fetches a new token once the cached one is near expiry (default 60 s, minus a margin)', async () => {
    const fake = tokenRegistry();
    let now = 1_000_000;
    const client = new RegistryClient({ fetch: fake.fetch, now: () => now });
    await client.listTags('reg.example/o/app');
    now += 29_000;
    await client.listTags('reg.example/o/app');
    assert.equal(client.stats.tokenRequests, 1);
    now += 2_000;
    await client.listTags('reg.example/o/app');
    assert.equal(client.stats.tokenRequests, 2);
    // The realm is remembered, so the new token is fetched before, not after, an anonymous 401.
    assert.equal(client.stats.byMethodStatus['GET 401'], 1);
  });

  it('shares one token request between parallel calls', async () => {
    const fake = tokenRegistry();
    const client = new RegistryClient({ fetch: fake.fetch });
    await Promise.all([
      client.listTags('reg.example/o/app'),
      client.resolveTag('reg.example/o/app', 'v1').catch(() => {}),
    ]);
    assert.equal(client.stats.tokenRequests, 1);
  });

  it('fetches a token per repository scope', async () => {
    const fake = tokenRegistry({ expiresIn: 300 });
    const client = new RegistryClient({ fetch: fake.fetch });
    await client.listTags('reg.example/o/app');
    await client.listTags('reg.example/o/other');
    assert.equal(client.stats.tokenRequests, 2);
    assert.match(fake.calls.at(-2)!.url, /scope=repository%3Ao%2Fother%3Apull$/);
  });

  it('scrubs tokens and passwords from error messages', async () => {
    const fake = tokenRegistry({ echo: true });
    const client = new RegistryClient({
      fetch: fake.fetch,
      credentials: () => ({ username: 'u', password: 'hunter22' }),
    });
    await assert.rejects(client.listTags('reg.example/o/app'), (err: unknown) => {
      assert.ok(err instanceof RegistryAuthError);
      assert.doesNotMatch(err.message, /tok-1-abcdef|hunter22/);
      assert.match(err.message, /DENIED: denied for Bearer \[redacted\]/);
      assert.doesNotMatch(JSON.stringify(err.details), /tok-1/);
      return true;
    });
  });

  it('fails when a basic challenge meets no credentials', async () => {
    const fake = fakeFetch(() => json(401, {}, { 'WWW-Authenticate': 'Basic realm="r"' }));
    const client = new RegistryClient({ fetch: fake.fetch });
    await assert.rejects(client.listTags('reg.example/o/app'), {
      name: 'RegistryAuthError',
      message:
        'repository "o/app" on registry reg.example: authentication required while listing tags (HTTP 401, basic ' +
        'auth); configure credentials for registry reg.example',
    });
  });

  it('refuses to send credentials to a plain-HTTP token realm on a non-loopback host', async () => {
    const fake = fakeFetch(() =>
      json(401, {}, { 'WWW-Authenticate': 'Bearer realm="http://auth.example/token",service="s"' }),
    );
    const client = new RegistryClient({
      fetch: fake.fetch,
      credentials: () => ({ username: 'u', password: 'pw12' }),
    });
    await assert.rejects(client.listTags('reg.example/o/app'), {
      name: 'RegistryAuthError',
      message:
        'repository "o/app" on registry reg.example: refusing to send credentials over plain HTTP to the token ' +
        'service http://auth.example; use an https realm or list that host in insecureRegistries',
    });
    assert.equal(fake.calls.length, 1);
  });
});

describe('RegistryClient.resolveTag and getManifest', () => {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { digest: `sha256:${'a'.repeat(64)}` },
  });

  it('falls back to GET and hashing when HEAD has no Docker-Content-Digest', async () => {
    const fake = fakeFetch(({ method }) =>
      method === 'HEAD'
        ? new Response(null, {
            status: 200,
            headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
          })
        : new Response(manifest, {
            status: 200,
            headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
          }),
    );
    const client = new RegistryClient({ fetch: fake.fetch });
    assert.deepEqual(await client.resolveTag('ghcr.io/o/app', 'v1'), {
      digest: digestOf(manifest),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    assert.deepEqual(
      fake.calls.map((c) => [c.method, c.headers.Accept]),
      [
        [
          'HEAD',
          'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json',
        ],
        [
          'GET',
          'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json',
        ],
      ],
    );
  });

  it('rejects a manifest whose bytes do not match the requested digest', async () => {
    const fake = fakeFetch(
      () => new Response(manifest, { status: 200, headers: { 'Content-Type': 'application/json' } }),
    );
    const client = new RegistryClient({ fetch: fake.fetch });
    const wanted = `sha256:${'b'.repeat(64)}`;
    await assert.rejects(client.getManifest('ghcr.io/o/app', wanted), {
      name: 'RegistryBadResponseError',
      message: `repository "o/app" on registry ghcr.io: unusable answer while fetching manifest "${wanted}": the body hashes to ${digestOf(manifest)}, not the requested digest; retry later and check the registry if it persists`,
    });
  });

  it('takes the media type from the manifest when Content-Type is generic', async () => {
    const fake = fakeFetch(
      () => new Response(manifest, { status: 200, headers: { 'Content-Type': 'application/json' } }),
    );
    const client = new RegistryClient({ fetch: fake.fetch });
    const got = await client.getManifest('ghcr.io/o/app', 'v1');
    assert.equal(got.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.deepEqual(got.manifest, JSON.parse(manifest));
  });

  it('rejects an invalid tag before any request', async () => {
    const fake = fakeFetch(() => json(200, {}));
    const client = new RegistryClient({ fetch: fake.fetch });
    await assert.rejects(client.resolveTag('ghcr.io/o/app', '-bad'), {
      name: 'InvalidImageRepoError',
      message:
        'invalid tag "-bad" for repository "o/app" on registry ghcr.io: a tag is 1-128 of A-Z, a-z, 0-9, _, . and -, ' +
        'not starting with . or -',
    });
    assert.equal(fake.calls.length, 0);
  });
});

describe('RegistryClient per-call credentials', () => {
  // A bearer registry whose token service grants access only to user "a" (token "tok-a") or "b" ("tok-b").
  const bearerRegistry = () =>
    fakeFetch(({ url, headers }) => {
      if (url.startsWith('https://auth.example/token')) {
        const basic = headers.Authorization;
        if (basic === undefined) return json(200, { token: 'tok-anon' });
        const user = Buffer.from(basic.slice(6), 'base64').toString().split(':')[0];
        return json(200, { token: `tok-${user}` });
      }
      const auth = headers.Authorization;
      if (auth === 'Bearer tok-a' || auth === 'Bearer tok-b') return json(200, { tags: [auth.slice(11)] });
      return json(
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
        {
          'WWW-Authenticate': 'Bearer realm="https://auth.example/token",service="reg"',
        },
      );
    });

  it('keeps tokens apart per credentials, so one caller never uses another caller’s token', async () => {
    const fake = bearerRegistry();
    const client = new RegistryClient({ fetch: fake.fetch });
    const as = (username: string) => ({
      credentials: async () => ({ username, password: `pw-${username}` }),
    });
    assert.deepEqual(await client.listTags('reg.example/app', as('a')), ['a']);
    assert.deepEqual(await client.listTags('reg.example/app', as('b')), ['b']);
    assert.deepEqual(await client.listTags('reg.example/app', as('a')), ['a']);
    assert.equal(client.stats.tokenRequests, 2, 'one token per identity, then reused');
    await assert.rejects(
      client.listTags('reg.example/app', {
        credentials: async () => undefined,
        missingCredentialsHint:
          'apply a Secret labelled kargo.akuity.io/cred-type: image with repoURL reg.example/app',
      }),
      (err: Error) => {
        assert.ok(err instanceof RegistryAuthError);
        assert.match(
          err.message,
          /access denied while listing tags \(HTTP 401, UNAUTHORIZED: authentication required\); apply a Secret labelled kargo.akuity.io\/cred-type: image with repoURL reg.example\/app$/,
        );
        return true;
      },
    );
  });

  it('falls back to the client-wide provider when the call has none, and never shows a password', async () => {
    const fake = bearerRegistry();
    const client = new RegistryClient({
      fetch: fake.fetch,
      credentials: (host) => (host === 'reg.example' ? { username: 'b', password: 'pw-b' } : undefined),
    });
    assert.deepEqual(await client.listTags('reg.example/app', { credentials: async () => undefined }), ['b']);
    const wrong = fakeFetch(() =>
      json(
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'bad pw-secret-9' }] },
        { 'WWW-Authenticate': 'Basic realm="r"' },
      ),
    );
    const basic = new RegistryClient({ fetch: wrong.fetch });
    await assert.rejects(
      basic.listTags('reg.example/app', {
        credentials: async () => ({ username: 'u', password: 'pw-secret-9' }),
      }),
      (err: Error) => !err.message.includes('pw-secret-9') && /\[redacted\]/.test(err.message),
    );
  });
});
