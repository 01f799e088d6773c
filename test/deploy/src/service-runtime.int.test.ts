import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, SERVICES, serviceRuntime } from '@ferry/launcher';
import { parse } from 'yaml';
import { kustomize } from './render.ts';

// The Node flags and environment each service runs with are set in three places: the launcher
// (pnpm start, benchmarks), the Dockerfile and the Deployments. This keeps the last two equal to the first.

for (const dir of ['base', 'overlays/ha']) {
  test(`${dir}: each Deployment runs its service with the launcher's Node flags and malloc settings`, () => {
    for (const d of kustomize(dir).filter((o) => o.kind === 'Deployment')) {
      const name = d.metadata.name as (typeof SERVICES)[number];
      assert.ok(SERVICES.includes(name), name);
      const container = d.spec.template.spec.containers[0];
      const env = new Map<string, string>(
        (container.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value]),
      );
      const runtime = serviceRuntime(name, 'bundle');
      // Flags go in the command: NODE_OPTIONS refuses V8 flags like --liftoff-only.
      assert.deepEqual(container.command, ['node', ...runtime.nodeArgs, `dist/services/${name}.mjs`], name);
      assert.equal(env.get('NODE_OPTIONS'), undefined, name);
      assert.equal(env.get('MALLOC_ARENA_MAX'), runtime.env.MALLOC_ARENA_MAX, name);
    }
  });
}

test("the compose file gives warehouse-poller the launcher's malloc setting", () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
  for (const name of SERVICES) {
    assert.equal(
      compose.services[name].environment.MALLOC_ARENA_MAX,
      serviceRuntime(name, 'bundle').env.MALLOC_ARENA_MAX,
      name,
    );
    assert.equal(compose.services[name].environment.FERRY_NATS_URL, 'nats://nats:4222', name);
  }
});

test('the image builds the UI and the bundles, and runs the api bundle', () => {
  const docker = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
  assert.match(docker, /pnpm --filter @ferry\/web build/);
  assert.match(docker, /&& pnpm build\b/);
  assert.match(docker, /CMD \["node", "--disable-warning=DEP0169", "dist\/services\/api\.mjs"\]/);
  assert.deepEqual(serviceRuntime('api', 'bundle').nodeArgs, ['--disable-warning=DEP0169']);
});

test('the image sets NODE_COMPILE_CACHE and fills it at build time as the user that runs the services', () => {
  const docker = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
  assert.match(docker, /NODE_COMPILE_CACHE=\/ferry\/\.ferry\/compile-cache/);
  const user = docker.indexOf('USER node');
  const warm = docker.indexOf('RUN node scripts/warm-compile-cache.ts --bundled');
  assert.ok(user > 0 && warm > user, 'the cache is warmed after USER node (Node keeps it per user id)');
});
