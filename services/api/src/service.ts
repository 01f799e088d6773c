import type { RunningService, ServiceDeps } from '@ferry/runtime';
import { buildApp } from './app.ts';

/** Starts the api on the configured host and port; `address` is where it listens. */
export async function startApi(deps: ServiceDeps): Promise<RunningService & { address: string }> {
  const app = await buildApp({ store: deps.store, bus: deps.bus, log: deps.log });
  const address = await app.listen({ host: deps.config.apiHost, port: deps.config.apiPort });
  deps.log.info({ address }, 'api listening');
  return { address, stop: () => app.close() };
}
