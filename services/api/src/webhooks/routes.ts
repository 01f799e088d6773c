import { randomUUID } from 'node:crypto';
import { loadConfig } from '@ferry/config';
import { FerryError, type ProjectConfig } from '@ferry/contracts';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.ts';
import { ProjectParams } from '../routes/schemas.ts';
import { PROVIDERS } from './providers/index.ts';
import { NO_MATCH, type WebhookRequest } from './providers/types.ts';
import { type BucketOptions, DEFAULT_BUCKET, TokenBuckets } from './rate-limit.ts';
import {
  matchingWarehouses,
  type ResolvedReceiver,
  receiverDetails,
  resolveReceivers,
  type SecretLookup,
  secretLookup,
} from './receivers.ts';
import { SecretStore } from './secrets.ts';

/** The largest webhook body taken; larger ones get 413 before anything is read into memory. */
export const WEBHOOK_BODY_LIMIT = 2 * 1024 * 1024;

/** Options of the webhook plugin. */
export interface WebhookRoutesOptions {
  deps: ApiDeps;
  /** Where receiver secrets come from; default: stored Secrets, then `FERRY_WEBHOOK_SECRET_<NAME>` (via `loadConfig()`). */
  secrets?: SecretLookup;
  /** Per-receiver rate limit; default {@link DEFAULT_BUCKET}. */
  rateLimit?: BucketOptions;
}

/** The answer to a webhook: the Warehouses asked to refresh, and why none when there are none. */
export interface WebhookAnswer {
  refreshed: string[];
  message?: string;
}

/** Headers that identify one delivery, so a sender's retry publishes no second command. */
const DELIVERY_HEADERS = [
  'x-github-delivery',
  'x-gitlab-event-uuid',
  'x-gitea-delivery',
  'x-request-uuid',
  'x-request-id',
];

/**
 * Webhook receivers: `POST /webhook/<provider>/<hash>` (Kargo's path shape) authenticates the request,
 * reads which image, chart or git repositories it names and publishes `RefreshWarehouse` for every
 * Warehouse of the receiver's Project subscribed to one of them. Also `GET /api/v1/projects/:project/projectconfig`,
 * whose status lists each receiver's path.
 */
