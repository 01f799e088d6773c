import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegistryAuthMode, startRegistry, type TestRegistry } from '@ferry/support';
import { RegistryClient } from './client.ts';
import { RegistryErrorCode, RegistryTlsError } from './errors.ts';

// A real docker-registry serving HTTPS with a certificate generated for the run, signed by no trusted CA.
for (const auth of [RegistryAuthMode.None, RegistryAuthMode.Token]) {
  describe(`a registry with a self-signed certificate (auth ${auth})`, () => {
    let registry: TestRegistry;
    let pushed: { digest: string };

    before(async () => {
      registry = await startRegistry({ tls: true, auth });
      pushed = await registry.pushImage('team/app', '1.0.0');
      registry.resetRequests();
    });
    after(async () => {
      await registry?.close();
    });

    const credentials = () => async () => registry.credentials;

    it('is refused with an error naming the host, the TLS code and what to do', async () => {
      const client = new RegistryClient();
      await assert.rejects(
        client.listTags(`${registry.host}/team/app`, { credentials: credentials() }),
        (err: unknown) => {
          assert.ok(err instanceof RegistryTlsError, String(err));
          assert.equal(err.code, RegistryErrorCode.TlsUnverified);
          assert.equal(err.tlsCode, 'DEPTH_ZERO_SELF_SIGNED_CERT');
          assert.equal(
            err.message,
            `repository "team/app" on registry ${registry.host}: the TLS certificate of ${registry.url} could ` +
              'not be verified while listing tags (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate); if it ' +
              'is signed by a private CA, trust that CA by pointing NODE_EXTRA_CA_CERTS of the warehouse-poller ' +
              "at the CA's PEM file; or set insecureSkipTLSVerify: true on the subscription to skip verification",
          );
          return true;
        },
      );
      // The handshake failed, so the registry never saw a request.
      assert.equal(registry.requests, 0);
    });

    it('is read with insecureSkipTLSVerify: tags, digests and image metadata', async () => {
      const client = new RegistryClient();
      const call = { credentials: credentials(), insecureSkipTLSVerify: true };
      const repo = `${registry.host}/team/app`;
      assert.deepEqual(await client.listTags(repo, call), ['1.0.0']);
      assert.equal((await client.resolveTag(repo, '1.0.0', call)).digest, pushed.digest);
      const info = await client.getImageInfo(repo, '1.0.0', undefined, call);
      assert.equal(info.digest, pushed.digest);
      assert.ok(registry.requests >= 3);
      // A later call without the flag is verified again: skipping is per call, never sticky.
      await assert.rejects(client.listTags(repo, { credentials: credentials() }), {
        name: 'RegistryTlsError',
      });
    });
  });
}
