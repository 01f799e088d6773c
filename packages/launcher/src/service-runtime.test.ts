import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  COMPILE_CACHE_DIR,
  POLLER_NODE_ARGS,
  ROOT,
  SERVICES,
  type ServiceName,
  serviceRuntime,
  serviceScript,
  warmCompileCache,
} from './launcher.ts';

test('every service gets the compile cache; only warehouse-poller gets the memory settings', () => {
  assert.equal(COMPILE_CACHE_DIR, join(ROOT, '.ferry', 'compile-cache'));
  for (const s of SERVICES) {
    const r = serviceRuntime(s);
    assert.equal(r.env.NODE_COMPILE_CACHE, COMPILE_CACHE_DIR, s);
    if (s === 'warehouse-poller') {
      assert.deepEqual(r.nodeArgs, [
        '--max-semi-space-size=2',
        '--heap-growing-percent=10',
        '--liftoff-only',
        '--no-opt',
        '--no-maglev',
      ]);
      assert.deepEqual(r.nodeArgs, POLLER_NODE_ARGS);
      assert.equal(r.env.MALLOC_ARENA_MAX, '2');
    } else {
      assert.deepEqual(r.nodeArgs, [], s);
      assert.equal(r.env.MALLOC_ARENA_MAX, undefined, s);
    }
    // A bundle runs with the same settings, and without the url.parse() warning of ioredis.
    const b = serviceRuntime(s, 'bundle');
    assert.deepEqual(b.nodeArgs, [...r.nodeArgs, '--disable-warning=DEP0169'], s);
    assert.deepEqual(b.env, r.env, s);
    assert.equal(serviceScript(s), join(ROOT, 'services', s, 'src', 'main.ts'));
    assert.equal(serviceScript(s, 'bundle'), join(ROOT, 'dist', 'services', `${s}.mjs`));
  }
});

test("--liftoff-only keeps the first fetch's WebAssembly compile from costing tens of MB", () => {
  // Node's fetch parses HTTP with a WebAssembly build of llhttp, compiled at the first request.
  const script =
    "const s = require('node:http').createServer((q, r) => r.end('{}')).listen(0, async () => {" +
    '  for (let i = 0; i < 20; i++) await (await fetch("http://127.0.0.1:" + s.address().port + "/")).json();' +
    "  console.log(require('node:v8').getHeapStatistics().peak_malloced_memory); s.close(); });";
  // V8 optimises hot WebAssembly functions in the background, so whether that has happened by the
  // 20th request is a race. Without dynamic tiering it optimises every function when the module is
  // compiled, which makes both runs deterministic: --liftoff-only must still keep the optimiser out.
  const peak = (args: readonly string[]) => {
    const out = spawnSync(process.execPath, ['--no-wasm-dynamic-tiering', ...args, '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(out.status, 0, out.stderr);
    return Number(out.stdout);
  };
  const MB = 1024 * 1024;
  assert.ok(peak(['--liftoff-only']) < 8 * MB, 'baseline-compiled only');
  assert.ok(peak([]) > 12 * MB, 'optimised, V8 takes its compiler memory from malloc');
});

test("the poller's flags are ones this Node accepts and keep the young generation small under churn", () => {
  // Short-lived objects kept in batches make V8 grow the young generation as far as it may.
  const churn =
    'let keep = []; for (let i = 0; i < 3e5; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 5e4) keep = []; }' +
    'console.log(require("node:v8").getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size)';
  const newSpace = (args: readonly string[]) => {
    const out = spawnSync(process.execPath, [...args, '-e', churn], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    return Number(out.stdout);
  };
  const MB = 1024 * 1024;
  assert.ok(newSpace(serviceRuntime('warehouse-poller').nodeArgs) <= 4 * MB, 'two semi-spaces of 2 MB');
  assert.ok(newSpace([]) > 4 * MB, 'without the flag the young generation grows further');
});

test('warmCompileCache fills a cache from which the service starts without stripping any TypeScript', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-compile-cache-'));
  try {
    warmCompileCache(['warehouse-poller'], dir);
    // Start it again on the warm cache (stopping at the same configuration check) and read Node's own
    // account of each TypeScript file it compiled.
    // With the flags the launcher starts it with: Node keeps a cache per V8 flag set.
    const args = [...serviceRuntime('warehouse-poller').nodeArgs, serviceScript('warehouse-poller')];
    const r = spawnSync(process.execPath, args, {
      env: {
        PATH: process.env.PATH,
        NODE_COMPILE_CACHE: dir,
        NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
        FERRY_LOG_LEVEL: 'x',
      },
      encoding: 'utf8',
    });
    const reads = r.stderr
      .split('\n')
      .filter((l) => l.includes('reading cache') && l.includes('StrippedTypeScript'));
    assert.ok(
      reads.some((l) => l.includes('warehouse-poller/src/main.ts')),
      'main.ts is read from the cache',
    );
    assert.ok(reads.length > 20, `${reads.length} TypeScript files read`);
    assert.deepEqual(
      reads.filter((l) => !l.includes('success')),
      [],
    );
    assert.doesNotMatch(r.stderr, /no transpile cache/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('warmCompileCache names the service that did not stop at its configuration check', () => {
  assert.throws(
    () => warmCompileCache(['no-such-service' as ServiceName], join(tmpdir(), 'ferry-compile-cache-unused')),
    /^Error: warming the compile cache: no-such-service did not stop at its configuration check \(exit 1\): /,
  );
});