export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app, opts) => {
  const { store, bus } = opts.deps;
  // Two allowances per receiver: deliveries that refresh Warehouses, and failed authentications.
  const buckets = new TokenBuckets(opts.rateLimit ?? DEFAULT_BUCKET);
  const failures = new TokenBuckets(opts.rateLimit ?? DEFAULT_BUCKET);
  const config = opts.secrets ? undefined : loadConfig();
  const secrets =
    opts.secrets ??
    secretLookup(new SecretStore(store.redis, config?.encryptionKey), config?.webhookSecrets ?? {});

  // Signatures are over the exact bytes sent, so every body is kept raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );
  app.setErrorHandler((err: FastifyError, _req, _reply) => {
    if (err.statusCode === 413) {
      throw new FerryError(
        'FERRY_ERR_WEBHOOK_TOO_LARGE',
        `the body is larger than ${WEBHOOK_BODY_LIMIT} bytes`,
      );
    }
    throw err;
  });

  const allReceivers = async (): Promise<ResolvedReceiver[]> => {
    const projects = await store.listProjects();
    const configs = await Promise.all(projects.map((p) => store.getProjectConfig(p.metadata.name)));
    return (await Promise.all(configs.map((c) => resolveReceivers(c, secrets)))).flat();
  };

  app.post<{ Params: { provider: string; hash: string } }>(
    '/webhook/:provider/:hash',
    {
      bodyLimit: WEBHOOK_BODY_LIMIT,
      schema: {
        tags: ['webhooks'],
        summary: 'Receive a webhook: refresh the Warehouses subscribed to the repository it names',
        params: {
          type: 'object',
          properties: { provider: { type: 'string' }, hash: { type: 'string' } },
          required: ['provider', 'hash'],
        },
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async (req): Promise<WebhookAnswer> => {
      const path = `/webhook/${req.params.provider}/${req.params.hash}`;
      const receiver = (await allReceivers()).find((r) => r.path === path);
      const provider = receiver && PROVIDERS[receiver.provider];
      if (!receiver?.secret || !provider) {
        throw new FerryError('FERRY_ERR_NOT_FOUND', `no webhook receiver at ${path}`);
      }
      const log = req.log.child({ project: receiver.project, receiver: receiver.name });
      const limited = (): FerryError =>
        new FerryError(
          'FERRY_ERR_WEBHOOK_RATE_LIMITED',
          `webhook receiver "${receiver.name}" of Project "${receiver.project}" is over its rate limit; retry later`,
        );
      // A flood of bad signatures is refused before any signature is computed.
      if (!failures.has(path)) throw limited();
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
      const request: WebhookRequest = {
        headers,
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      };
      if (!provider.authenticate(request, receiver.secret, receiver.config)) {
        failures.take(path);
        log.warn({ provider: provider.name }, 'webhook refused: bad or missing signature');
        throw new FerryError(
          'FERRY_ERR_WEBHOOK_UNAUTHORIZED',
          `the request to ${provider.name} webhook receiver "${receiver.name}" has a missing or wrong ${authWhat(provider.name)}`,
        );
      }
      let payload: unknown;
      try {
        payload = request.body.length > 0 ? JSON.parse(request.body.toString('utf8')) : {};
      } catch (err) {
        throw new FerryError('FERRY_ERR_VALIDATION', 'the webhook body is not JSON', { cause: err });
      }
      const outcome = provider.extract(request, payload, receiver.config);
      if (outcome.kind === 'ignore') {
        log.info({ reason: outcome.reason }, 'webhook refreshes nothing');
        return { refreshed: [], message: outcome.reason };
      }
      const { kind: _, ...targets } = outcome;
      const refreshed = matchingWarehouses(await store.listWarehouses(receiver.project), targets);
      // Only deliveries that make work count: a registry's pull and blob events, pings and other
      // repositories' pushes are answered without using the allowance the refreshes need.
      if (refreshed.length > 0 && !buckets.take(path)) throw limited();
      const delivery = DELIVERY_HEADERS.map((h) => headers[h]).find(Boolean) ?? randomUUID();
      for (const warehouse of refreshed) {
        await bus.publish(
          'RefreshWarehouse',
          // The sender says something changed: the poller looks again shortly if it sees nothing new
          // yet (a registry may notify before the tag is readable).
          { project: receiver.project, warehouse, expectChange: true },
          `webhook:${receiver.project}:${receiver.name}:${warehouse}:${delivery}`,
        );
      }
      // A URL's user part may hold a token (`https://user:token@host/...`); it stays out of the log.
      const git = targets.git?.map((u) => u.replace(/\/\/[^/@]*@/, '//'));
      log.info({ ...targets, ...(git ? { git } : {}), refreshed }, 'webhook received');
      return refreshed.length > 0 ? { refreshed } : { refreshed, message: NO_MATCH };
    },
  );

  app.get<{ Params: { project: string } }>(
    '/api/v1/projects/:project/projectconfig',
    {
      schema: {
        tags: ['projects'],
        summary: "A Project's ProjectConfig, with its webhook receivers' paths in status",
        params: ProjectParams,
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async (req): Promise<ProjectConfig> => {
      const { project } = req.params;
      if (!(await store.getProject(project))) {
        throw new FerryError('FERRY_ERR_PROJECT_NOT_FOUND', `Project "${project}" not found`);
      }
      const config: ProjectConfig = (await store.getProjectConfig(project)) ?? {
        apiVersion: 'kargo.akuity.io/v1alpha1',
        kind: 'ProjectConfig',
        metadata: { name: project, namespace: project },
        spec: { promotionPolicies: [] },
      };
      return {
        ...config,
        status: { webhookReceivers: receiverDetails(await resolveReceivers(config, secrets)) },
      };
    },
  );
};

/** What a provider's authentication looks at, for the 401 message. */
function authWhat(provider: string): string {
  const what: Record<string, string> = {
    github: 'X-Hub-Signature-256 header',
    gitlab: 'X-Gitlab-Token header',
    harbor: 'Authorization header',
    distribution: 'Authorization: Bearer token',
    generic: 'signature header',
    gitea: 'X-Gitea-Signature header',
    bitbucket: 'X-Hub-Signature header',
    artifactory: 'X-Jfrog-Event-Auth header',
  };
  return what[provider] ?? 'secret';
}
