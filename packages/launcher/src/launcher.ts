import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/launcher/src/launcher.ts). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The six services, in start order. */
export const SERVICES = [
  'freight-store',
  'promoter',
  'git-writer',
  'argocd-syncer',
  'warehouse-poller',
  'api',
] as const;
/** A service name. */
export type ServiceName = (typeof SERVICES)[number];

/** True when something accepts TCP connections at host:port within `timeoutMs`. */
export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const s = connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      done(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.end();
      done(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      done(false);
    });
  });
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

async function waitPort(host: string, port: number, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await portOpen(host, port, 200)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${what} did not start listening on ${host}:${port} within ${ms / 1000}s; see its log under .ferry/`,
  );
}

/**
 * Makes sure NATS (JetStream) and Redis answer at their URLs. When nothing answers at the
 * default local address, starts them with their data under `.ferry/` if they are installed;
 * otherwise fails with one line saying how to get them.
 */
export async function ensureServers(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const nats = new URL((env.FERRY_NATS_URL ?? 'nats://127.0.0.1:4222').split(',')[0]!);
  const redis = new URL(env.FERRY_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const local = (u: URL) => ['127.0.0.1', 'localhost', '::1'].includes(u.hostname);
  const data = join(ROOT, '.ferry', 'servers');
  if (!(await portOpen(redis.hostname, Number(redis.port || 6379)))) {
    if (!local(redis))
      throw new Error(
        `nothing answers at ${redis.host} (FERRY_REDIS_URL); start Redis there or point FERRY_REDIS_URL elsewhere`,
      );
    if (!has('redis-server'))
      throw new Error(
        'Redis is not running and redis-server is not installed: apt-get install redis-server (or set FERRY_REDIS_URL)',
      );
    mkdirSync(join(data, 'redis'), { recursive: true });
    log(`starting redis-server on ${redis.host} (append-only, data in .ferry/servers/redis)`);
    spawnSync(
      'redis-server',
      [
        '--daemonize',
        'yes',
        '--bind',
        redis.hostname,
        '--port',
        redis.port || '6379',
        '--dir',
        join(data, 'redis'),
        '--appendonly',
        'yes',
        '--logfile',
        join(data, 'redis', 'redis.log'),
      ],
      { stdio: 'inherit' },
    );
    await waitPort(redis.hostname, Number(redis.port || 6379), 'redis-server');
  }
  if (!(await portOpen(nats.hostname, Number(nats.port || 4222)))) {
    if (!local(nats))
      throw new Error(
        `nothing answers at ${nats.host} (FERRY_NATS_URL); start NATS there or point FERRY_NATS_URL elsewhere`,
      );
    if (!has('nats-server'))
      throw new Error(
        'NATS is not running and nats-server is not installed: apt-get install nats-server (or set FERRY_NATS_URL)',
      );
    mkdirSync(join(data, 'nats'), { recursive: true });
    log(`starting nats-server with JetStream on ${nats.host} (data in .ferry/servers/nats)`);
    const child = spawn(
      'nats-server',
      [
        '-a',
        nats.hostname,
        '-p',
        nats.port || '4222',
        '-js',
        '-sd',
        join(data, 'nats'),
        '-l',
        join(data, 'nats', 'nats.log'),
      ],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    child.unref();
    await waitPort(nats.hostname, Number(nats.port || 4222), 'nats-server');
  }
}

/** A running set of Ferry service processes. */
export interface Fleet {
  processes: Map<string, ChildProcess>;
  /** Kills one service (for crash tests) with the given signal. */
  kill(service: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a service (again). */
  start(service: ServiceName, replica?: number): void;
  /** SIGTERM to all, wait for them to drain. */
  stop(): Promise<void>;
}

/** Options for {@link startFleet}. */
export interface FleetOptions {
  env: NodeJS.ProcessEnv;
  services?: readonly ServiceName[];
  /** Receives each output line, prefixed by the service name. */
  onLine?: (service: string, line: string) => void;
}

/** Starts each service as its own process (`node services/<name>/src/main.ts`). */
export function startFleet(options: FleetOptions): Fleet {
  const processes = new Map<string, ChildProcess>();
  const start = (service: ServiceName, replica = 0) => {
    const key = replica ? `${service}#${replica}` : service;
    const child = spawn(process.execPath, [join(ROOT, 'services', service, 'src', 'main.ts')], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    processes.set(key, child);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => options.onLine?.(key, line));
    }
  };
  for (const s of options.services ?? SERVICES) start(s);
  const kill = async (service: string, signal: NodeJS.Signals = 'SIGTERM') => {
    const child = processes.get(service);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), 35_000);
    await exited;
    clearTimeout(t);
  };
  return {
    processes,
    kill,
    start,
    stop: async () => {
      await Promise.all([...processes.keys()].map((k) => kill(k)));
    },
  };
}
