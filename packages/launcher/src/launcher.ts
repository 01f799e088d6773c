import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
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

/** The first ops port the launcher hands out when `FERRY_OPS_PORT_BASE` is unset. */
export const DEFAULT_OPS_PORT_BASE = 9091;

/**
 * The ops port (`/healthz`, `/readyz`, `/metrics`) of one service process started by the
 * launcher: `FERRY_OPS_PORT_BASE` (default 9091) plus the service's place in {@link SERVICES},
 * so freight-store gets 9091, promoter 9092, … api 9096; replica n of a service adds
 * n × 6 so that replicas on one machine do not collide. `FERRY_OPS_PORT=0` in the caller's
 * environment turns the ops servers off (0 for every service).
 */
export function opsPortFor(service: ServiceName, env: NodeJS.ProcessEnv, replica = 0): number {
  if (env.FERRY_OPS_PORT === '0') return 0;
  const raw = env.FERRY_OPS_PORT_BASE;
  const base = raw === undefined || raw === '' ? DEFAULT_OPS_PORT_BASE : Number(raw);
  const last = base + SERVICES.length * (replica + 1) - 1;
  if (!Number.isInteger(base) || base < 1 || last > 65535) {
    throw new Error(
      `FERRY_OPS_PORT_BASE must be an integer port from 1 to ${65536 - SERVICES.length} leaving room for ${SERVICES.length} services, got "${raw}"; or set FERRY_OPS_PORT=0 to turn the ops servers off`,
    );
  }
  return base + SERVICES.indexOf(service) + SERVICES.length * replica;
}

/**
 * The environment one service process gets: the caller's, with its own `FERRY_OPS_PORT`, and for
 * api replicas after the first their own `FERRY_API_PORT`.
 */
export function serviceEnv(service: ServiceName, env: NodeJS.ProcessEnv, replica = 0): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, FERRY_OPS_PORT: String(opsPortFor(service, env, replica)) };
  if (service === 'api' && replica > 0) out.FERRY_API_PORT = String(apiPortFor(env, replica));
  return out;
}

/** The api's port when `FERRY_API_PORT` is unset, as `@ferry/config` defaults it. */
export const DEFAULT_API_PORT = 8080;

/**
 * The HTTP port of api replica n: `FERRY_API_PORT` (default 8080) plus n, so `pnpm start` can run
 * several api processes on one machine (8080, 8081, …; put a load balancer in front, or point the
 * CLI at any). `FERRY_API_PORT=0` (any free port) stays 0 for every replica.
 */
export function apiPortFor(env: NodeJS.ProcessEnv, replica = 0): number {
  const raw = env.FERRY_API_PORT;
  const base = raw === undefined || raw === '' ? DEFAULT_API_PORT : Number(raw);
  if (!Number.isInteger(base) || base < 0 || base > 65535)
    throw new Error(`FERRY_API_PORT must be an integer port from 0 to 65535, got "${raw}"`);
  if (base === 0) return 0;
  const port = base + replica;
  if (port > 65535)
    throw new Error(
      `api replica ${replica} would listen on port ${port}, past 65535; lower FERRY_API_PORT or run fewer api replicas`,
    );
  return port;
}

/**
 * Reads `FERRY_REPLICAS` for `pnpm start`: a whole number for every service but the api
 * (`3`), or `service=count` pairs, comma separated (`api=2,promoter=3`); unset means one each.
 * Each api replica gets its own HTTP port ({@link apiPortFor}).
 */
export function replicasFromEnv(env: NodeJS.ProcessEnv): FleetOptions['replicas'] {
  const raw = (env.FERRY_REPLICAS ?? '').trim();
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) return Number(raw);
  const out: Partial<Record<ServiceName, number>> = {};
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([a-z-]+)=(\d+)$/.exec(part);
    const service = m?.[1] as ServiceName | undefined;
    if (!m || !service || !SERVICES.includes(service))
      throw new Error(
        `FERRY_REPLICAS entry "${part}" is not service=count with a service of ${SERVICES.join(', ')}, like "api=2,promoter=3"`,
      );
    out[service] = Number(m[2]);
  }
  return out;
}

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
  /**
   * How many processes of each service to start (default 1). A number applies to every service
   * but the api, which stays single unless a map asks for more (`{ api: 2 }`): api replica n then
   * listens on `FERRY_API_PORT` + n ({@link apiPortFor}). Replica n is keyed `service#n` in
   * {@link Fleet.processes} and gets the ops port of {@link opsPortFor}.
   */
  replicas?: number | Partial<Record<ServiceName, number>>;
  /** Run the bundles of `pnpm build` (`dist/services`) instead of the TypeScript sources. */
  bundled?: boolean;
}

