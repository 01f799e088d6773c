import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { buildServices } from './build.ts';
import { bundledFromEnv, ROOT, serviceRuntime } from './launcher.ts';

test('every service bundles into one ES module that loads all it imports and stops at the configuration check', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bundles-'));
  try {
    const built = await buildServices(undefined, dir);
    assert.deepEqual(
      built.map((b) => b.service),
      ['freight-store', 'promoter', 'git-writer', 'argocd-syncer', 'warehouse-poller', 'api'],
    );
    for (const b of built) {
      assert.equal(b.file, join(dir, `${b.service}.mjs`));
      assert.ok(b.bytes > 100_000, `${b.service}: ${b.bytes} bytes`);
      const text = await readFile(b.file, 'utf8');
      assert.match(text, /sourceMappingURL=.+\.mjs\.map\s*$/, `${b.service} links its source map`);
      // Every module the service imports is evaluated before the configuration is read: a bundle
      // that lost a module, or a require() it cannot serve, fails here rather than at exit code 2.
      const r = spawnSync(process.execPath, [...serviceRuntime(b.service, 'bundle').nodeArgs, b.file], {
        env: { PATH: process.env.PATH, FERRY_LOG_LEVEL: 'loud' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 2, `${b.service}: ${r.stderr}`);
      assert.match(r.stderr, /FERRY_LOG_LEVEL/, b.service);
      assert.doesNotMatch(r.stderr, /DeprecationWarning|ExperimentalWarning/, b.service);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the api's bundle finds the built UI relative to itself", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bundles-'));
  try {
    const [api] = await buildServices(['api'], dir);
    const text = await readFile(api!.file, 'utf8');
    // The path from the bundle's directory to packages/web/dist is baked in at build time.
    const m = /"((?:\.\.\/)+[^"]*packages\/web\/dist\/)"/.exec(text);
    assert.ok(m, 'the UI path is in the bundle');
    const resolved = new URL(m[1]!, pathToFileURL(api!.file)).pathname;
    assert.equal(resolved, `${join(ROOT, 'packages', 'web', 'dist')}/`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('FERRY_BUNDLED takes 1, true, 0, false or nothing and names itself otherwise', () => {
  assert.equal(bundledFromEnv({}), false);
  assert.equal(bundledFromEnv({ FERRY_BUNDLED: '' }), false);
  assert.equal(bundledFromEnv({ FERRY_BUNDLED: '0' }), false);
  assert.equal(bundledFromEnv({ FERRY_BUNDLED: 'false' }), false);
  assert.equal(bundledFromEnv({ FERRY_BUNDLED: '1' }), true);
  assert.equal(bundledFromEnv({ FERRY_BUNDLED: 'TRUE' }), true);
  assert.throws(() => bundledFromEnv({ FERRY_BUNDLED: 'yes' }), {
    message: 'FERRY_BUNDLED must be 1, true, 0 or false, got "yes"',
  });
});
