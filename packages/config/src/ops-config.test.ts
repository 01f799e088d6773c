import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';

test('the ops server settings default to 127.0.0.1:9090 and 0 turns it off', () => {
  const cases: [Record<string, string>, number, string][] = [
    [{}, 9090, '127.0.0.1'],
    [{ FERRY_OPS_PORT: '0' }, 0, '127.0.0.1'],
    [{ FERRY_OPS_PORT: '9191', FERRY_OPS_HOST: '0.0.0.0' }, 9191, '0.0.0.0'],
  ];
  for (const [env, port, host] of cases) {
    const c = loadConfig(env);
    assert.deepEqual([c.opsPort, c.opsHost], [port, host], JSON.stringify(env));
  }
});

test('a bad FERRY_OPS_PORT is named', () => {
  assert.throws(
    () => loadConfig({ FERRY_OPS_PORT: '70000' }),
    (err: Error & { problems: unknown }) => {
      assert.deepEqual(err.problems, [
        { path: 'FERRY_OPS_PORT', message: 'must be an integer from 0 to 65535, got "70000"' },
      ]);
      return true;
    },
  );
});
