/**
 * Ferry services as child processes for the benchmarks, measured from outside: CPU time and memory
 * are read from `/proc/<pid>` (Linux), which is what `top` and a container runtime see.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ServiceBuild,
  type ServiceName,
  serviceRuntime,
  serviceScript,
  warmCompileCache,
} from '@ferry/launcher';

/** One reading of a process's counters. */
export interface ProcSample {
  /** When it was read (`performance.now()` of the bench process, ms). */
  at: number;
  /** User plus system CPU time since the process started, in ms. */
  cpuMs: number;
  /** Resident set size now (`VmRSS`), in bytes. */
  rssBytes: number;
  /** Peak resident set size since start (`VmHWM`), in bytes. */
  hwmBytes: number;
}

let clockTicks: number | undefined;

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 on Linux in practice). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(out.stdout?.trim());
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

/** Reads CPU time and memory of process `pid` from `/proc`; throws when it has exited. */
export async function readProc(pid: number): Promise<ProcSample> {
  const [stat, status] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8'),
    readFile(`/proc/${pid}/status`, 'utf8'),
  ]);
  // The command name (field 2) may contain spaces, so count fields from the closing parenthesis:
  // after it come state (3) … utime (14) and stime (15).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return {
    at: performance.now(),
    cpuMs: (ticks * 1000) / ticksPerSecond(),
    rssBytes: kb('VmRSS'),
    hwmBytes: kb('VmHWM'),
  };
}

/** A Ferry service started by {@link spawnService}. */
export interface ServiceProcess {
  /** Its process id. */
  pid: number;
  /** The child process. */
  child: ChildProcess;
  /** Where its stdout and stderr go. */
  logFile: string;
  /** The last `lines` lines of its log, to print when a run fails. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after 35 s (the service drains for at most 30 s); resolves when it exited. */
  stop(): Promise<void>;
}

/**
 * Starts `node services/<service>/src/main.ts` (or, with `build: 'bundle'`, its bundle from
 * `pnpm build`, which the caller has run) with `env` as its whole environment, its output written
 * straight to `<dir>/<service>.log` (a file, not a pipe, so the bench process does no work per log
 * line and the service pays what it would pay in production). The launcher's `serviceRuntime` flags
 * and environment defaults apply (`env` and `nodeArgs` win), its compile cache warmed first;
 * `nodeArgs` go before the script, e.g. `--cpu-prof`.
 */
export function spawnService(
  service: string,
  env: NodeJS.ProcessEnv,
  dir: string,
  nodeArgs: readonly string[] = [],
  build: ServiceBuild = 'source',
): ServiceProcess {
  const logFile = join(dir, `${service}.log`);
  const fd = openSync(logFile, 'a');
  // The launcher's flags and environment defaults, so a benchmark measures the service as it runs,
  // and its compile cache warm, as in the container image, so no TypeScript is stripped at start.
  const runtime = serviceRuntime(service as ServiceName, build);
  warmCompileCache([service as ServiceName], env.NODE_COMPILE_CACHE ?? runtime.env.NODE_COMPILE_CACHE, build);
  const script = serviceScript(service as ServiceName, build);
  const child = spawn(process.execPath, [...runtime.nodeArgs, ...nodeArgs, script], {
    env: { ...runtime.env, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${service}: no process id`);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    pid: child.pid,
    child,
    logFile,
    logTail: (lines = 30) => {
      try {
        return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 35_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Polls `url` until it answers 200, or fails naming `what` and pointing at `logFile`. */
export async function waitReady(
  url: string,
  what: string,
  logFile: string,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await fetch(url)
      .then(async (r) => {
        await r.body?.cancel();
        return r.status === 200;
      })
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer 200 at ${url} within ${timeoutMs / 1000}s; see ${logFile}`);
}
