import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialsFromDockerConfig } from './docker-config.ts';
import { RegistryConfigError } from './errors.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('credentialsFromDockerConfig', () => {
  const config = {
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
      'ghcr.io': { username: 'gh', password: 'ghp_token' },
      '127.0.0.1:5000': { auth: b64('local:pw') },
      'quay.io': {},
    },
    credsStore: 'desktop',
  };
  const lookup = credentialsFromDockerConfig(config);
  const cases: [string, { username: string; password: string } | undefined][] = [
    ['docker.io', { username: 'hubuser', password: 'hub:pass' }],
    ['registry-1.docker.io', { username: 'hubuser', password: 'hub:pass' }],
    ['index.docker.io', { username: 'hubuser', password: 'hub:pass' }],
    ['ghcr.io', { username: 'gh', password: 'ghp_token' }],
    ['GHCR.IO', { username: 'gh', password: 'ghp_token' }],
    ['127.0.0.1:5000', { username: 'local', password: 'pw' }],
    ['127.0.0.1:5001', undefined],
    ['quay.io', undefined],
    ['example.com', undefined],
  ];
  for (const [host, expected] of cases) {
    it(`looks up ${host}`, () => assert.deepEqual(lookup(host), expected));
  }

  it('accepts a config without auths', () => {
    assert.equal(credentialsFromDockerConfig({})('docker.io'), undefined);
  });

  const invalid: [unknown, string][] = [
    [null, 'docker config: expected a JSON object'],
    [[], 'docker config: expected a JSON object'],
    [{ auths: [] }, 'docker config: "auths" must be an object keyed by registry host'],
    [{ auths: { 'ghcr.io': 'x' } }, 'docker config: auths["ghcr.io"]: expected an object'],
    [
      { auths: { 'ghcr.io': { auth: b64('no-colon-secret') } } },
      'docker config: auths["ghcr.io"].auth: does not decode to "username:password"',
    ],
    [
      { auths: { 'ghcr.io': { username: 'u', password: 7 } } },
      'docker config: auths["ghcr.io"]: "username" and "password" must both be strings',
    ],
    [{ auths: { '': { auth: b64('a:b') } } }, 'docker config: auths[""]: the key names no registry host'],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => credentialsFromDockerConfig(input),
        (err: unknown) => {
          assert.ok(err instanceof RegistryConfigError);
          assert.equal(err.code, 'FERRY_ERR_REGISTRY_INVALID_CONFIG');
          assert.equal(err.message, message);
          assert.doesNotMatch(err.message, /secret/);
          return true;
        },
      );
    });
  }
});
