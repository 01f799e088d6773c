/**
 * Promotion windows and approval gates, end to end: a closed Deny window keeps a Promotion Pending
 * with the reason until the window ends; a two-approver wait-for-approval step; a rejection.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { eventually, type FerryUnderTest, startFerry } from './src/harness.ts';
import { type DemoEnvironment, demoManifests, startDemoEnvironment, startPrivateNats } from './src/index.ts';

const project = `gates-${Date.now().toString(36)}`;
let env: DemoEnvironment;
let nats: Awaited<ReturnType<typeof startPrivateNats>>;
let ferry: FerryUnderTest;

const gatedStage = `---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: gated
  namespace: ${project}
spec:
  requestedFreight:
    - origin: { kind: Warehouse, name: app }
      sources: { direct: true }
  promotionTemplate:
    spec:
      steps:
        - uses: wait-for-approval
          as: gate
          config:
            approvals: 2
`;

before(async () => {
  env = await startDemoEnvironment(project);
  nats = await startPrivateNats();
  ferry = await startFerry({ natsUrl: nats.url, kubeconfig: env.kube.kubeconfigPath, redisDb: 3 });
  const file = join(tmpdir(), `${project}.yaml`);
  await writeFile(file, `${demoManifests(project, env.image, env.repoURL)}\n${gatedStage}`);
  assert.equal((await ferry.ferry('apply', '-f', file)).code, 0);
});

after(async () => {
  await ferry?.stop();
  await nats?.close();
  await env?.close();
});

type Freight = { metadata: { name: string }; alias: string; images: Array<{ tag: string }> };
type Promo = {
  metadata: { name: string };
  spec: { stage: string; freight: string };
  status: { phase: string; message?: string };
};

const ok = async (...args: string[]) => {
  const r = await ferry.ferry(...args);
  assert.equal(r.code, 0, `ferry ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
};
const promotion = async (name: string) =>
  JSON.parse(await ok('get', 'promotion', name, '-p', project, '-o', 'json')) as Promo;
const created = (stdout: string) => /promotion\.kargo\.akuity\.io\/(\S+) created/.exec(stdout)![1]!;
const finished = (name: string) =>
  eventually(
    `${name} finished`,
    async () => {
      const p = await promotion(name).catch(() => undefined);
      return p && ['Succeeded', 'Failed', 'Errored', 'Aborted'].includes(p.status.phase) ? p : undefined;
    },
    60_000,
  );
/** RFC 5545 UTC date-time: 20260101T220000Z. */
const icsTime = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

let freight: Freight;

test('a closed Deny window keeps a Promotion Pending with the next opening; it runs when the window ends', async () => {
  await env.registry.pushImage('demo/app', '1.0.0');
  await ok('refresh', 'warehouse', 'app', '-p', project);
  freight = await eventually('Freight for 1.0.0', async () => {
    const list = JSON.parse(await ok('get', 'freight', '-p', project, '-o', 'json')) as { items: Freight[] };
    return list.items.find((f) => f.images[0]?.tag === '1.0.0');
  });
  // One occurrence that began a minute ago and ends 25 s from now (whole seconds, as in iCalendar):
  // long enough for the apply and the promote below on a loaded machine, which must find it closed.
  const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  const end = new Date(start.getTime() + 85_000);
  const file = join(tmpdir(), `${project}-windows.yaml`);
  await writeFile(
    file,
    `apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata:
  name: ${project}
  namespace: ${project}
spec:
  promotionWindows:
    - name: dev-freeze
      kind: Deny
      schedule: "DTSTART:${icsTime(start)}"
      duration: 85s
      stageSelector: { name: dev }
`,
  );
  await ok('apply', '-f', file);
  const name = created(
    await ok('promote', '-p', project, '--stage', 'dev', '--freight', freight.metadata.name),
  );
  const pending = await eventually('the Promotion held by the window', async () => {
    const p = await promotion(name).catch(() => undefined);
    return p?.status.message?.startsWith('promotion window') ? p : undefined;
  });
  assert.equal(pending.status.phase, 'Pending');
  assert.equal(pending.status.message, `promotion window "dev-freeze" is closed until ${end.toISOString()}`);
  const done = await finished(name);
  assert.equal(done.status.phase, 'Succeeded', done.status.message);
  assert.ok(Date.now() >= end.getTime(), 'it ran only after the window ended');
});

test('a two-approver gate: one approval keeps it Running, a second user lets it finish', async () => {
  const name = created(
    await ok('promote', '-p', project, '--stage', 'gated', '--freight', freight.metadata.name),
  );
  await eventually('the gate waiting', async () => {
    const p = await promotion(name).catch(() => undefined);
    return p?.status.message === 'waiting for approval (0/2)' ? p : undefined;
  });
  assert.equal(
    await ok('approve', 'promotion', name, '-p', project),
    `promotion ${name} approval requested\n`,
  );
  const one = await eventually('one approval counted', async () => {
    const p = await promotion(name);
    return p.status.message === 'waiting for approval (1/2: api)' ? p : undefined;
  });
  assert.equal(one.status.phase, 'Running');
  const listed = await fetch(`${ferry.server}/api/v1/projects/${project}/promotions/${name}/approvals`, {
    headers: { authorization: `Bearer ${ferry.token}` },
  });
  assert.equal(listed.status, 200);
  const { approvals } = (await listed.json()) as { approvals: Array<{ by: string; reject?: boolean }> };
  assert.deepEqual(
    approvals.map((a) => [a.by, a.reject === true]),
    [['api', false]],
  );
  // The same user again changes nothing; a second user (a promoter token for bob) completes it.
  await ok('approve', 'promotion', name, '-p', project);
  const tokenRes = await fetch(`${ferry.server}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ferry.token}` },
    body: JSON.stringify({ name: `bob-${name}`, subject: 'bob', roles: [{ project, role: 'promoter' }] }),
  });
  assert.equal(tokenRes.status, 201);
  const bob = ((await tokenRes.json()) as { token: string }).token;
  const res = await fetch(`${ferry.server}/api/v1/projects/${project}/promotions/${name}/approve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bob}` },
    body: '{}',
  });
  assert.equal(res.status, 202);
  const done = await finished(name);
  assert.equal(done.status.phase, 'Succeeded', done.status.message);
});

test('a rejection fails the gate with who and why', async () => {
  const name = created(
    await ok('promote', '-p', project, '--stage', 'gated', '--freight', freight.metadata.name),
  );
  await eventually('the gate waiting', async () => {
    const p = await promotion(name).catch(() => undefined);
    return p?.status.phase === 'Running' ? p : undefined;
  });
  await ok('approve', 'promotion', name, '-p', project);
  await ok('reject', 'promotion', name, '-p', project, '--reason', 'not on a Friday');
  const done = await finished(name);
  assert.equal(done.status.phase, 'Failed');
  assert.equal(done.status.message, 'step 1 wait-for-approval (gate): rejected by api: not on a Friday');
  const late = await ferry.ferry('approve', 'promotion', name, '-p', project);
  assert.equal(late.code, 1);
  assert.match(late.stderr, /already finished \(Failed\) \(FERRY_ERR_PROMOTION_FINISHED\)/);
});
