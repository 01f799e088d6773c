import swagger from '@fastify/swagger';
import type { Bus } from '@ferry/bus';
import type { Logger } from '@ferry/observability';
import type { Store } from '@ferry/store';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { type AuthOptions, installAuth, liftQueryToken } from './auth/index.ts';
import { installErrorHandler } from './errors.ts';
import { ChangeFeed } from './feed.ts';
import { deleteRoutes } from './routes/delete.ts';
import { freightCreateRoutes } from './routes/freight-create.ts';
import { freightOperationRoutes } from './routes/freight-operations.ts';
import { gateRoutes } from './routes/gates.ts';
import { operationRoutes } from './routes/operations.ts';
import { promotionDryRunRoutes } from './routes/promotion-dry-run.ts';
import { resourceRoutes } from './routes/resources.ts';
import { subscriptionTestRoutes } from './routes/subscription-test.ts';
import { uiRoutes } from './routes/ui.ts';
import { webhookRoutes } from './webhooks/index.ts';

/** The api's ports. */
export interface ApiDeps {
  store: Store;
  bus: Bus;
  log: Logger;
  clock?: () => Date;
  /**
   * Authentication: `{ mode: 'token' }` in the service (FERRY_AUTH, default token); absent means
   * `none`, so tests that are not about access drive the routes without tokens.
   */
  auth?: AuthOptions;
}

/** Builds the fastify app (without listening), so tests drive it with `app.inject()`. */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  // Ferry's pino and fastify's may be different builds; the logger interface is the same.
  const app = Fastify({
    loggerInstance: deps.log as unknown as FastifyBaseLogger,
    bodyLimit: 8 * 1024 * 1024,
    rewriteUrl: liftQueryToken,
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Ferry API',
        version: 'v1',
        description: 'Continuous promotion for GitOps, Kargo-compatible.',
      },
    },
  });
  installErrorHandler(app);
  await installAuth(app, deps, deps.auth ?? { mode: 'none' });
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await deps.store.redis.ping();
      if (deps.bus.nc.isClosed()) throw new Error('nats connection closed');
      return { status: 'ready' };
    } catch (err) {
      return reply.status(503).send({ status: 'not ready', reason: (err as Error).message });
    }
  });
  const feed = new ChangeFeed(deps.bus.nc);
  app.addHook('onClose', async () => feed.close());
  await app.register(resourceRoutes, { prefix: '/api/v1', deps: { ...deps, feed } });
  await app.register(operationRoutes, { prefix: '/api/v1', deps });
  await app.register(webhookRoutes, { deps });
  await app.register(freightOperationRoutes, { prefix: '/api/v1', deps });
  await app.register(gateRoutes, { prefix: '/api/v1', deps });
  await app.register(freightCreateRoutes, { prefix: '/api/v1', deps });
  await app.register(subscriptionTestRoutes, { prefix: '/api/v1', deps });
  await app.register(promotionDryRunRoutes, { prefix: '/api/v1', deps });
  await app.register(deleteRoutes, { prefix: '/api/v1', deps });
  await app.register(uiRoutes);
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
