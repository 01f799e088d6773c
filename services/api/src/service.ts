import type { RunningService, ServiceDeps } from '@ferry/runtime';
import { buildApp } from './app.ts';

/** Starts the api on the configured host and port; `address` is where it listens. */
export async function startApi(deps: ServiceDeps): Promise<RunningService & { address: string }> {
  const { auth, bootstrapAdminToken, oidc } = deps.config;
  const app = await buildApp({
    store: deps.store,
    bus: deps.bus,
    log: deps.log,
    auth:
      auth.length === 0
        ? { mode: 'none' }
        : !auth.includes('token') && oidc
          ? { mode: 'oidc', oidc }
          : {
              mode: 'token',
              ...(bootstrapAdminToken ? { bootstrapAdminToken } : {}),
              ...(oidc ? { oidc } : {}),
            },
  });
  if (auth.length === 0) deps.log.warn('FERRY_AUTH=none: every request is allowed, without a token');
  else if (auth.includes('token') && !bootstrapAdminToken)
    deps.log.info('no FERRY_BOOTSTRAP_ADMIN_TOKEN: only stored API tokens are accepted');
  if (oidc) deps.log.info({ issuer: oidc.issuerUrl, clientId: oidc.clientId }, 'oidc id tokens accepted');
  const address = await app.listen({ host: deps.config.apiHost, port: deps.config.apiPort });
  deps.log.info({ address }, 'api listening');
  return { address, stop: () => app.close() };
}
