/**
 * A crash loses no Promotion and doubles no commit: git-writer is down when a Promotion is
 * asked for, and the promoter is killed (SIGKILL) while the Promotion waits at git-push.
 * When both come back, the Promotion finishes from where it was, with exactly one commit.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { eventually, type FerryUnderTest, startFerry } from './src/harness.ts';
import { type DemoEnvironment, demoManifests, startDemoEnvironment, startPrivateNats } from './src/index.ts';

const project = `crash-${Date.now().toString(36)}`;
let env: DemoEnvironment;
let nats: Awaited<ReturnType<typeof startPrivateNats>>;
let ferry: FerryUnderTest;

before(async () => {
  env = await startDemoEnvironment(project);
  nats = await startPrivateNats();
  await env.registry.pushImage('demo/app', '1.0.0');
  ferry = await startFerry({ natsUrl: nats.url, kubeconfig: env.kube.kubeconfigPath, redisDb: 8 });
});

after(async () => {
  await ferry?.stop();
  await nats?.close();
  await env?.close();
});

type Promo = { metadata: { name: string }; status: { phase: string; currentStep: number; message?: string } };

test('killing git-writer and the promoter mid-Promotion loses nothing and doubles nothing', async () => {
  const file = join(tmpdir(), `${project}.yaml`);
  await writeFile(file, demoManifests(project, env.image, env.repoURL));
  assert.equal((await ferry.ferry('apply', '-f', file)).code, 0);
  await ferry.ferry('refresh', 'warehouse', 'app', '-p', project);
  const freight = await eventually('Freight', async () => {
    const r = await ferry.ferry('get', 'freight', '-p', project, '-o', 'json');
    return (JSON.parse(r.stdout) as { items: Array<{ metadata: { name: string } }> }).items[0];
  });

  await ferry.fleet.kill('git-writer', 'SIGKILL');
  const before = await env.git.commits('gitops', 'main');
  const asked = await ferry.ferry(
    'promote',
    '-p',
    project,
    '--stage',
    'dev',
    '--freight',
    freight.metadata.name,
  );
  assert.equal(asked.code, 0, asked.stderr);
  const name = /promotion\.kargo\.akuity\.io\/(\S+) created/.exec(asked.stdout)![1]!;
  const get = async () =>
    JSON.parse((await ferry.ferry('get', 'promotion', name, '-p', project, '-o', 'json')).stdout) as Promo;

  await eventually('the Promotion waiting at git-push', async () => {
    const p = await get().catch(() => undefined);
    return p?.status.phase === 'Running' && p.status.currentStep === 3 ? p : undefined;
  });
  await ferry.fleet.kill('promoter', 'SIGKILL');
  ferry.fleet.start('git-writer');
  // git-writer pushes and reports while no promoter runs; the fact waits in JetStream.
  await eventually('the commit pushed', async () => {
    const commits = await env.git.commits('gitops', 'main');
    return commits.length > before.length ? commits : undefined;
  });
  ferry.fleet.start('promoter');

  const done = await eventually(
    'the Promotion finished after the restarts',
    async () => {
      const p = await get();
      return ['Succeeded', 'Failed', 'Errored'].includes(p.status.phase) ? p : undefined;
    },
    60_000,
  );
  assert.equal(done.status.phase, 'Succeeded', done.status.message);
  const after = await env.git.commits('gitops', 'main');
  assert.equal(after.length, before.length + 1, 'exactly one commit');
  assert.match(await env.git.readFile('gitops', 'main', 'stages/dev/kustomization.yaml'), /newTag: 1\.0\.0/);
});
