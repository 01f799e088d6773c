/**
 * `pnpm openapi`: writes the OpenAPI document the api serves (generated from the route schemas)
 * to docs/openapi.json. CI checks the committed copy against the served one
 * (services/api/src/openapi.int.test.ts), so run this after changing a route.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Bus } from '@ferry/bus';
import { ROOT } from '@ferry/launcher';
import { createLogger } from '@ferry/observability';
import { Store } from '@ferry/store';
import { startNatsServer } from '@ferry/support';
import { buildApp } from '@ferry/svc-api';

const log = createLogger('openapi', 'silent');
const nats = await startNatsServer();
const store = Store.connect('redis://127.0.0.1:6379/13', 'openapi');
const bus = await Bus.connect({ servers: nats.url, name: 'openapi', log, maxDeliver: 3 });
try {
  const app = await buildApp({ store, bus, log, auth: { mode: 'token' } });
  await app.ready();
  const file = join(ROOT, 'docs', 'openapi.json');
  await writeFile(file, `${JSON.stringify(app.swagger(), null, 2)}\n`);
  await app.close();
  console.log(`wrote ${file}`);
} finally {
  await bus.close();
  await store.close();
  await nats.close();
}
