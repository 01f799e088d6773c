import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { Bus } from '@ferry/bus';
import { createLogger } from '@ferry/observability';
import { Store } from '@ferry/store';
import { startNatsServer, type TestNatsServer } from '@ferry/support';
import { buildApp } from './app.ts';

let nats: TestNatsServer;
let store: Store;
let bus: Bus;
const log = createLogger('openapi-test', 'silent');

before(async () => {
  nats = await startNatsServer();
  store = Store.connect('redis://127.0.0.1:6379/13', 'openapi-test');
  bus = await Bus.connect({ servers: nats.url, name: 'openapi-test', log, maxDeliver: 3 });
});
after(async () => {
  await bus.close();
  await store.close();
  await nats.close();
});

test('the served OpenAPI document is the committed docs/openapi.json (run "pnpm openapi" after changing a route)', async () => {
  const app = await buildApp({ store, bus, log, auth: { mode: 'token' } });
  const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  await app.close();
  assert.equal(res.statusCode, 200);
  const committed = JSON.parse(
    await readFile(new URL('../../../docs/openapi.json', import.meta.url), 'utf8'),
  );
  assert.deepEqual(res.json(), committed);
});
