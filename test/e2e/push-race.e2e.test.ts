/**
 * The push race: one Freight promoted to 20 Stages at once, every Stage writing its own overlay in
 * one GitOps repository on one branch. All 20 must succeed and land, with at most 20 commits and
 * no Failed or Errored Promotion; git-writer batches the writes, so it pushes fewer times.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { eventually, type FerryUnderTest, startFerry } from './src/harness.ts';
import { startPrivateNats } from './src/index.ts';
import {
  type ManyStagesEnvironment,
  manyStagesManifests,
  startManyStagesEnvironment,
} from './src/many-stages.ts';

const STAGES = 20;
const project = `race-${Date.now().toString(36)}`;
let env: ManyStagesEnvironment;
let nats: Awaited<ReturnType<typeof startPrivateNats>>;
let ferry: FerryUnderTest;

before(async () => {
  env = await startManyStagesEnvironment(project, STAGES);
  nats = await startPrivateNats();
  ferry = await startFerry({ natsUrl: nats.url, kubeconfig: env.kube.kubeconfigPath, redisDb: 2 });
  const file = join(tmpdir(), `${project}.yaml`);
  await writeFile(file, manyStagesManifests(project, env.image, env.repoURL, env.stages));
  const applied = await ferry.ferry('apply', '-f', file);
  assert.equal(applied.code, 0, applied.stderr);
});

after(async () => {
  await ferry?.stop();
  await nats?.close();
  await env?.close();
});

type Freight = { metadata: { name: string }; images: Array<{ tag: string }> };
type Promo = { spec: { stage: string }; status: { phase: string; message?: string } };

test('20 Promotions writing one branch at once all land: at most 20 commits, none Failed or Errored', async () => {
  await env.registry.pushImage('demo/app', '1.0.0');
  assert.equal((await ferry.ferry('refresh', 'warehouse', 'app', '-p', project)).code, 0);
  const freight = await eventually('Freight for 1.0.0', async () => {
    const r = await ferry.ferry('get', 'freight', '-p', project, '-o', 'json');
    return (JSON.parse(r.stdout) as { items: Freight[] }).items.find((f) => f.images[0]?.tag === '1.0.0');
  });
  const commitsBefore = (await env.git.commits('gitops', 'main')).length;
  const pushesBefore = env.git.pushCount('gitops');
  const started = Date.now();
  const results = await Promise.all(
    env.stages.map((s) =>
      ferry.ferry('promote', '-p', project, '--stage', s, '--freight', freight.metadata.name, '--wait'),
    ),
  );
  const wallMs = Date.now() - started;
  for (const [i, r] of results.entries())
    assert.equal(r.code, 0, `ferry promote --stage ${env.stages[i]}: ${r.stdout}${r.stderr}`);

  const list = JSON.parse((await ferry.ferry('get', 'promotions', '-p', project, '-o', 'json')).stdout) as {
    items: Promo[];
  };
  assert.equal(list.items.length, STAGES);
  assert.deepEqual(
    list.items.filter((p) => p.status.phase !== 'Succeeded').map((p) => [p.spec.stage, p.status.phase]),
    [],
  );
  for (const s of env.stages) {
    const text = await env.git.readFile('gitops', 'main', `stages/${s}/kustomization.yaml`);
    assert.match(text, /newTag: 1\.0\.0 # replaced on promotion\n/, `overlay of ${s}`);
  }
  const commits = (await env.git.commits('gitops', 'main')).length - commitsBefore;
  const pushes = env.git.pushCount('gitops') - pushesBefore;
  assert.ok(commits <= STAGES, `${commits} commits for ${STAGES} Promotions`);
  assert.ok(commits >= 1);
  console.log(`push race: ${STAGES} Promotions, ${commits} commits, ${pushes} pushes, ${wallMs} ms`);
});