/**
 * Where Node keeps its compile cache for the services when the caller's environment names none
 * (`NODE_COMPILE_CACHE`): the TypeScript sources with their types stripped, and V8's code cache for
 * them. A process whose modules are all cached never loads Node's type stripper (a WebAssembly
 * module of about 18 MB resident), and starts faster. Stale entries are ignored (each is checked
 * against the source's hash), so the directory can outlive any edit.
 */
export const COMPILE_CACHE_DIR = join(ROOT, '.ferry', 'compile-cache');

/** How one service process is started besides its environment of configuration. */
export interface ServiceRuntime {
  /** Node flags, before the script. */
  nodeArgs: readonly string[];
  /** Environment defaults; a variable the caller sets wins. */
  env: Readonly<Record<string, string>>;
}

/** How a service is run: from its TypeScript sources, or from its bundle (`pnpm build`). */
export type ServiceBuild = 'source' | 'bundle';

/** Where `pnpm build` writes the bundles (build.ts): `dist/services` under the repository root. */
export const BUNDLE_DIR = join(ROOT, 'dist', 'services');

/** The command that writes the bundles, for messages that tell people what to run. */
export const BUILD_COMMAND = 'pnpm build';

/**
 * The script that runs `service`: `services/<service>/src/main.ts`, or its bundle
 * `dist/services/<service>.mjs` (see build.ts).
 */
export function serviceScript(service: ServiceName, build: ServiceBuild = 'source'): string {
  return build === 'bundle'
    ? join(BUNDLE_DIR, `${service}.mjs`)
    : join(ROOT, 'services', service, 'src', 'main.ts');
}

/**
 * The Node flags and environment defaults each service runs with, the same wherever it is started:
 * {@link startFleet}, the benchmarks, and (repeated there) deploy/Dockerfile and the Deployments in
 * deploy/kubernetes. warehouse-poller keeps many Warehouses' discoveries in flight for little work
 * each, so its memory is mostly allocator and heap headroom rather than live data (issue 3, see
 * docs/benchmarks.md):
 * - `--max-semi-space-size=2` keeps V8's young generation at 2 MB per semi-space instead of letting
 *   it grow to 16 (scavenges are more frequent but each is short);
 * - `--heap-growing-percent=10` lets the old generation grow to 1.1 × what the last full collection
 *   kept before the next one, where V8 would pick up to 4 × for a process that collects quickly: with
 *   about 25 MB live that is a heap of about 30 MB instead of up to 100;
 * - `--liftoff-only` compiles WebAssembly with V8's baseline compiler only: the one WebAssembly
 *   module the poller runs is the HTTP parser inside Node's `fetch`, and optimising it took about
 *   20 MB of compiler memory at the first request, never given back to the system;
 * - `--no-opt --no-maglev` leave V8's optimising compilers out: the poller's work is waiting on
 *   registries and Redis, and bytecode plus the Sparkplug baseline run it for about a quarter more
 *   CPU (0.11 → 0.14 of a core at 1,000 Warehouses), while the compilers' own code and memory (pages
 *   of the node executable, compiler zones, optimised code) came to about 20 MB of resident memory;
 * - `MALLOC_ARENA_MAX=2` stops glibc from giving each of V8's and libuv's threads its own arena.
 * The old space is not capped: live heap at 1,000 Warehouses is about 30 MB and grows with them.
 * A bundled service also gets `--disable-warning=DEP0169`: ioredis parses the Redis URL with
 * `url.parse()`, which Node only warns about when the caller is not under node_modules, as nothing
 * in a bundle is.
 */
export function serviceRuntime(service: ServiceName, build: ServiceBuild = 'source'): ServiceRuntime {
  const env: Record<string, string> = { NODE_COMPILE_CACHE: COMPILE_CACHE_DIR };
  const bundled = build === 'bundle' ? ['--disable-warning=DEP0169'] : [];
  if (service !== 'warehouse-poller') return { nodeArgs: bundled, env };
  return {
    nodeArgs: [...POLLER_NODE_ARGS, ...bundled],
    env: { ...env, MALLOC_ARENA_MAX: '2' },
  };
}

