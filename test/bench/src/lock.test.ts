import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { takeBenchLock } from './lock.ts';

test('one bench at a time: a live holder is named, a dead one is taken over, release removes the lock', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ferry-bench-lock-')), 'lock');
  const release = takeBenchLock(file);
  assert.equal(readFileSync(file, 'utf8'), String(process.pid));
  assert.throws(() => takeBenchLock(file, process.pid + 1), {
    message: new RegExp(`another pnpm bench is running \\(pid ${process.pid}\\)`),
  });
  release();
  assert.equal(existsSync(file), false);

  // A process that has exited left its lock behind.
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  writeFileSync(file, dead.stdout.trim());
  const again = takeBenchLock(file);
  assert.equal(readFileSync(file, 'utf8'), String(process.pid));
  again();
});
