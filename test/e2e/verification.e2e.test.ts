/**
 * Native verification, end to end: uat verifies Freight with an AnalysisTemplate that asks a
 * real HTTP service and a ClusterAnalysisTemplate that queries a Prometheus (the HTTP API test
 * double). A failed verification keeps the Freight from prod; `ferry verify stage` re-runs it.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPrometheus, type TestPrometheus } from '@ferry/support';
import { eventually, type FerryUnderTest, startFerry } from './src/harness.ts';
import { type DemoEnvironment, demoManifests, startDemoEnvironment, startPrivateNats } from './src/index.ts';

const project = `verify-${Date.now().toString(36)}`;
const QUERY = 'sum(rate(http_errors_total[5m]))';
let env: DemoEnvironment;
let nats: Awaited<ReturnType<typeof startPrivateNats>>;
let ferry: FerryUnderTest;
let prometheus: TestPrometheus;
let app: Server;
let appURL: string;
let healthy = false;

before(async () => {
  env = await startDemoEnvironment(project);
  nats = await startPrivateNats();
  prometheus = await startPrometheus();
  prometheus.set(QUERY, [0.001]);
  // The application under test: its health endpoint says what the smoke test checks.
  app = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: healthy }));
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  appURL = `http://127.0.0.1:${(app.address() as { port: number }).port}/health`;
  await env.registry.pushImage('demo/app', '1.0.0');
  ferry = await startFerry({ natsUrl: nats.url, kubeconfig: env.kube.kubeconfigPath, redisDb: 5 });
  const pipeline = demoManifests(project, env.image, env.repoURL).replace(
    `  name: uat\n  namespace: ${project}\nspec:\n`,
    `  name: uat\n  namespace: ${project}\nspec:\n  verification:\n    analysisTemplates:\n      - name: smoke\n      - name: error-rate\n        kind: ClusterAnalysisTemplate\n    args:\n      - name: url\n        value: ${appURL}\n`,
  );
  const templates = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: smoke
  namespace: ${project}
spec:
  args:
    - name: url
  metrics:
    - name: health
      successCondition: result == true
      provider:
        web:
          url: "{{args.url}}"
          jsonPath: "{$.ok}"
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterAnalysisTemplate
metadata:
  name: error-rate
spec:
  metrics:
    - name: errors
      successCondition: result[0] < 0.01
      provider:
        prometheus:
          address: ${prometheus.url}
          query: ${QUERY}
`;
  const file = join(tmpdir(), `${project}.yaml`);
  await writeFile(file, `${pipeline}---\n${templates}`);
  const applied = await ferry.ferry('apply', '-f', file);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /^project\/verify-\S+ analysistemplate\.argoproj\.io\/smoke created$/m);
  assert.match(applied.stdout, /^clusteranalysistemplate\.argoproj\.io\/error-rate created$/m);
});

after(async () => {
  await ferry?.stop();
  await nats?.close();
  await env?.close();
  await prometheus?.close();
  await new Promise((r) => app?.close(r));
});

const ok = async (...args: string[]) => {
  const r = await ferry.ferry(...args);
  assert.equal(r.code, 0, `ferry ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
};
type StageView = {
  status: {
    verification?: { phase: string; message?: string; freight: string };
    verificationHistory?: unknown[];
  };
};
const uatVerification = (phase: string) =>
  eventually(`uat verification ${phase}`, async () => {
    const s = JSON.parse(await ok('get', 'stage', 'uat', '-p', project, '-o', 'json')) as StageView;
    return s.status.verification?.phase === phase ? s.status.verification : undefined;
  });

test('a failed verification keeps Freight from downstream; a re-run that passes lets it through', async () => {
  await ok('refresh', 'warehouse', 'app', '-p', project);
  const freight = await eventually('Freight', async () => {
    const list = JSON.parse(await ok('get', 'freight', '-p', project, '-o', 'json')) as {
      items: Array<{ metadata: { name: string } }>;
    };
    return list.items[0];
  });
  const id = freight.metadata.name;
  await ok('promote', '-p', project, '--stage', 'dev', '--freight', id, '--wait');
  await eventually('verified in dev', async () => {
    const f = JSON.parse(await ok('get', 'freight', id, '-p', project, '-o', 'json'));
    return f.status.verifiedIn.dev ? f : undefined;
  });

  // The application answers ok=false: the Promotion succeeds, its verification fails.
  await ok('promote', '-p', project, '--stage', 'uat', '--freight', id, '--wait');
  const failed = await uatVerification('Failed');
  assert.equal(failed.freight, id);
  assert.match(failed.message ?? '', /health/);
  const blocked = await ferry.ferry('promote', '-p', project, '--stage', 'prod', '--freight', id);
  assert.equal(blocked.code, 1);
  assert.match(blocked.stderr, /not verified in any upstream Stage of "prod"/);
  assert.ok(prometheus.requests.length >= 1, 'the Prometheus metric was measured');

  // Fixed: run the verification again.
  healthy = true;
  await ok('verify', 'stage', 'uat', '-p', project);
  await uatVerification('Successful');
  await eventually('verified in uat', async () => {
    const f = JSON.parse(await ok('get', 'freight', id, '-p', project, '-o', 'json'));
    return f.status.verifiedIn.uat ? f : undefined;
  });
  const history = (JSON.parse(await ok('get', 'stage', 'uat', '-p', project, '-o', 'json')) as StageView)
    .status.verificationHistory;
  assert.equal(history?.length, 2, 'both runs kept in the Stage');
  await ok('promote', '-p', project, '--stage', 'prod', '--freight', id, '--wait');
});