/** warehouse-poller's Node flags (see {@link serviceRuntime}). */
export const POLLER_NODE_ARGS: readonly string[] = [
  '--max-semi-space-size=2',
  '--heap-growing-percent=10',
  '--liftoff-only',
  '--no-opt',
  '--no-maglev',
];

/**
 * Fills Node's compile cache in `dir` for the modules each service loads at start, so that its next
 * start strips no TypeScript (see {@link COMPILE_CACHE_DIR}). Each service's `main.ts` is run with a
 * deliberately bad `FERRY_LOG_LEVEL`: every module it imports is loaded before the configuration is
 * read, and start-up then stops with exit code 2 before connecting to anything (Node writes the cache
 * as the process exits). Runs as the user that will run the services: the cache is kept per user id.
 * Throws naming the service when it stops any other way.
 */
export function warmCompileCache(
  services: readonly ServiceName[],
  dir = COMPILE_CACHE_DIR,
  build: ServiceBuild = 'source',
): void {
  for (const service of services) {
    // With the service's own flags: Node keeps a cache per set of V8 flags, and uses only the one that fits.
    const r = spawnSync(
      process.execPath,
      [...serviceRuntime(service, build).nodeArgs, serviceScript(service, build)],
      {
        env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: dir, FERRY_LOG_LEVEL: 'warm-compile-cache' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    if (r.status !== 2 || !r.stderr.includes('FERRY_LOG_LEVEL')) {
      throw new Error(
        `warming the compile cache: ${service} did not stop at its configuration check (exit ${r.status ?? r.signal}): ${r.stderr.trim().slice(0, 500)}`,
      );
    }
  }
}

/**
 * `FERRY_BUNDLED`: `1` or `true` runs the services from their bundles (`pnpm build`), `0`, `false`
 * or unset from source. Throws naming the variable for anything else.
 */
export function bundledFromEnv(env: NodeJS.ProcessEnv): boolean {
  const raw = (env.FERRY_BUNDLED ?? '').trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new Error(`FERRY_BUNDLED must be 1, true, 0 or false, got "${env.FERRY_BUNDLED}"`);
}

/** The number of processes {@link startFleet} starts for `service` under `replicas`. */
export function replicaCount(service: ServiceName, replicas: FleetOptions['replicas']): number {
  const n = typeof replicas === 'number' ? (service === 'api' ? 1 : replicas) : (replicas?.[service] ?? 1);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`replicas of ${service} must be a whole number of at least 1, got ${n}`);
  return n;
}

/**
 * Starts each service as its own process (`node services/<name>/src/main.ts`, or its bundle with
 * `bundled`), each with its own
 * ops port (see {@link opsPortFor}). Throws before starting anything when `FERRY_OPS_PORT_BASE` is bad.
 */
export function startFleet(options: FleetOptions): Fleet {
  const processes = new Map<string, ChildProcess>();
  const build: ServiceBuild = options.bundled ? 'bundle' : 'source';
  if (options.bundled) {
    const missing = (options.services ?? SERVICES).filter((s) => !existsSync(serviceScript(s, 'bundle')));
    if (missing.length) {
      throw new Error(
        `no bundle for ${missing.join(', ')} in ${BUNDLE_DIR}; run \`${BUILD_COMMAND}\` first, or run the services from source (unset FERRY_BUNDLED)`,
      );
    }
  }
  const start = (service: ServiceName, replica = 0) => {
    const key = replica ? `${service}#${replica}` : service;
    const runtime = serviceRuntime(service, build);
    const child = spawn(process.execPath, [...runtime.nodeArgs, serviceScript(service, build)], {
      env: { ...runtime.env, ...serviceEnv(service, options.env, replica) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    processes.set(key, child);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => options.onLine?.(key, line));
    }
  };
  const services = options.services ?? SERVICES;
  const counts = new Map(services.map((s) => [s, replicaCount(s, options.replicas)]));
  for (const s of services) opsPortFor(s, options.env, counts.get(s)! - 1);
  if (counts.has('api')) apiPortFor(options.env, counts.get('api')! - 1);
  for (const s of services) for (let r = 0; r < counts.get(s)!; r++) start(s, r);
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
