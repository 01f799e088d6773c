import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiPortFor, replicasFromEnv, serviceEnv } from './launcher.ts';

test('api replicas get their own HTTP ports from FERRY_API_PORT up; other services keep theirs', () => {
  const cases: [NodeJS.ProcessEnv, number, number][] = [
    [{}, 0, 8080],
    [{}, 2, 8082],
    [{ FERRY_API_PORT: '9000' }, 1, 9001],
    [{ FERRY_API_PORT: '0' }, 3, 0],
  ];
  for (const [env, replica, want] of cases)
    assert.equal(apiPortFor(env, replica), want, JSON.stringify([env, replica]));
  assert.equal(serviceEnv('api', { FERRY_API_PORT: '9000' }, 0).FERRY_API_PORT, '9000');
  assert.equal(serviceEnv('api', { FERRY_API_PORT: '9000' }, 2).FERRY_API_PORT, '9002');
  assert.equal(serviceEnv('api', {}, 1).FERRY_API_PORT, '8081');
  assert.equal(serviceEnv('promoter', { FERRY_API_PORT: '9000' }, 2).FERRY_API_PORT, '9000');
  assert.notEqual(serviceEnv('api', {}, 1).FERRY_OPS_PORT, serviceEnv('api', {}, 0).FERRY_OPS_PORT);
});

test('a bad FERRY_API_PORT or a replica past 65535 is refused with what to change', () => {
  assert.throws(() => apiPortFor({ FERRY_API_PORT: 'x' }, 1), {
    message: 'FERRY_API_PORT must be an integer port from 0 to 65535, got "x"',
  });
  assert.throws(() => apiPortFor({ FERRY_API_PORT: '65535' }, 1), {
    message:
      'api replica 1 would listen on port 65536, past 65535; lower FERRY_API_PORT or run fewer api replicas',
  });
});

test('FERRY_REPLICAS is a count or service=count pairs', () => {
  const cases: [string | undefined, unknown][] = [
    [undefined, undefined],
    ['', undefined],
    ['3', 3],
    ['api=2, promoter=3', { api: 2, promoter: 3 }],
  ];
  for (const [raw, want] of cases)
    assert.deepEqual(replicasFromEnv({ FERRY_REPLICAS: raw }), want, String(raw));
  assert.throws(() => replicasFromEnv({ FERRY_REPLICAS: 'apii=2' }), {
    message:
      'FERRY_REPLICAS entry "apii=2" is not service=count with a service of freight-store, promoter, git-writer, argocd-syncer, warehouse-poller, api, like "api=2,promoter=3"',
  });
});
