import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bus } from '@ferry/bus';
import { registry as defaultRegistry, metricsExposition } from '@ferry/metrics';
import type { Logger } from '@ferry/observability';
import type { Store } from '@ferry/store';

/** The answer of a readiness check: ready, or not with a reason an operator can act on. */
export interface Readiness {
  ready: boolean;
  /** Why the process is not ready; empty when it is. */
  reason?: string;
}

/** Something that serves Prometheus text: prom-client's `Registry` fits. */
export interface MetricsSource {
  /** Content type of the exposition (Prometheus text format). */
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** Options for {@link startOpsServer}. */
export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port (tests); {@link OpsServer.port} tells which. */
  port: number;
  /** Answers `GET /readyz`. */
  ready: () => Promise<Readiness>;
  /** Served at `GET /metrics`; defaults to the process registry of @ferry/metrics. */
  metrics?: MetricsSource;
  log: Logger;
}

/** A listening ops server. */
export interface OpsServer {
  /** The port it listens on. */
  readonly port: number;
  close(): Promise<void>;
}

/** Typed failure to start the ops server, with a stable code. */
export class OpsServerError extends Error {
  /** Stable code: the ops port could not be bound. */
  readonly code = 'FERRY_ERR_OPS_LISTEN';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OpsServerError';
  }
}

const json = (res: ServerResponse, status: number, body: Record<string, unknown>) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
};

/**
 * Starts the small HTTP server every service runs beside its work: `GET /healthz` (the process
 * answers), `GET /readyz` (200 when ready, else 503 with a JSON reason) and `GET /metrics`
 * (Prometheus text). It is plain node:http so that a wedged service framework cannot hide a
 * live process, and so that the five services without HTTP need no framework.
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const metrics = opts.metrics ?? defaultRegistry;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      json(res, 405, { error: `method ${req.method} not allowed; use GET` });
      return;
    }
    switch (path) {
      case '/healthz':
        json(res, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const r = await opts.ready().catch((err: Error) => ({ ready: false, reason: err.message }));
        if (r.ready) json(res, 200, { status: 'ready' });
        else json(res, 503, { status: 'not ready', reason: r.reason ?? 'not ready' });
        return;
      }
      case '/metrics': {
        // The process registry answers OpenMetrics (with exemplars) to a scraper that asks for it.
        const { contentType, body } = opts.metrics
          ? { contentType: metrics.contentType, body: await metrics.metrics() }
          : await metricsExposition(req.headers.accept);
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(body);
        return;
      }
      default:
        json(res, 404, { error: `no route ${path}; try /healthz, /readyz or /metrics` });
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      opts.log.error({ err, url: req.url }, 'ops request failed');
      if (!res.headersSent) json(res, 500, { error: (err as Error).message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new OpsServerError(
          `cannot listen on ${opts.host}:${opts.port} for /healthz, /readyz and /metrics: ${err.message}; set FERRY_OPS_PORT to a free port, or 0 to turn the ops server off`,
          { cause: err },
        ),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Options for {@link depsReadiness}. */
export interface DepsReadinessOptions {
  /** How long Redis may take to answer PING (default 1000 ms). */
  redisTimeoutMs?: number;
  /** True while the service has not finished starting. */
  starting?: () => boolean;
  /** True once a SIGTERM/SIGINT drain began: the pod should leave its Service's endpoints. */
  draining?: () => boolean;
}

/**
 * The readiness check of a service: not starting or draining, the NATS connection open and not
 * draining, and Redis answering PING within the timeout. Each failure names what is wrong.
 */
export function depsReadiness(
  deps: { store: Store; bus: Bus },
  opts: DepsReadinessOptions = {},
): () => Promise<Readiness> {
  const timeoutMs = opts.redisTimeoutMs ?? 1000;
  return async () => {
    if (opts.draining?.()) return { ready: false, reason: 'draining: the service is shutting down' };
    if (opts.starting?.()) return { ready: false, reason: 'starting: consumers are not running yet' };
    const nc = deps.bus.nc;
    if (nc.isClosed()) return { ready: false, reason: 'nats: connection is closed' };
    if (nc.isDraining()) return { ready: false, reason: 'nats: connection is draining' };
    const redis = deps.store.redis;
    // ioredis queues commands while it reconnects, so a PING would only time out; say why at once.
    if (redis.status !== 'ready') return { ready: false, reason: `redis: connection is ${redis.status}` };
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        redis.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`PING did not answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      if (answer !== 'PONG') return { ready: false, reason: `redis: PING answered "${answer}"` };
    } catch (err) {
      return { ready: false, reason: `redis: ${(err as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
    return { ready: true };
  };
}
