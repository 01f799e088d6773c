/**
 * One Freight travels the whole chain on real parts: a docker-registry, git over smart HTTP,
 * NATS JetStream, Redis, and the Kubernetes API test server with its Argo CD simulator,
 * with Ferry's six services running as separate processes and driven through its CLI.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freightId } from '@ferry/kargo';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { eventually, type FerryUnderTest, startFerry } from './src/harness.ts';
import { type DemoEnvironment, demoManifests, startDemoEnvironment, startPrivateNats } from './src/index.ts';

const project = `e2e-${Date.now().toString(36)}`;
let env: DemoEnvironment;
let nats: Awaited<ReturnType<typeof startPrivateNats>>;
let ferry: FerryUnderTest;
const pushed: Record<string, string> = {};

before(async () => {
  env = await startDemoEnvironment(project);
  nats = await startPrivateNats();
  for (const tag of ['0.9.0', '1.0.0-rc.1', '1.0.0', '2.0.0', 'latest']) {
    pushed[tag] = (await env.registry.pushImage('demo/app', tag)).digest;
  }
  ferry = await startFerry({ natsUrl: nats.url, kubeconfig: env.kube.kubeconfigPath, redisDb: 9 });
});

after(async () => {
  await ferry?.stop();
  await nats?.close();
  await env?.close();
  if (process.exitCode) console.error(`ferry logs: ${ferry?.logFile}`);
});

const json = <T>(r: { code: number; stdout: string; stderr: string }): T => {
  assert.equal(r.code, 0, `ferry failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

type Item = {
  metadata: { name: string };
  alias: string;
  images: Array<{ repoURL: string; tag: string; digest: string }>;
  status: { verifiedIn: Record<string, unknown> };
};

test('a bad manifest is refused whole, naming the document and field', async () => {
  const file = join(tmpdir(), `${project}-bad.yaml`);
  await writeFile(
    file,
    demoManifests(project, env.image, env.repoURL).replace(
      'name: app\n  namespace',
      'name: App_Bad\n  namespace',
    ),
  );
  const r = await ferry.ferry('apply', '-f', file);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /FERRY_ERR_BAD_MANIFEST/);
  assert.match(r.stderr, /document 2/);
  const projects = json<{ items: unknown[] }>(await ferry.ferry('get', 'projects', '-o', 'json'));
  assert.equal(projects.items.length, 0, 'nothing from the bad file was applied');
});

test('a Freight travels dev → uat → prod', async () => {
  const file = join(tmpdir(), `${project}.yaml`);
  await writeFile(file, demoManifests(project, env.image, env.repoURL));
  const applied = await ferry.ferry('apply', '-f', file);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /stage\.kargo\.akuity\.io\/prod created/);
  const again = await ferry.ferry('apply', '-f', file);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /created|configured/, 'apply is idempotent');

  // Discovery: the highest tag within ^1.0.0 (no prerelease, not 2.0.0), with its digest.
  assert.equal((await ferry.ferry('refresh', 'warehouse', 'app', '-p', project)).code, 0);
  const freight = await eventually('one Freight', async () => {
    const list = json<{ items: Item[] }>(await ferry.ferry('get', 'freight', '-p', project, '-o', 'json'));
    return list.items.length > 0 ? list.items : undefined;
  });
  assert.equal(freight.length, 1);
  const f = freight[0]!;
  assert.deepEqual(f.images, [{ repoURL: env.image, tag: '1.0.0', digest: pushed['1.0.0'] }]);
  assert.equal(
    f.metadata.name,
    freightId({ origin: { kind: 'Warehouse', name: 'app' }, images: f.images, commits: [], charts: [] }),
  );
  await ferry.ferry('refresh', 'warehouse', 'app', '-p', project);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(
    json<{ items: Item[] }>(await ferry.ferry('get', 'freight', '-p', project, '-o', 'json')).items.length,
    1,
    'rediscovery makes no new Freight',
  );

  // prod may not take it yet: it is not verified upstream.
  const early = await ferry.ferry('promote', '-p', project, '--stage', 'prod', '--freight', f.metadata.name);
  assert.equal(early.code, 1);
  assert.match(early.stderr, /FERRY_ERR_FREIGHT_NOT_AVAILABLE/);

  const before = await env.git.commits('gitops', 'main');
  const started = Date.now();
  const dev = await ferry.ferry(
    'promote',
    '-p',
    project,
    '--stage',
    'dev',
    '--freight-alias',
    f.alias,
    '--wait',
    '--timeout',
    '60s',
  );
  const elapsed = Date.now() - started;
  assert.equal(dev.code, 0, `${dev.stdout}\n${dev.stderr}`);
  console.log(`promote dev → Succeeded: ${elapsed} ms (ferry promote --wait, wall clock)`);

  const afterDev = await env.git.commits('gitops', 'main');
  assert.equal(afterDev.length, before.length + 1, 'exactly one commit');
  const text = await env.git.readFile('gitops', 'main', 'stages/dev/kustomization.yaml');
  assert.match(text, /newTag: 1\.0\.0 # replaced on promotion/);
  assert.match(text, /^# Overlay for the dev Stage\.$/m);
  assert.match(text, /# the application image, promoted by Ferry/);
  assert.match(text, /namespace: demo-dev # the namespace Argo CD deploys into/);

  const kc = new KubeConfig();
  kc.loadFromFile(env.kube.kubeconfigPath);
  const apps = kc.makeApiClient(CustomObjectsApi);
  const app = (await apps.getNamespacedCustomObject({
    group: 'argoproj.io',
    version: 'v1alpha1',
    namespace: 'argocd',
    plural: 'applications',
    name: 'demo-dev',
  })) as {
    status: {
      sync: { status: string; revision: string };
      health: { status: string };
      summary: { images: string[] };
    };
  };
  assert.equal(app.status.sync.status, 'Synced');
  assert.equal(app.status.sync.revision, afterDev[0]!.sha);
  assert.equal(app.status.health.status, 'Healthy');
  assert.deepEqual(app.status.summary.images, [`${env.image}:1.0.0`]);

  await eventually('Freight verified in dev', async () => {
    const one = json<Item>(await ferry.ferry('get', 'freight', f.metadata.name, '-p', project, '-o', 'json'));
    return one.status.verifiedIn.dev ? one : undefined;
  });

  const stillEarly = await ferry.ferry(
    'promote',
    '-p',
    project,
    '--stage',
    'prod',
    '--freight',
    f.metadata.name,
  );
  assert.equal(stillEarly.code, 1, 'prod still may not take it: uat has not verified it');

  const uat = await ferry.ferry(
    'promote',
    '-p',
    project,
    '--stage',
    'uat',
    '--freight',
    f.metadata.name,
    '--wait',
    '--timeout',
    '60s',
  );
  assert.equal(uat.code, 0, `${uat.stdout}\n${uat.stderr}`);
  await eventually('Freight verified in uat', async () => {
    const one = json<Item>(await ferry.ferry('get', 'freight', f.metadata.name, '-p', project, '-o', 'json'));
    return one.status.verifiedIn.uat ? one : undefined;
  });

  // prod, written in the v0.3 form, runs the translated steps.
  const prod = await ferry.ferry(
    'promote',
    '-p',
    project,
    '--stage',
    'prod',
    '--freight',
    f.metadata.name,
    '--wait',
    '--timeout',
    '60s',
  );
  assert.equal(prod.code, 0, `${prod.stdout}\n${prod.stderr}`);
  const prodText = await env.git.readFile('gitops', 'main', 'stages/prod/kustomization.yaml');
  assert.match(prodText, /newTag: 1\.0\.0 # replaced on promotion/);
  assert.equal((await env.git.commits('gitops', 'main')).length, before.length + 3);
});

test('a WriteGit delivered twice makes one commit', async () => {
  const nc = await connect({ servers: nats.url });
  const js = jetstream(nc);
  const writeId = `dup-${Date.now()}/0`;
  const cmd = {
    project,
    writeId,
    stage: 'dev',
    promotion: 'dev.manual.0000000',
    repoURL: env.repoURL,
    sourceBranch: 'main',
    targetBranch: 'main',
    edits: [
      { kind: 'kustomize-set-image', path: 'stages/dev', images: [{ name: env.image, newTag: '1.0.1' }] },
    ],
    message: 'duplicate delivery test',
    maxAttempts: 5,
  };
  const before = await env.git.commits('gitops', 'main');
  // Two distinct message ids, so JetStream's dedupe cannot hide the second delivery.
  await js.publish(`ferry.v1.cmd.git.write.${project}`, JSON.stringify(cmd), { msgID: `a-${writeId}` });
  await js.publish(`ferry.v1.cmd.git.write.${project}`, JSON.stringify(cmd), { msgID: `b-${writeId}` });
  await eventually('both writes handled', async () => {
    const info = await (await import('@nats-io/jetstream'))
      .jetstreamManager(nc)
      .then((m) => m.consumers.info('FERRY_COMMANDS', 'git-writer'));
    return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
  });
  const afterWrites = await env.git.commits('gitops', 'main');
  assert.equal(afterWrites.length, before.length + 1, 'one commit for two deliveries');
  assert.match(await env.git.readFile('gitops', 'main', 'stages/dev/kustomization.yaml'), /newTag: 1\.0\.1/);
  await nc.close();
});
