import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Bus } from '@ferry/bus';
import type { FreightDiscovered } from '@ferry/contracts';
import { createLogger } from '@ferry/observability';
import { Store } from '@ferry/store';
import { freePort, startNatsServer, type TestNatsServer, waitFor } from '@ferry/support';
import { depsReadiness, type OpsServer, startOpsServer } from './ops.ts';

const log = createLogger('ops-test', 'silent');
let nats: TestNatsServer;
let redisServer: ChildProcess;
let redisPort: number;
let store: Store;
let bus: Bus;
let ops: OpsServer;
let draining = false;

// A redis-server of the test's own, so that it can be killed to make Redis unreachable.
before(async () => {
  nats = await startNatsServer();
  redisPort = await freePort();
  redisServer = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  store = Store.connect(`redis://127.0.0.1:${redisPort}`, 'ops-test');
  // The test kills this Redis on purpose; ioredis would print every reconnect failure.
  store.redis.on('error', () => {});
  await waitFor('private redis-server', async () => (await store.redis.ping()) === 'PONG');
  bus = await Bus.connect({
    servers: nats.url,
    name: 'ops-test',
    log,
    maxDeliver: 3,
    pendingIntervalMs: 100,
  });
  ops = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    ready: depsReadiness({ store, bus }, { redisTimeoutMs: 300, draining: () => draining }),
    log,
  });
});
after(async () => {
  await ops.close();
  await bus.close();
  store.redis.disconnect();
  redisServer.kill('SIGKILL');
  await nats.close();
});

const get = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${ops.port}${path}`);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
};

const payload: FreightDiscovered = {
  project: 'p1',
  warehouse: 'w1',
  images: [{ repoURL: 'r/a', tag: '1.0.0', digest: `sha256:${'a'.repeat(64)}` }],
  discoveredAt: '2026-11-26T10:00:00Z',
};

// Tests run in order: the last ones break Redis and begin the drain.
test('healthz answers 200 while the process is up', async () => {
  assert.deepEqual(await get('/healthz'), {
    status: 200,
    type: 'application/json; charset=utf-8',
    body: '{"status":"ok"}\n',
  });
});

test('unknown paths and methods are refused with a JSON error', async () => {
  assert.deepEqual(await get('/nope'), {
    status: 404,
    type: 'application/json; charset=utf-8',
    body: '{"error":"no route /nope; try /healthz, /readyz or /metrics"}\n',
  });
  const res = await fetch(`http://127.0.0.1:${ops.port}/readyz`, { method: 'POST' });
  assert.equal(res.status, 405);
  assert.equal(await res.text(), '{"error":"method POST not allowed; use GET"}\n');
});

test('readyz answers 200 when Redis and NATS answer', async () => {
  assert.deepEqual(await get('/readyz'), {
    status: 200,
    type: 'application/json; charset=utf-8',
    body: '{"status":"ready"}\n',
  });
});

test('metrics carry the bus metrics after a message is handled', async () => {
  let handled = 0;
  const c = await bus.consume({
    type: 'FreightDiscovered',
    durable: 'ops-metrics',
    handler: async () => void handled++,
  });
  await bus.publish('FreightDiscovered', payload, 'ops-1');
  await waitFor('the message to be handled', async () => handled === 1);
  // Let the ack land and the pending gauge refresh (every 100 ms here).
  await new Promise((r) => setTimeout(r, 300));
  const { status, type, body } = await get('/metrics');
  await c.stop();
  assert.equal(status, 200);
  assert.equal(type, 'text/plain; version=0.0.4; charset=utf-8');
  const lines = body.split('\n');
  for (const line of [
    'ferry_messages_published_total{type="FreightDiscovered"} 1',
    'ferry_messages_handled_total{type="FreightDiscovered",outcome="ok"} 1',
    'ferry_message_handle_seconds_count{type="FreightDiscovered"} 1',
    'ferry_consumer_pending{durable="ops-metrics"} 0',
  ]) {
    assert.ok(lines.includes(line), `metrics lack the line: ${line}`);
  }
  assert.ok(lines.includes('# TYPE ferry_dead_letters_total counter'));
});

test('readyz answers 503 with a reason once Redis is unreachable', async () => {
  redisServer.kill('SIGKILL');
  await waitFor('ioredis to notice', async () => store.redis.status !== 'ready');
  const { status, body } = await get('/readyz');
  assert.equal(status, 503);
  assert.match(
    body,
    /^\{"status":"not ready","reason":"redis: connection is (connecting|reconnecting|close)"\}\n$/,
  );
});

test('readyz answers 503 once the drain began, and healthz stays 200', async () => {
  draining = true;
  assert.deepEqual(await get('/readyz'), {
    status: 503,
    type: 'application/json; charset=utf-8',
    body: '{"status":"not ready","reason":"draining: the service is shutting down"}\n',
  });
  assert.equal((await get('/healthz')).status, 200);
});

test('readyz names a closed NATS connection', async () => {
  draining = false;
  const ready = depsReadiness({ store, bus });
  await bus.nc.close();
  assert.deepEqual(await ready(), { ready: false, reason: 'nats: connection is closed' });
});
