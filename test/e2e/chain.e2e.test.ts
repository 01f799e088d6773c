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
import { type OtlpReceiver, startOtlpReceiver } from '@ferry/support';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { eventually, type FerryUnderTest, startFerry } from './src/harness.ts';
import { type DemoEnvironment, demoManifests, startDemoEnvironment, startPrivateNats } from './src/index.ts';

const project = `e2e-${Date.now().toString(36)}`;
let env: DemoEnvironment;
let nats: Awaited<ReturnType<typeof startPrivateNats>>;
let ferry: FerryUnderTest;
let otlp: OtlpReceiver;
const pushed: Record<string, string> = {};

before(async () => {
  env = await startDemoEnvironment(project);
  nats = await startPrivateNats();
  for (const tag of ['0.9.0', '1.0.0-rc.1', '1.0.0', '2.0.0', 'latest']) {
    pushed[tag] = (await env.registry.pushImage('demo/app', tag)).digest;
  }
  otlp = await startOtlpReceiver();
  ferry = await startFerry({
    natsUrl: nats.url,
    kubeconfig: env.kube.kubeconfigPath,
    redisDb: 9,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url },
  });
});

after(async () => {
  await ferry?.stop();
  await nats?.close();
  await env?.close();
  await otlp?.close();
  if (process.exitCode) console.error(`ferry logs: ${ferry?.logFile}`);
});

const json = <T>(r: { code: number; stdout: string; stderr: string }): T => {
  assert.equal(r.code, 0, `ferry failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** `ferry promote` of a Freight id to a Stage, waiting for the outcome when `wait`. */
const promote = (stage: string, id: string, wait: boolean) =>
  ferry.ferry(
    'promote',
    '-p',
    project,
    '--stage',
    stage,
    '--freight',
    id,
    ...(wait ? ['--wait', '--timeout', '60s'] : []),
  );

/** Waits until freight-store records the Freight as verified in the Stage. */
const verifiedIn = (id: string, stage: string, timeoutMs?: number) =>
  eventually(
    `Freight verified in ${stage}`,
    async () => {
      const one = json<Item>(await ferry.ferry('get', 'freight', id, '-p', project, '-o', 'json'));
      return one.status.verifiedIn[stage] ? one : undefined;
    },
    timeoutMs,
  );

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
  const early = await promote('prod', f.metadata.name, false);
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
  const promotionName = /promotion\.kargo\.akuity\.io\/(\S+) created/.exec(dev.stdout)?.[1];
  assert.ok(promotionName, dev.stdout);

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

  await verifiedIn(f.metadata.name, 'dev');

  const stillEarly = await promote('prod', f.metadata.name, false);
  assert.equal(stillEarly.code, 1, 'prod still may not take it: uat has not verified it');

  const uat = await promote('uat', f.metadata.name, true);
  assert.equal(uat.code, 0, `${uat.stdout}\n${uat.stderr}`);
  await verifiedIn(f.metadata.name, 'uat');

  // prod, written in the v0.3 form, runs the translated steps.
  const prod = await promote('prod', f.metadata.name, true);
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

test('every service answers /healthz, /readyz and /metrics on its ops port', async () => {
  const { SERVICES } = await import('@ferry/launcher');
  for (const [i, service] of SERVICES.entries()) {
    const base = `http://127.0.0.1:${ferry.opsBase + i}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200, service);
    assert.equal((await fetch(`${base}/readyz`)).status, 200, service);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^ferry_process_cpu_seconds_total/m, service);
  }
  const promoter = await (
    await fetch(`http://127.0.0.1:${ferry.opsBase + SERVICES.indexOf('promoter')}/metrics`)
  ).text();
  assert.match(promoter, /^ferry_messages_handled_total\{type="CreatePromotion",outcome="ok"\} [1-9]/m);
});

test('a Promotion is one trace across every service, exported over OTLP', async () => {
  const list = json<{
    items: Array<{ metadata: { name: string }; spec: { stage: string }; status: { traceparent?: string } }>;
  }>(await ferry.ferry('get', 'promotions', '-p', project, '--stage', 'dev', '-o', 'json'));
  const traceparent = list.items[0]?.status.traceparent;
  assert.ok(traceparent, 'the Promotion keeps its traceparent');
  const traceId = traceparent.split('-')[1]!;
  const wanted = [
    'ferry-api',
    'ferry-promoter',
    'ferry-git-writer',
    'ferry-argocd-syncer',
    'ferry-freight-store',
  ];
  const spans = await eventually(
    'the Promotion trace from every service, with no orphan span',
    async () => {
      const mine = otlp.spans.filter((sp) => sp.traceId === traceId);
      const services = new Set(mine.map((sp) => sp.service));
      const ids = new Set(mine.map((sp) => sp.spanId));
      const roots = mine.filter((sp) => !sp.parentSpanId);
      const orphans = mine.filter((sp) => sp.parentSpanId && !ids.has(sp.parentSpanId));
      return wanted.every((w) => services.has(w)) && roots.length === 1 && orphans.length === 0
        ? mine
        : undefined;
    },
    15_000,
  );
  const root = spans.find((sp) => !sp.parentSpanId)!;
  assert.equal(root.service, 'ferry-api');
  assert.equal(root.name, 'POST /api/v1/projects/:project/promotions');
  assert.ok(spans.some((sp) => sp.service === 'ferry-git-writer' && sp.name === 'process WriteGit'));
  assert.ok(spans.some((sp) => sp.service === 'ferry-argocd-syncer' && sp.name === 'process SyncArgoCDApp'));
  // A CLIENT span (kind 3) per git operation and Kubernetes call, with what it worked on.
  const push = spans.find((sp) => sp.service === 'ferry-git-writer' && sp.name === 'git push');
  assert.ok(push, 'a git push span from git-writer');
  assert.equal(push.kind, 3);
  assert.equal(push.attributes['git.operation'], 'push');
  assert.equal(push.attributes['ferry.repository'], env.repoURL);
  assert.equal(push.attributes['ferry.branch'], 'main');
  assert.match(String(push.attributes['ferry.revision']), /^[0-9a-f]{40}$/);
  const patch = spans.find((sp) => sp.service === 'ferry-argocd-syncer' && sp.name === 'kubernetes patch');
  assert.ok(patch, 'a kubernetes patch span from argocd-syncer');
  assert.equal(patch.kind, 3);
  assert.equal(patch.attributes['ferry.app'], 'argocd/demo-dev');
  assert.equal(patch.attributes['ferry.cluster'], 'kube-sim');
  assert.equal(patch.attributes['ferry.project'], project);
  assert.equal(patch.attributes['ferry.promotion'], list.items[0]!.metadata.name);
  assert.match(String(patch.attributes['ferry.revision']), /^[0-9a-f]{40}$/);
});

