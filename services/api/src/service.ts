import type { RunningService, ServiceDeps } from '@ferry/runtime';
import { buildApp } from './app.ts';

/** Starts the api on the configured host and port; `address` is where it listens. */
export async function startApi(deps: ServiceDeps): Promise<RunningService & { address: string }> {
  const { auth, bootstrapAdminToken } = deps.config;
  const app = await buildApp({
    store: deps.store,
    bus: deps.bus,
    log: deps.log,
    auth:
      auth === 'none'
        ? { mode: 'none' }
        : { mode: 'token', ...(bootstrapAdminToken ? { bootstrapAdminToken } : {}) },
  });
  if (auth === 'none') deps.log.warn('FERRY_AUTH=none: every request is allowed, without a token');
  else if (!bootstrapAdminToken)
    deps.log.info('no FERRY_BOOTSTRAP_ADMIN_TOKEN: only stored API tokens are accepted');
  const address = await app.listen({ host: deps.config.apiHost, port: deps.config.apiPort });
  deps.log.info({ address }, 'api listening');
  return { address, stop: () => app.close() };
}
