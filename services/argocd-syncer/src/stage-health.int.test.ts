/**
 * Stage health from watches, against a kube-sim, real git, Redis (database 9) and a private NATS:
 * an app that turns Degraded after its Promotion makes the Stage Unhealthy, then Healthy again;
 * a label selector syncs every matching app (argocd-wait: waits for every one, authorized or not);
 * definitions applied start new watches; a watch
 * whose resourceVersion is too old lists again (410 Gone).
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Bus } from '@ferry/bus';
import { loadConfig } from '@ferry/config';
import type { StageHealth, StageHealthChanged, SyncArgoCDApp } from '@ferry/contracts';
import { type KubeSim, startKubeSim } from '@ferry/kube-sim';
import { createLogger } from '@ferry/observability';
import type { RunningService } from '@ferry/runtime';
import { Keys, Store } from '@ferry/store';
import { git, startNatsServer, type TestNatsServer, tempDir } from '@ferry/support';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { Application, SyncerOp } from './evaluate.ts';
import { startArgoCDSyncer } from './index.ts';
import type { StageHealthTracker } from './stage-health.ts';
import { AppWatch } from './watch.ts';

const NS = 'argocd';
const log = createLogger('stage-health-test', 'silent');
let nats: TestNatsServer;
let store: Store;
let bus: Bus;
let sim: KubeSim;
let syncer: RunningService;
let tracker: StageHealthTracker;
let kc: KubeConfig;
let repoURL: string;
let head: string;
const seen: StageHealthChanged[] = [];
let cleanup: () => Promise<void>;

function application(name: string, labels: Record<string, string>, stage: string): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name,
      namespace: NS,
      labels,
      annotations: { 'kargo.akuity.io/authorized-stage': `demo:${stage}` },
    },
    spec: {
      project: 'default',
      destination: { server: 'https://kubernetes.default.svc', namespace: 'dev' },
      source: { repoURL, path: 'apps/dev', targetRevision: 'main' },
    },
  };
}

function stage(name: string, apps: unknown[]): Record<string, unknown> {
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Stage',
    metadata: { name, namespace: 'demo' },
    spec: {
      requestedFreight: [{ origin: { kind: 'Warehouse', name: 'w' }, sources: { direct: true, stages: [] } }],
      promotionTemplate: { spec: { steps: [{ uses: 'argocd-update', config: { apps } }] } },
    },
  };
}

const putStage = (s: Record<string, unknown>) =>
  store.redis.hset(Keys.stages('demo'), (s.metadata as { name: string }).name, JSON.stringify(s));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last !== undefined) return last;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const healthIs = (s: string, status: string) =>
  until(`Stage ${s} ${status}`, async () => {
    const h = await store.getStageHealth('demo', s);
    return h?.status === status ? h : undefined;
  });

async function run(cmd: SyncArgoCDApp): Promise<SyncerOp> {
  await bus.publish('SyncArgoCDApp', cmd, `t:${cmd.opId}`);
  return until(`operation ${cmd.opId}`, async () => {
    const op = (await store.getArgoCDOp(cmd.opId)) as SyncerOp | undefined;
    return op && op.state !== 'Running' ? op : undefined;
  });
}

before(async () => {
  const dir = await tempDir('stage-health');
  const bare = join(dir, 'config.git');
  const work = join(dir, 'work');
  await git(['init', '--quiet', '--bare', '--initial-branch=main', bare], { cwd: dir });
  await git(['init', '--quiet', '--initial-branch=main', work], { cwd: dir });
  const file = join(work, 'apps/dev/kustomization.yaml');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, 'images:\n- name: app\n  newTag: "v1"\n');
  await git(['add', '--all'], { cwd: work });
  await git(['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '--quiet', '-m', 'v1'], { cwd: work });
  await git(['push', '--quiet', bare, 'main'], { cwd: work });
  head = (await git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
  repoURL = `file://${bare}`;

  nats = await startNatsServer();
  store = Store.connect('redis://127.0.0.1:6379/9', 'stage-health-test');
  await store.redis.flushdb();
  bus = await Bus.connect({ servers: nats.url, name: 'stage-health-test', log, maxDeliver: 3 });
  sim = await startKubeSim({ healthDelayMs: 100, watchHistorySize: 20, bookmarkIntervalMs: 3_600_000 });
  kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  sim.load([
    application('web', {}, 'dev'),
    application('shop-a', { team: 'shop' }, 'uat'),
    application('shop-b', { team: 'shop', tier: 'web' }, 'uat'),
    application('shop-foreign', { team: 'shop' }, 'prod'),
    application('other', { team: 'other' }, 'uat'),
  ]);
  await store.redis.hset(
    Keys.projects(),
    'demo',
    JSON.stringify({ apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Project', metadata: { name: 'demo' } }),
  );
  await putStage(stage('dev', [{ name: 'web' }]));
  const sub = bus.nc.subscribe('ferry.v1.stage.health.demo', {
    callback: (_err, msg) => {
      seen.push(msg.json() as StageHealthChanged);
    },
  });
  syncer = await startArgoCDSyncer(
    { config: loadConfig({}), log, store, bus },
    {
      kubeConfig: kc,
      pollMs: 500,
      healthRefreshMs: 3_600_000,
      onHealthTracker: (t) => {
        tracker = t;
      },
    },
  );
  cleanup = async () => {
    sub.unsubscribe();
    await syncer.stop();
    await bus.close();
    await store.redis.flushdb();
    await store.close();
    await nats.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  };
});
after(async () => cleanup());

describe('stage health from watches', () => {
  test('an app that turns Degraded after the Promotion makes the Stage Unhealthy, then Healthy', async () => {
    const op = await run({
      project: 'demo',
      opId: 'dev.p1.aaaaaaa/0/0',
      stage: 'dev',
      promotion: 'dev.p1.aaaaaaa',
      appName: 'web',
      appNamespace: NS,
      revision: head,
      timeoutSeconds: 20,
    });
    assert.equal(op.state, 'Healthy');
    const healthy = await healthIs('dev', 'Healthy');
    assert.deepEqual(
      healthy.apps.map((a) => [
        a.name,
        a.state,
        a.healthStatus.status,
        a.syncStatus.status,
        a.desiredRevisions,
      ]),
      [['web', 'Healthy', 'Healthy', 'Synced', [head]]],
    );

    sim.setHealth(NS, 'web', 'Degraded', 'Back-off restarting failed container');
    const sick = await healthIs('dev', 'Unhealthy');
    assert.deepEqual(sick.issues, [
      'Argo CD Application "web" in namespace "argocd" has health state "Degraded": Back-off restarting failed container',
    ]);
    assert.equal(sick.apps[0]?.healthStatus.status, 'Degraded');

    sim.setHealth(NS, 'web', null);
    await healthIs('dev', 'Healthy');
    const facts = await until('three facts', async () => {
      const dev = seen.filter((e) => e.stage === 'dev');
      return dev.length >= 3 ? dev : undefined;
    });
    assert.deepEqual(
      facts.slice(-2).map((e) => [e.previous, e.status]),
      [
        ['Healthy', 'Unhealthy'],
        ['Unhealthy', 'Healthy'],
      ],
    );
  });

  test('a label selector syncs every matching app authorized for the Stage; its health covers them', async () => {
    await putStage(stage('uat', [{ selector: { matchLabels: { team: 'shop' } } }]));
    await bus.publish(
      'DefinitionsApplied',
      { project: 'demo', resources: [{ kind: 'Stage', name: 'uat', generation: 1 }] },
      'applied:demo:uat:1',
    );
    await until('selector watch', async () => (tracker.selectorWatches.size === 1 ? true : undefined));
    assert.equal([...tracker.selectorWatches.values()][0]?.target.labelSelector, 'team=shop');

    const op = await run({
      project: 'demo',
      opId: 'uat.p2.bbbbbbb/0/0',
      stage: 'uat',
      promotion: 'uat.p2.bbbbbbb',
      appName: 'team=shop',
      appNamespace: NS,
      revision: head,
      timeoutSeconds: 20,
      selector: { matchLabels: { team: 'shop' } },
    });
    assert.equal(op.state, 'Healthy', op.message);
    assert.equal(op.message, '2 Application(s) matching team=shop Synced and Healthy: shop-a, shop-b');
    const api = kc.makeApiClient(CustomObjectsApi);
    const get = async (name: string) =>
      (await api.getNamespacedCustomObject({
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace: NS,
        plural: 'applications',
        name,
      })) as Application;
    for (const name of ['shop-a', 'shop-b']) {
      const info = (await get(name)).status?.operationState?.operation?.info;
      assert.deepEqual(info?.[2], { name: 'Ferry-Operation', value: `uat.p2.bbbbbbb/0/0@${name}` });
    }
    assert.equal((await get('shop-foreign')).status?.operationState, undefined, 'not authorized: untouched');
    assert.equal((await get('other')).status?.operationState, undefined, 'not matching: untouched');

    const h: StageHealth = await healthIs('uat', 'Healthy');
    assert.deepEqual(
      h.apps.map((a) => a.name),
      ['shop-a', 'shop-b'],
    );
    // An app leaving the selection leaves the Stage's health.
    sim.setHealth(NS, 'shop-b', 'Degraded');
    await healthIs('uat', 'Unhealthy');
    sim.load([application('shop-b', { team: 'gone' }, 'uat')]);
    const after = await healthIs('uat', 'Healthy');
    assert.deepEqual(
      after.apps.map((a) => a.name),
      ['shop-a'],
    );
  });

  test('a selector matching nothing is Errored with what to fix', async () => {
    const op = await run({
      project: 'demo',
      opId: 'uat.p3.ccccccc/0/0',
      stage: 'uat',
      promotion: 'uat.p3.ccccccc',
      appName: 'team=nobody',
      appNamespace: NS,
      timeoutSeconds: 20,
      selector: { matchLabels: { team: 'nobody' } },
    });
    assert.equal(op.state, 'Errored');
    assert.equal(
      op.message,
      'no Argo CD Applications found matching selector "team=nobody" in namespace "argocd": fix apps[].selector or label the Applications',
    );
  });

  test('argocd-wait with a selector waits for every matching app, authorized or not, touching none', async () => {
    sim.load([application('wave-a', { wave: 'one' }, 'uat'), application('wave-b', { wave: 'one' }, 'prod')]);
    for (const [name, s] of [
      ['wave-a', 'uat'],
      ['wave-b', 'prod'],
    ] as const) {
      const synced = await run({
        project: 'demo',
        opId: `${s}.p4.${name}/0/0`,
        stage: s,
        promotion: `${s}.p4.${name}`,
        appName: name,
        appNamespace: NS,
        revision: head,
        timeoutSeconds: 20,
      });
      assert.equal(synced.state, 'Healthy', synced.message);
    }
    sim.setHealth(NS, 'wave-b', 'Progressing');
    const cmd: SyncArgoCDApp = {
      project: 'demo',
      opId: 'uat.p5.ddddddd/1/0',
      stage: 'uat',
      promotion: 'uat.p5.ddddddd',
      appName: 'wave=one',
      appNamespace: NS,
      timeoutSeconds: 20,
      mode: 'wait',
      selector: { matchLabels: { wave: 'one' } },
    };
    await bus.publish('SyncArgoCDApp', cmd, `t:${cmd.opId}`);
    const children = await until('child operations', async () => {
      const op = (await store.getArgoCDOp(cmd.opId)) as SyncerOp | undefined;
      return op?.children;
    });
    assert.deepEqual(children, ['uat.p5.ddddddd/1/0@wave-a', 'uat.p5.ddddddd/1/0@wave-b']);
    // wave-b (authorized for another Stage: argocd-wait does not ask) is Progressing: still waiting.
    await sleep(1200);
    const waiting = (await store.getArgoCDOp(cmd.opId)) as SyncerOp;
    assert.equal(waiting.state, 'Running');
    assert.equal((await store.getArgoCDOp(`${cmd.opId}@wave-a`))?.state, 'Healthy');
    assert.equal((await store.getArgoCDOp(`${cmd.opId}@wave-b`))?.state, 'Running');

    sim.setHealth(NS, 'wave-b', null);
    const op = await until('wait done', async () => {
      const o = (await store.getArgoCDOp(cmd.opId)) as SyncerOp | undefined;
      return o && o.state !== 'Running' ? o : undefined;
    });
    assert.deepEqual(
      [op.state, op.message],
      ['Healthy', '2 Application(s) matching wave=one Synced and Healthy: wave-a, wave-b'],
    );
    const api = kc.makeApiClient(CustomObjectsApi);
    for (const name of ['wave-a', 'wave-b']) {
      const app = (await api.getNamespacedCustomObject({
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace: NS,
        plural: 'applications',
        name,
      })) as Application;
      const history = (app.status as { history?: unknown[] }).history ?? [];
      assert.equal(history.length, 1, `${name}: the wait started no sync`);
    }

    const none = await run({
      ...cmd,
      opId: 'uat.p6.eeeeeee/1/0',
      promotion: 'uat.p6.eeeeeee',
      appName: 'wave=two',
      selector: { matchLabels: { wave: 'two' } },
    });
    assert.deepEqual(
      [none.state, none.message],
      [
        'Errored',
        'no Argo CD Applications found matching selector "wave=two" in namespace "argocd": fix apps[].selector or label the Applications',
      ],
    );
  });

  test('a watch resumed with a resourceVersion the server no longer keeps lists again (410 Gone)', async () => {
    const changes: string[] = [];
    const w = new AppWatch(
      { cluster: 'kube-sim', kc, api: kc.makeApiClient(CustomObjectsApi), namespace: 'quiet' },
      log,
      { onChange: (k) => changes.push(k), onResync: () => {} },
      { timeoutSeconds: 1 },
    );
    await w.start();
    assert.equal(w.stats.lists, 1);
    // More events than the server's watch history, none in the watched namespace, so the watch's
    // resourceVersion stays behind; when its 1 s request ends it resumes from there and gets 410.
    for (let i = 0; i < 30; i++) sim.setHealth(NS, 'other', i % 2 === 0 ? 'Degraded' : 'Progressing');
    await until('relist', async () => (w.stats.expired >= 1 && w.stats.lists >= 2 ? true : undefined));
    sim.load([{ ...application('late', {}, 'dev'), metadata: { name: 'late', namespace: 'quiet' } }]);
    await until('event after relist', async () => (changes.includes('quiet/late') ? true : undefined));
    w.stop();
  });
});