test('a discovery trace has a CLIENT span per registry request, under the discovery', async () => {
  const requests = await eventually('registry GET spans under a discover warehouse span', async () => {
    const ids = new Set(
      otlp.spans
        .filter((sp) => sp.service === 'ferry-warehouse-poller' && sp.name === 'discover warehouse')
        .map((sp) => sp.spanId),
    );
    const found = otlp.spans.filter((sp) => sp.name === 'registry GET' && ids.has(sp.parentSpanId));
    return found.length > 0 ? found : undefined;
  });
  const [host] = env.image.split('/');
  for (const r of requests) {
    assert.equal(r.service, 'ferry-warehouse-poller');
    assert.equal(r.kind, 3);
    assert.deepEqual(
      [r.attributes['ferry.registry'], r.attributes['ferry.repository'], r.attributes['http.request.method']],
      [host, 'demo/app', 'GET'],
    );
    assert.equal(typeof r.attributes['http.response.status_code'], 'number');
  }
  assert.ok(requests.some((r) => r.attributes['http.response.status_code'] === 200));
});

test('auto-promotion: new Freight goes to dev by itself where a ProjectConfig policy allows it', async () => {
  const file = join(tmpdir(), `${project}-config.yaml`);
  await writeFile(
    file,
    `apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata:
  name: ${project}
  namespace: ${project}
spec:
  promotionPolicies:
    - stageSelector:
        name: dev
      autoPromotionEnabled: true
`,
  );
  assert.equal((await ferry.ferry('apply', '-f', file)).code, 0);
  pushed['1.0.5'] = (await env.registry.pushImage('demo/app', '1.0.5')).digest;
  assert.equal((await ferry.ferry('refresh', 'warehouse', 'app', '-p', project)).code, 0);
  const fresh = await eventually('Freight for 1.0.5', async () => {
    const list = json<{ items: Item[] }>(await ferry.ferry('get', 'freight', '-p', project, '-o', 'json'));
    return list.items.find((i) => i.images[0]?.tag === '1.0.5');
  });
  await verifiedIn(fresh.metadata.name, 'dev', 60_000); // auto-promoted, nobody asked
  const promotions = json<{
    items: Array<{
      spec: { stage: string; freight: string };
      status: { requestedBy?: string; phase: string; traceparent?: string };
    }>;
  }>(await ferry.ferry('get', 'promotions', '-p', project, '-o', 'json'));
  const auto = promotions.items.filter((p) => p.spec.freight === fresh.metadata.name);
  assert.deepEqual(
    auto.map((p) => [p.spec.stage, p.status.requestedBy, p.status.phase]),
    [['dev', 'ferry:auto-promotion', 'Succeeded']],
    'dev only: uat has no policy',
  );
  // The auto-Promotion is a trace of its own whose root links to the discovery that caused it.
  const traceId = auto[0]!.status.traceparent?.split('-')[1];
  assert.ok(traceId, 'the auto-Promotion keeps its traceparent');
  const root = await eventually('the auto-promotion root span', async () =>
    otlp.spans.find((sp) => sp.traceId === traceId && sp.name === 'auto-promotion' && !sp.parentSpanId),
  );
  assert.equal(root.service, 'ferry-promoter');
  assert.equal(root.attributes['ferry.stage'], 'dev');
  assert.equal(root.attributes['ferry.freight'], fresh.metadata.name);
  assert.equal(root.links.length, 1);
  const cause = await eventually('the linked discovery span', async () =>
    otlp.spans.find((sp) => sp.traceId === root.links[0]!.traceId && sp.spanId === root.links[0]!.spanId),
  );
  assert.equal(cause.service, 'ferry-warehouse-poller');
  assert.equal(cause.name, 'discover warehouse');
  assert.match(
    await env.git.readFile('gitops', 'main', 'stages/dev/kustomization.yaml'),
    /newTag: 1\.0\.5 # replaced on promotion/,
  );
});
