/**
 * Operations on Stages beyond promote, end to end: reject (and undo), approve (skipping upstream
 * verification), rollback, promote downstream, abort, and why a Pending Promotion waits.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { eventually, type FerryUnderTest, startFerry } from './src/harness.ts';
import { type DemoEnvironment, demoManifests, startDemoEnvironment, startPrivateNats } from './src/index.ts';

const project = `ops-${Date.now().toString(36)}`;
let env: DemoEnvironment;
let nats: Awaited<ReturnType<typeof startPrivateNats>>;
let ferry: FerryUnderTest;

before(async () => {
  env = await startDemoEnvironment(project);
  nats = await startPrivateNats();
  ferry = await startFerry({ natsUrl: nats.url, kubeconfig: env.kube.kubeconfigPath, redisDb: 7 });
  const file = join(tmpdir(), `${project}.yaml`);
  await writeFile(file, demoManifests(project, env.image, env.repoURL));
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

const cli = async (...args: string[]) => {
  const r = await ferry.ferry(...args);
  return r;
};
const ok = async (...args: string[]) => {
  const r = await cli(...args);
  assert.equal(r.code, 0, `ferry ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
};
const freightFor = async (tag: string): Promise<Freight> => {
  await env.registry.pushImage('demo/app', tag);
  await ok('refresh', 'warehouse', 'app', '-p', project);
  return eventually(`Freight for ${tag}`, async () => {
    const list = JSON.parse(await ok('get', 'freight', '-p', project, '-o', 'json')) as { items: Freight[] };
    return list.items.find((f) => f.images[0]?.tag === tag);
  });
};
const promotion = async (name: string) =>
  JSON.parse(await ok('get', 'promotion', name, '-p', project, '-o', 'json')) as Promo;
const created = (stdout: string) => /promotion\.kargo\.akuity\.io\/(\S+) created/.exec(stdout)![1]!;
const devTag = async () =>
  /newTag: (\S+)/.exec(await env.git.readFile('gitops', 'main', 'stages/dev/kustomization.yaml'))![1];

let f1: Freight;
let f2: Freight;

test('reject makes Freight unavailable with who and why; undo restores it', async () => {
  f1 = await freightFor('1.0.0');
  await ok('promote', '-p', project, '--stage', 'dev', '--freight', f1.metadata.name, '--wait');
  await eventually('verified in dev', async () => {
    const f = JSON.parse(await ok('get', 'freight', f1.metadata.name, '-p', project, '-o', 'json'));
    return f.status.verifiedIn.dev ? f : undefined;
  });
  await ok(
    'reject',
    '-p',
    project,
    '--freight',
    f1.metadata.name,
    '--stage',
    'uat',
    '--reason',
    'CVE-2026-1234',
  );
  const refused = await eventually('the rejection recorded', async () => {
    const r = await cli('promote', '-p', project, '--stage', 'uat', '--freight', f1.metadata.name);
    return r.code === 1 ? r : undefined;
  });
  assert.match(
    refused.stderr,
    /was rejected for Stage "uat" by api: CVE-2026-1234 \(FERRY_ERR_FREIGHT_NOT_AVAILABLE\)/,
  );
  const shown = JSON.parse(await ok('get', 'freight', f1.metadata.name, '-p', project, '-o', 'json'));
  assert.equal(shown.status.rejected.uat.reason, 'CVE-2026-1234');
  await ok('reject', '-p', project, '--freight', f1.metadata.name, '--stage', 'uat', '--undo');
  await eventually('the rejection undone', async () => {
    const f = JSON.parse(await ok('get', 'freight', f1.metadata.name, '-p', project, '-o', 'json'));
    return f.status.rejected ? undefined : f;
  });
});

test('approve lets a Stage take Freight not verified upstream', async () => {
  f2 = await freightFor('1.0.1');
  const early = await cli('promote', '-p', project, '--stage', 'prod', '--freight', f2.metadata.name);
  assert.equal(early.code, 1);
  await ok('approve', '-p', project, '--freight-alias', f2.alias, '--stage', 'prod');
  await eventually('the approval recorded', async () => {
    const f = JSON.parse(await ok('get', 'freight', f2.metadata.name, '-p', project, '-o', 'json'));
    return f.status.approvedFor.prod ? f : undefined;
  });
  await ok('promote', '-p', project, '--stage', 'prod', '--freight', f2.metadata.name, '--wait');
  assert.match(await env.git.readFile('gitops', 'main', 'stages/prod/kustomization.yaml'), /newTag: 1\.0\.1/);
});

test('rollback promotes the Freight verified before the current one', async () => {
  await ok('promote', '-p', project, '--stage', 'dev', '--freight', f2.metadata.name, '--wait');
  assert.equal(await devTag(), '1.0.1');
  await eventually('1.0.1 verified in dev', async () => {
    const f = JSON.parse(await ok('get', 'freight', f2.metadata.name, '-p', project, '-o', 'json'));
    return f.status.verifiedIn.dev ? f : undefined;
  });
  const name = created(await ok('rollback', '-p', project, '--stage', 'dev'));
  const done = await eventually('the rollback finished', async () => {
    const p = await promotion(name).catch(() => undefined);
    return p && ['Succeeded', 'Failed', 'Errored'].includes(p.status.phase) ? p : undefined;
  });
  assert.equal(done.status.phase, 'Succeeded', done.status.message);
  assert.equal(done.spec.freight, f1.metadata.name);
  assert.equal(await devTag(), '1.0.0');
});

test('promote --downstream-from asks for a Promotion in every downstream Stage', async () => {
  const out = await ok('promote', '-p', project, '--downstream-from', 'dev', '--freight', f1.metadata.name);
  const names = [...out.matchAll(/promotion\.kargo\.akuity\.io\/(\S+) created/g)].map((m) => m[1]!);
  assert.equal(names.length, 1);
  assert.match(names[0]!, /^uat\./);
  await eventually('the uat Promotion succeeded', async () => {
    const p = await promotion(names[0]!).catch(() => undefined);
    return p?.status.phase === 'Succeeded' ? p : undefined;
  });
});

test('a Pending Promotion says what it waits for; abort ends the one in front', async () => {
  await ferry.fleet.kill('git-writer', 'SIGKILL');
  const first = created(await ok('promote', '-p', project, '--stage', 'dev', '--freight', f2.metadata.name));
  await eventually('the first waiting at git-push', async () => {
    const p = await promotion(first).catch(() => undefined);
    return p?.status.phase === 'Running' ? p : undefined;
  });
  const second = created(await ok('promote', '-p', project, '--stage', 'dev', '--freight', f1.metadata.name));
  const pending = await eventually('the second explaining its wait', async () => {
    const p = await promotion(second).catch(() => undefined);
    return p?.status.message?.startsWith(`waiting for ${first}`) ? p : undefined;
  });
  assert.equal(pending.status.phase, 'Pending');
  assert.equal(pending.status.message, `waiting for ${first} (Running, step 4/5 git-push) to finish`);

  const noSuch = await cli('abort', 'promotion', 'dev.nope.0000000', '-p', project);
  assert.equal(noSuch.code, 1);
  assert.match(noSuch.stderr, /FERRY_ERR_PROMOTION_NOT_FOUND/);
  await ok('promote', '-p', project, '--abort', first);
  const aborted = await eventually('the first aborted', async () => {
    const p = await promotion(first);
    return p.status.phase === 'Aborted' ? p : undefined;
  });
  assert.equal(aborted.status.message, 'aborted by api');
  const again = await cli('abort', 'promotion', first, '-p', project);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already finished \(Aborted\) \(FERRY_ERR_PROMOTION_FINISHED\)/);

  ferry.fleet.start('git-writer');
  const done = await eventually(
    'the second ran after the abort',
    async () => {
      const p = await promotion(second);
      return p.status.phase === 'Succeeded' ? p : undefined;
    },
    60_000,
  );
  assert.equal(done.spec.freight, f1.metadata.name);
  assert.equal(await devTag(), '1.0.0');
});
