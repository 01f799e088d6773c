import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FetchLike, RegistryClient } from './client.ts';
import { RegistryErrorCode, RegistryTlsError, RegistryUnreachableError } from './errors.ts';
import { certificateErrorCode, insecureTlsDispatcher } from './tls.ts';

interface Seen {
  url: string;
  dispatcher: unknown;
}

// Answers like a registry behind Docker token auth: 401 with a Bearer challenge until a token is sent.
function tokenRegistry(): { fetch: FetchLike; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch: FetchLike = async (url, init) => {
    seen.push({ url, dispatcher: init.dispatcher });
    if (url.startsWith('https://auth.example/')) {
      return Response.json({ token: 'tok-123456', expires_in: 300 });
    }
    const auth = (init.headers as Record<string, string>).Authorization;
    if (auth !== 'Bearer tok-123456') {
      return new Response(null, {
        status: 401,
        headers: { 'WWW-Authenticate': 'Bearer realm="https://auth.example/token",service="reg"' },
      });
    }
    return Response.json({ tags: ['1.0.0'] });
  };
  return { fetch, seen };
}

// What `fetch` rejects with when the server's certificate fails verification.
function certificateFailure(code: string, message: string): TypeError {
  const socket = Object.assign(new Error(message), { code });
  return new TypeError('fetch failed', { cause: socket });
}

describe('insecureSkipTLSVerify', () => {
  it('sends every request of the call, the token request included, through the non-verifying dispatcher', async () => {
    const fake = tokenRegistry();
    const client = new RegistryClient({ fetch: fake.fetch });
    assert.deepEqual(await client.listTags('registry.example.com/app', { insecureSkipTLSVerify: true }), [
      '1.0.0',
    ]);
    assert.deepEqual(
      fake.seen.map((s) => s.url.split('?')[0]),
      [
        'https://registry.example.com/v2/app/tags/list',
        'https://auth.example/token',
        'https://registry.example.com/v2/app/tags/list',
      ],
    );
    for (const s of fake.seen) assert.equal(s.dispatcher, await insecureTlsDispatcher(), s.url);
  });

  it('verifies certificates unless the call asks otherwise', async () => {
    const fake = tokenRegistry();
    const client = new RegistryClient({ fetch: fake.fetch });
    await client.listTags('registry.example.com/app');
    await client.listTags('registry.example.com/app', { insecureSkipTLSVerify: false });
    await client.listTags('registry.example.com/app', { credentials: async () => undefined });
    assert.ok(fake.seen.length >= 4);
    for (const s of fake.seen) assert.equal(s.dispatcher, undefined, s.url);
  });

  it('shares one dispatcher between calls', async () => {
    assert.equal(await insecureTlsDispatcher(), await insecureTlsDispatcher());
  });

  it('turns a certificate failure into an error naming the host, the code and what to do', async () => {
    const cases: Array<[string, string, string]> = [
      ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', 'self-signed certificate'],
      [
        'SELF_SIGNED_CERT_IN_CHAIN',
        'self-signed certificate in certificate chain; if the root CA is installed locally, try running Node.js with --use-system-ca',
        'self-signed certificate in certificate chain',
      ],
      [
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        'unable to verify the first certificate',
        'unable to verify the first certificate',
      ],
    ];
    for (const [code, message, shown] of cases) {
      const client = new RegistryClient({
        fetch: async () => {
          throw certificateFailure(code, message);
        },
      });
      await assert.rejects(client.listTags('registry.example.com:8443/team/app'), (err: unknown) => {
        assert.ok(err instanceof RegistryTlsError, String(err));
        assert.equal(err.code, RegistryErrorCode.TlsUnverified);
        assert.equal(err.tlsCode, code);
        assert.equal(err.registry, 'registry.example.com:8443');
        assert.equal(
          err.message,
          'repository "team/app" on registry registry.example.com:8443: the TLS certificate of ' +
            `https://registry.example.com:8443 could not be verified while listing tags (${code}: ${shown}); ` +
            'if it is signed by a private CA, trust that CA by pointing NODE_EXTRA_CA_CERTS of the ' +
            "warehouse-poller at the CA's PEM file; or set insecureSkipTLSVerify: true on the subscription " +
            'to skip verification',
        );
        return true;
      });
    }
  });

  it('names the token service when its certificate fails', async () => {
    const registry = tokenRegistry();
    const client = new RegistryClient({
      fetch: async (url, init) => {
        if (url.startsWith('https://auth.example/')) {
          throw certificateFailure(
            'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
            'unable to get local issuer certificate',
          );
        }
        return registry.fetch(url, init);
      },
    });
    await assert.rejects(client.listTags('registry.example.com/app'), {
      name: 'RegistryTlsError',
      message:
        'repository "app" on registry registry.example.com: the TLS certificate of the token service ' +
        'https://auth.example could not be verified while listing tags (UNABLE_TO_GET_ISSUER_CERT_LOCALLY: ' +
        'unable to get local issuer certificate); if it is signed by a private CA, trust that CA by pointing ' +
        "NODE_EXTRA_CA_CERTS of the warehouse-poller at the CA's PEM file; or set insecureSkipTLSVerify: true " +
        'on the subscription to skip verification',
    });
  });

  it('leaves other network failures unreachable errors', async () => {
    const client = new RegistryClient({
      fetch: async () => {
        throw certificateFailure('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443');
      },
    });
    await assert.rejects(client.listTags('registry.example.com/app'), (err: unknown) => {
      assert.ok(err instanceof RegistryUnreachableError, String(err));
      assert.ok(!(err instanceof RegistryTlsError));
      return true;
    });
  });

  it('finds the certificate code however deep fetch wraps it', () => {
    assert.equal(
      certificateErrorCode(certificateFailure('CERT_HAS_EXPIRED', 'certificate has expired')),
      'CERT_HAS_EXPIRED',
    );
    assert.equal(
      certificateErrorCode(
        new Error('outer', { cause: certificateFailure('ERR_TLS_CERT_ALTNAME_INVALID', 'x') }),
      ),
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
    assert.equal(certificateErrorCode(certificateFailure('ECONNRESET', 'socket hang up')), undefined);
    assert.equal(certificateErrorCode('not an error'), undefined);
  });
});
