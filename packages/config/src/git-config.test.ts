import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';

test('commit signing: type and key path together, or neither', () => {
  const none = loadConfig({});
  assert.deepEqual([none.gitSigningKeyType, none.gitSigningKeyPath], [undefined, undefined]);
  const ssh = loadConfig({
    FERRY_GIT_SIGNING_KEY_TYPE: 'ssh',
    FERRY_GIT_SIGNING_KEY_PATH: '/keys/id_ed25519',
  });
  assert.deepEqual([ssh.gitSigningKeyType, ssh.gitSigningKeyPath], ['ssh', '/keys/id_ed25519']);
  const cases: Array<{ env: Record<string, string>; message: string }> = [
    {
      env: { FERRY_GIT_SIGNING_KEY_TYPE: 'x509', FERRY_GIT_SIGNING_KEY_PATH: '/k' },
      message: 'bad configuration: FERRY_GIT_SIGNING_KEY_TYPE: must be "gpg" or "ssh", got "x509"',
    },
    {
      env: { FERRY_GIT_SIGNING_KEY_TYPE: 'gpg' },
      message:
        "bad configuration: FERRY_GIT_SIGNING_KEY_PATH: is required with FERRY_GIT_SIGNING_KEY_TYPE=gpg; give the private key file's path",
    },
    {
      env: { FERRY_GIT_SIGNING_KEY_PATH: '/k' },
      message:
        'bad configuration: FERRY_GIT_SIGNING_KEY_TYPE: is required with FERRY_GIT_SIGNING_KEY_PATH; set it to "gpg" or "ssh"',
    },
  ];
  for (const c of cases) assert.throws(() => loadConfig(c.env), { message: c.message });
});
