import { Bus } from '@ferry/bus';
import { type FerryConfig, loadConfig } from '@ferry/config';
import { startDefaultMetrics } from '@ferry/metrics';
import { createLogger, initTelemetry, type Logger } from '@ferry/observability';
import { Store } from '@ferry/store';
import { depsReadiness, type OpsServer, startOpsServer } from './ops.ts';

/** What every service's `start` function receives: its ports, already connected. */
export interface ServiceDeps {
  config: Readonly<FerryConfig>;
  log: Logger;
  store: Store;
  bus: Bus;
}

/** A started service: `stop()` stops taking work and finishes what is in hand. */
export interface RunningService {
  stop(): Promise<void>;
}

/** A service's start function. */
export type StartService = (deps: ServiceDeps) => Promise<RunningService>;

/** Connects the ports a service needs. */
export async function connectDeps(
  service: string,
  config: Readonly<FerryConfig>,
  log: Logger,
): Promise<ServiceDeps> {
  const store = Store.connect(config.redisUrl, `ferry-${service}`);
  await store.redis.ping();
  const bus = await Bus.connect({
    servers: config.natsUrl,
    name: `ferry-${service}`,
    log,
    maxDeliver: config.maxDeliver,
  });
  return { config, log, store, bus };
}

/**
 * Runs one service as its own process: reads config (failing with every bad setting listed),
 * sets up logs, traces and metrics, connects, serves `/healthz`, `/readyz` and `/metrics` on
 * `FERRY_OPS_PORT` (unless 0), starts, and drains on SIGTERM/SIGINT (readiness turns 503 first).
 */
export async function runService(service: string, start: StartService): Promise<void> {
  let config: Readonly<FerryConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${service}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger(service, config.logLevel);
  const telemetry = initTelemetry({ serviceName: `ferry-${service}`, otlp: config.otlp });
  let deps: ServiceDeps;
  try {
    deps = await connectDeps(service, config, log);
  } catch (err) {
    log.fatal({ err }, 'cannot connect to NATS or Redis; check FERRY_NATS_URL and FERRY_REDIS_URL');
    process.exit(1);
  }
  startDefaultMetrics();
  let started = false;
  let stopping = false;
  let ops: OpsServer | undefined;
  if (config.opsPort !== 0) {
    try {
      ops = await startOpsServer({
        host: config.opsHost,
        port: config.opsPort,
        ready: depsReadiness(deps, { starting: () => !started, draining: () => stopping }),
        log,
      });
      log.info({ host: config.opsHost, port: ops.port }, 'ops server listening');
    } catch (err) {
      log.fatal({ err }, (err as Error).message);
      process.exit(1);
    }
  }
  const running = await start(deps);
  started = true;
  log.info('started');
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    const timer = setTimeout(() => {
      log.error('drain took longer than 30s; exiting');
      process.exit(1);
    }, 30_000);
    timer.unref();
    await running.stop().catch((err) => log.error({ err }, 'stop failed'));
    await deps.bus.close();
    await deps.store.close();
    await telemetry.shutdown().catch(() => {});
    await ops?.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Runs `fn` every `ms` (not overlapping itself) until the returned stop function is called. */
export function every(ms: number, fn: () => Promise<void>, log: Logger): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    current = fn()
      .catch((err) => log.error({ err }, 'periodic task failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, ms);
      });
  };
  timer = setTimeout(tick, 0);
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
