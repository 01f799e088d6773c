import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1. The port is released before it is returned, so a
 * process started afterwards can bind it; the small race is acceptable for tests on one machine.
 */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: the probe socket has no TCP address'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** True when `port` on 127.0.0.1 can be listened on now. */
async function canListen(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive free ports on 127.0.0.1 (for the launcher's `FERRY_OPS_PORT_BASE`,
 * which hands out base, base + 1, ...). Picked below the kernel's ephemeral range (32768 and up on
 * Linux), where outgoing connections and `freePort()` take their ports, so nothing else grabs one
 * between this check and the services listening; each port is also checked free now.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (32000 - 20000 - count));
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await canListen(p);
    if (free) return base;
  }
  throw new Error(`freePortRange: found no ${count} consecutive free ports between 20000 and 32000`);
}

/** Creates a fresh directory under the OS temp dir whose name starts with `ferry-<prefix>-`. */
export async function tempDir(prefix: string): Promise<string> {
  return await mkdtemp(join(tmpdir(), `ferry-${prefix}-`));
}

/** What a finished child process printed. */
export interface RunResult {
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
}

/**
 * Runs a program without a shell and resolves with its output; rejects with an error naming the command,
 * its exit code and its stderr, because a bare "Command failed" hides why a fixture did not start.
 */
export async function run(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<RunResult> {
  return await new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { cwd: opts.cwd, env: opts.env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new Error(`${file} ${args.join(' ')} failed (exit ${String(err.code)}): ${stderr.trim()}`, {
              cause: err,
            }),
          );
          return;
        }
        resolve({ stdout, stderr });
      },
    );
    // An open stdin makes some tools wait for input, so it is always closed; a child that exits
    // without reading it must not turn that into an EPIPE crash.
    child.stdin?.on('error', () => {});
    if (opts.input === undefined) child.stdin?.end();
    else child.stdin?.end(opts.input);
  });
}

/** Polls `probe` every 20 ms until it returns true or `timeoutMs` passes; the last error is the cause. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}
