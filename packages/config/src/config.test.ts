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
