import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@ferry/cli';
import { type Fleet, portOpen, startFleet } from '@ferry/launcher';
import { freePort, freePortRange } from '@ferry/support';
import { Redis } from 'ioredis';

/** Output of one in-process CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running Ferry (six processes) for a test, with its own NATS, a Redis database and an API port. */
export interface FerryUnderTest {
  server: string;
  /** A system admin API token (subject `api`); the CLI runs send it as FERRY_TOKEN. */
  token: string;
  /** Ops ports: the launcher gives service i of SERVICES the port opsBase + i. */
  opsBase: number;
  env: NodeJS.ProcessEnv;
  fleet: Fleet;
  logFile: string;
  redis: Redis;
  ferry(...args: string[]): Promise<CliResult>;
  stop(): Promise<void>;
}

/** Starts Ferry's services as processes against the given NATS and a Redis database of the test's own. */
export async function startFerry(opts: {
  natsUrl: string;
  kubeconfig: string;
  redisDb: number;
  /** Extra environment for the services (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: NodeJS.ProcessEnv;
}): Promise<FerryUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-e2e-'));
  const port = await freePort();
  const redisUrl = `redis://127.0.0.1:6379/${opts.redisDb}`;
  // Six services, one ops port each; a random base in the ephemeral range once collided with a socket.
  const opsBase = await freePortRange(6);
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  // Auth is on (token mode, the default), as in production; each run has an admin token of its own.
  const bootstrap = `ferry_${randomBytes(32).toString('base64url')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FERRY_AUTH: 'token',
    FERRY_BOOTSTRAP_ADMIN_TOKEN: bootstrap,
    FERRY_NATS_URL: opts.natsUrl,
    FERRY_REDIS_URL: redisUrl,
    FERRY_API_PORT: String(port),
    FERRY_GIT_CACHE_DIR: join(dir, 'git-cache'),
    FERRY_RECONCILE_INTERVAL_MS: '2000',
    FERRY_LOG_LEVEL: process.env.FERRY_LOG_LEVEL ?? 'info',
    KUBECONFIG: opts.kubeconfig,
    // Ops ports of its own, so tests run beside a running Ferry (which uses 9091-9096).
    FERRY_OPS_PORT_BASE: String(opsBase),
    ...opts.env,
  };
  const logFile = join(dir, 'ferry.log');
  const log = createWriteStream(logFile);
  const fleet = startFleet({ env, onLine: (s, line) => log.write(`[${s}] ${line}\n`) });
  const server = `http://127.0.0.1:${port}`;
  const until = Date.now() + 30_000;
  while (!(await portOpen('127.0.0.1', port, 200))) {
    if (Date.now() > until) throw new Error(`the api did not listen within 30s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The CLI runs as a system admin token with the subject "api" (what the tests expect in `by`).
  const created = await fetch(`${server}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bootstrap}` },
    body: JSON.stringify({ name: 'e2e', subject: 'api', roles: [{ role: 'admin' }] }),
  });
  if (created.status !== 201)
    throw new Error(`creating the e2e token answered ${created.status}: ${await created.text()}`);
  const token = ((await created.json()) as { token: string }).token;
  const ferry = async (...args: string[]): Promise<CliResult> => {
    let stdout = '';
    let stderr = '';
    const code = await run(['--server', server, ...args], {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env: { FERRY_TOKEN: token },
    });
    return { code, stdout, stderr };
  };
  return {
    server,
    token,
    opsBase,
    env,
    fleet,
    logFile,
    redis,
    ferry,
    stop: async () => {
      await fleet.stop();
      await redis.quit();
      log.end();
    },
  };
}

/** Polls `probe` until it returns a value (not undefined), or fails naming what was awaited. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
  );
}
