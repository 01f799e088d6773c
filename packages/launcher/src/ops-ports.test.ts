import assert from 'node:assert/strict';
import { test } from 'node:test';
import { opsPortFor, SERVICES, type ServiceName, serviceEnv } from './launcher.ts';

test('each service gets its own ops port from the base, in SERVICES order', () => {
  const cases: [NodeJS.ProcessEnv, number[]][] = [
    [{}, [9091, 9092, 9093, 9094, 9095, 9096]],
    [{ FERRY_OPS_PORT_BASE: '' }, [9091, 9092, 9093, 9094, 9095, 9096]],
    [{ FERRY_OPS_PORT_BASE: '19000' }, [19000, 19001, 19002, 19003, 19004, 19005]],
    // A single FERRY_OPS_PORT from the caller cannot serve six processes: the base wins.
    [{ FERRY_OPS_PORT: '9090' }, [9091, 9092, 9093, 9094, 9095, 9096]],
    [{ FERRY_OPS_PORT: '0', FERRY_OPS_PORT_BASE: '19000' }, [0, 0, 0, 0, 0, 0]],
  ];
  for (const [env, ports] of cases) {
    assert.deepEqual(
      SERVICES.map((s) => opsPortFor(s, env)),
      ports,
      JSON.stringify(env),
    );
  }
});

test('replicas of a service are shifted by the number of services', () => {
  const cases: [ServiceName, number, number][] = [
    ['freight-store', 1, 9097],
    ['api', 1, 9102],
    ['promoter', 2, 9104],
  ];
  for (const [service, replica, port] of cases) assert.equal(opsPortFor(service, {}, replica), port);
});

test('a bad base is refused naming the variable', () => {
  for (const raw of ['x', '0', '-5', '65531', '9091.5']) {
    assert.throws(() => opsPortFor('api', { FERRY_OPS_PORT_BASE: raw }), {
      message: `FERRY_OPS_PORT_BASE must be an integer port from 1 to 65530 leaving room for 6 services, got "${raw}"; or set FERRY_OPS_PORT=0 to turn the ops servers off`,
    });
  }
  assert.equal(opsPortFor('api', { FERRY_OPS_PORT_BASE: '65530' }), 65535);
});

test('serviceEnv keeps the caller environment and sets FERRY_OPS_PORT', () => {
  assert.deepEqual(serviceEnv('git-writer', { FERRY_LOG_LEVEL: 'debug', FERRY_OPS_PORT: '1234' }), {
    FERRY_LOG_LEVEL: 'debug',
    FERRY_OPS_PORT: '9093',
  });
  assert.deepEqual(serviceEnv('api', { FERRY_OPS_PORT: '0' }), { FERRY_OPS_PORT: '0' });
});
