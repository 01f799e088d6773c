import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';

test('defaults', () => {
  const c = loadConfig({});
  assert.equal(c.natsUrl, 'nats://127.0.0.1:4222');
  assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(c.apiPort, 8080);
  assert.deepEqual(c.insecureRegistries, []);
  assert.ok(Object.isFrozen(c));
});

test('every bad setting is listed at once', () => {
  assert.throws(
    () => loadConfig({ FERRY_API_PORT: 'x', FERRY_REDIS_URL: 'http://a', FERRY_LOG_LEVEL: 'loud' }),
    {
      message:
        'bad configuration: FERRY_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent; FERRY_REDIS_URL: must use redis: or rediss:, got "http:"; FERRY_API_PORT: must be an integer from 0 to 65535, got "x"',
    },
  );
});

test('insecure registries are split and trimmed', () => {
  assert.deepEqual(loadConfig({ FERRY_INSECURE_REGISTRIES: 'a:5000, b ,' }).insecureRegistries, [
    'a:5000',
    'b',
  ]);
});

test('registry rate limits are read per host, and bad pairs are listed', () => {
  assert.deepEqual(
    loadConfig({ FERRY_REGISTRY_RATE_LIMITS: 'ghcr.io=10, docker.io=2.5,' }).registryRateLimits,
    {
      'ghcr.io': 10,
      'docker.io': 2.5,
    },
  );
  assert.deepEqual(loadConfig({}).registryRateLimits, {});
  assert.throws(() => loadConfig({ FERRY_REGISTRY_RATE_LIMITS: 'ghcr.io=0,quay.io' }), {
    message:
      'bad configuration: FERRY_REGISTRY_RATE_LIMITS: "ghcr.io=0" is not host=requests-per-second with a positive number, like "ghcr.io=10"; ' +
      'FERRY_REGISTRY_RATE_LIMITS: "quay.io" is not host=requests-per-second with a positive number, like "ghcr.io=10"',
  });
});

test('webhook secrets are gathered by name and the encryption key must be 32 bytes of base64', () => {
  const key = Buffer.alloc(32, 3).toString('base64');
  const c = loadConfig({
    FERRY_WEBHOOK_SECRET_GH_HOOK: 's3cret',
    FERRY_WEBHOOK_SECRET_EMPTY: '',
    FERRY_ENCRYPTION_KEY: key,
  });
  assert.deepEqual(c.webhookSecrets, { GH_HOOK: 's3cret' });
  assert.equal(c.encryptionKey, key);
  assert.equal(loadConfig({}).encryptionKey, undefined);
  for (const bad of ['short', Buffer.alloc(16).toString('base64'), `${key}!`]) {
    assert.throws(
      () => loadConfig({ FERRY_ENCRYPTION_KEY: bad }),
      /FERRY_ENCRYPTION_KEY: must be 32 bytes in base64 \(44 characters\); make one with: openssl rand -base64 32/,
      bad,
    );
  }
});
