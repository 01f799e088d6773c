import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, SERVICES, serviceRuntime } from '@ferry/launcher';
import { kustomize } from './render.ts';

// The Node flags and environment each service runs with are set in three places: the launcher
// (pnpm start, benchmarks), the Dockerfile and the Deployments. This keeps the last two equal to the first.

for (const dir of ['base', 'overlays/ha']) {
  test(`${dir}: each Deployment runs its service with the launcher's Node flags and malloc settings`, () => {
    for (const d of kustomize(dir).filter((o) => o.kind === 'Deployment')) {
      const name = d.metadata.name as (typeof SERVICES)[number];
      assert.ok(SERVICES.includes(name), name);
      const env = new Map<string, string>(
        (d.spec.template.spec.containers[0].env ?? []).map((e: { name: string; value?: string }) => [
          e.name,
          e.value,
        ]),
      );
      const runtime = serviceRuntime(name);
      assert.equal(
        env.get('NODE_OPTIONS'),
        runtime.nodeArgs.length ? runtime.nodeArgs.join(' ') : undefined,
        name,
      );
      assert.equal(env.get('MALLOC_ARENA_MAX'), runtime.env.MALLOC_ARENA_MAX, name);
    }
  });
}

test('the image sets NODE_COMPILE_CACHE and fills it at build time as the user that runs the services', () => {
  const docker = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
  assert.match(docker, /NODE_COMPILE_CACHE=\/ferry\/\.ferry\/compile-cache/);
  const user = docker.indexOf('USER node');
  const warm = docker.indexOf('RUN node scripts/warm-compile-cache.ts');
  assert.ok(user > 0 && warm > user, 'the cache is warmed after USER node (Node keeps it per user id)');
});
