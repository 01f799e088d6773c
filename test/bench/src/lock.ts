/**
 * One `pnpm bench` at a time per machine: the benchmarks flush the Redis databases they use (3, 4
 * and 15) before and after, so a second run started beside the first would wipe its Warehouses and
 * schedule mid-measurement, and both would print figures that mean nothing.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The lock file: the holder's process id. */
export const BENCH_LOCK = join(tmpdir(), 'ferry-bench.lock');

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the lock for this process, or throws naming the process that holds it. A lock left by a
 * process that no longer runs is taken over. Returns the function that releases it.
 */
export function takeBenchLock(file = BENCH_LOCK, pid = process.pid): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(pid)) rmSync(file);
        } catch {}
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(file, 'utf8').trim());
      } catch {}
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new Error(
          `another pnpm bench is running (pid ${holder}); benchmarks flush Redis databases 3, 4 and 15, so wait for it to finish (lock: ${file})`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the benchmark lock ${file}; remove it if no pnpm bench is running`);
}
