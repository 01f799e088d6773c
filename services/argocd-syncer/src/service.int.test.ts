/**
 * argocd-syncer against two kube-sims (one kubeconfig with two contexts), real git, Redis and a
 * private NATS: Kargo semantics of argocd-update, argocd-wait and several clusters.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Bus } from '@ferry/bus';
import { loadConfig } from '@ferry/config';
import type { SyncArgoCDApp } from '@ferry/contracts';
import { type KubeSim, mergedKubeconfigYaml, startKubeSim } from '@ferry/kube-sim';
import { createLogger } from '@ferry/observability';
import type { RunningService } from '@ferry/runtime';
import { Store } from '@ferry/store';
import { git, startNatsServer, type TestNatsServer, tempDir } from '@ferry/support';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Application, SyncerOp } from './evaluate.ts';
import { startArgoCDSyncer } from './index.ts';

const NS = 'argocd';
const APP = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', namespace: NS } as const;
const log = createLogger('argocd-syncer-test', 'silent');
let nats: TestNatsServer;
let store: Store;
let bus: Bus;
let east: KubeSim;
let west: KubeSim;
let syncer: RunningService;
let repoURL: string;
let head: string;
let first: string;
const apis: Record<string, CustomObjectsApi> = {};
let cleanup: () => Promise<void>;

async function configRepo(root: string): Promise<{ url: string; commit(tag: string): Promise<string> }> {
  const bare = join(root, 'config.git');
  const work = join(root, 'work');
  await git(['init', '--quiet', '--bare', '--initial-branch=main', bare], { cwd: root });
  await git(['init', '--quiet', '--initial-branch=main', work], { cwd: root });
  return {
    url: `file://${bare}`,
    async commit(tag) {
      const file = join(work, 'apps/dev/kustomization.yaml');
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, `images:\n- name: app\n  newTag: "${tag}"\n`);
      await git(['add', '--all'], { cwd: work });
      await git(['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '--quiet', '-m', tag], { cwd: work });
      await git(['push', '--quiet', bare, 'main'], { cwd: work });
      return (await git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
    },
  };
}

function application(name: string, spec: Record<string, unknown>, stage = 'dev'): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: NS, annotations: { 'kargo.akuity.io/authorized-stage': `demo:${stage}` } },
    spec: {
      project: 'default',
      destination: { server: 'https://kubernetes.default.svc', namespace: 'dev' },
      ...spec,
    },
  };
}

const sync = (opId: string, appName: string, extra: Partial<SyncArgoCDApp> = {}): SyncArgoCDApp => ({
  project: 'demo',
  opId,
  stage: 'dev',
  promotion: `dev.${opId}`,
  appName,
  appNamespace: NS,
  timeoutSeconds: 20,
  ...extra,
});

/** Sends the command and waits for the operation to leave Running. */
async function run(cmd: SyncArgoCDApp, timeoutMs = 20_000): Promise<SyncerOp> {
  await bus.publish('SyncArgoCDApp', cmd, `t:${cmd.opId}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const op = (await store.getArgoCDOp(cmd.opId)) as SyncerOp | undefined;
    if (op && op.state !== 'Running') return op;
    if (Date.now() > deadline) assert.fail(`operation ${cmd.opId} still ${JSON.stringify(op)}`);
    await sleep(50);
  }
}

// The same repository under a second URL, so a multi-source app has two distinct sources.
const otherURL = () => repoURL.replace('/config.git', '/./config.git');

const getApp = async (cluster: string, name: string): Promise<Application> =>
  (await apis[cluster]?.getNamespacedCustomObject({ ...APP, name })) as Application;

before(async () => {
  const dir = await tempDir('argocd-syncer');
  const repo = await configRepo(dir);
  repoURL = repo.url;
  first = await repo.commit('v1');
  head = await repo.commit('v2');
  nats = await startNatsServer();
  store = Store.connect('redis://127.0.0.1:6379/9', 'argocd-syncer-test');
  await store.redis.flushdb();
  bus = await Bus.connect({ servers: nats.url, name: 'argocd-syncer-test', log, maxDeliver: 3 });
  east = await startKubeSim({ healthDelayMs: 100 });
  west = await startKubeSim({ healthDelayMs: 100 });
  const kc = new KubeConfig();
  kc.loadFromString(
    mergedKubeconfigYaml([
      { context: 'east', server: east.url, token: east.token },
      { context: 'west', server: west.url, token: west.token },
    ]),
  );
  for (const ctx of ['east', 'west']) {
    const one = new KubeConfig();
    one.loadFromString(kc.exportConfig());
    one.setCurrentContext(ctx);
    apis[ctx] = one.makeApiClient(CustomObjectsApi);
  }
  const single = { source: { repoURL, path: 'apps/dev', targetRevision: 'main' } };
  east.load([
    application('web', single),
    application('slow', single),
    application('sick', single),
    application('images', single),
    application('multi', {
      sources: [
        { repoURL, path: 'apps/dev', targetRevision: first },
        { repoURL: otherURL(), path: 'apps/dev', targetRevision: 'main' },
      ],
    }),
  ]);
  west.load([application('web', single)]);
  syncer = await startArgoCDSyncer(
    { config: loadConfig({}), log, store, bus },
    { kubeConfig: kc, pollMs: 500 },
  );
  cleanup = async () => {
    await syncer.stop();
    await bus.close();
    await store.redis.flushdb();
    await store.close();
    await nats.close();
    await Promise.all([east.close(), west.close()]);
    await rm(dir, { recursive: true, force: true });
  };
});
after(async () => cleanup());

describe('argocd-syncer', () => {
  test('syncs to the pushed revision and waits for Healthy, with Kargo-style operation', async () => {
    const op = await run(sync('web-1', 'web', { revision: head }));
    assert.equal(op.state, 'Healthy');
    assert.equal(op.message, `argocd/web Synced and Healthy at ${head.slice(0, 7)}`);
    const app = await getApp('east', 'web');
    const history = (app.status as { history: Array<{ initiatedBy: unknown }> }).history;
    assert.deepEqual(history.at(-1)?.initiatedBy, { username: 'ferry', automated: false });
    assert.deepEqual(app.status?.operationState?.operation?.info?.[1], {
      name: 'Promotion',
      value: 'dev.web-1',
    });
    assert.equal(app.metadata.annotations?.['argocd.argoproj.io/refresh'], undefined, 'refresh done');
  });

  test('updateTargetRevision and kustomize.images are written to the app', async () => {
    const op = await run(
      sync('images-1', 'images', {
        sources: [
          {
            repoURL,
            desiredRevision: first,
            updateTargetRevision: true,
            kustomize: { images: [{ repoURL: 'ghcr.io/acme/web', tag: 'v9' }] },
          },
        ],
      }),
    );
    assert.equal(op.state, 'Healthy', op.message);
    const app = await getApp('east', 'images');
    assert.deepEqual(app.spec?.source, {
      repoURL,
      path: 'apps/dev',
      targetRevision: first,
      kustomize: { images: ['ghcr.io/acme/web:v9'] },
    });
    assert.equal(app.status?.sync?.revision, first);
  });

  test('multi-source: desiredRevision of the second source is observed', async () => {
    const op = await run(
      sync('multi-1', 'multi', { sources: [{ repoURL: otherURL(), desiredRevision: head }] }),
    );
    assert.equal(op.state, 'Healthy', op.message);
    assert.deepEqual(op.revisions, ['', head]);
    assert.deepEqual((await getApp('east', 'multi')).status?.sync?.revisions, [first, head]);
  });

  test('an operation someone else started is waited for before ours', async () => {
    east.slowNextSync(NS, 'slow', 1500);
    await apis.east?.patchNamespacedCustomObject(
      {
        ...APP,
        name: 'slow',
        body: { operation: { initiatedBy: { username: 'alice' }, sync: { revision: first } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    for (;;) {
      if ((await getApp('east', 'slow')).status?.operationState?.phase === 'Running') break;
      await sleep(20);
    }
    const sent = Date.now();
    const op = await run(sync('slow-1', 'slow', { revision: head }));
    assert.equal(op.state, 'Healthy', op.message);
    const app = await getApp('east', 'slow');
    assert.equal(app.status?.sync?.revision, head);
    const history = (app.status as { history: Array<{ initiatedBy: { username: string } }> }).history;
    assert.deepEqual(
      history.map((h) => h.initiatedBy.username),
      ['alice', 'ferry'],
    );
    assert.ok(Date.now() - sent >= 1000, 'waited for the running operation');
  });

  test('Degraded fails; a failed sync fails', async () => {
    east.setHealth(NS, 'sick', 'Degraded', 'crash loop');
    const degraded = await run(sync('sick-1', 'sick', { revision: head }));
    assert.deepEqual(
      [degraded.state, degraded.message],
      ['Failed', `argocd/sick is Degraded at ${head.slice(0, 7)}: crash loop`],
    );
    east.setHealth(NS, 'sick', null);
    east.failNextSync(NS, 'sick', 'one or more objects failed to apply');
    const failed = await run(sync('sick-2', 'sick', { revision: head }));
    assert.deepEqual(
      [failed.state, failed.message],
      ['Failed', 'sync of argocd/sick Failed: one or more objects failed to apply'],
    );
  });

  test('two clusters from one kubeconfig; argocd-wait waits without syncing', async () => {
    const op = await run(sync('west-1', 'web', { cluster: 'west', revision: first }));
    assert.equal(op.state, 'Healthy', op.message);
    assert.equal((await getApp('west', 'web')).status?.sync?.revision, first);
    const waited = await run(sync('west-wait', 'web', { cluster: 'west', mode: 'wait' }));
    assert.deepEqual(
      [waited.state, waited.message],
      ['Healthy', `argocd/web Synced and Healthy at ${first.slice(0, 7)}`],
    );
    const history = (await getApp('west', 'web')).status as { history: unknown[] };
    assert.equal(history.history.length, 1, 'wait did not sync');
    const unknown = await run(sync('nowhere-1', 'web', { cluster: 'north' }));
    assert.deepEqual(
      [unknown.state, unknown.message],
      [
        'Errored',
        'cluster "north" is not a context of the argocd-syncer\'s kubeconfig (contexts: east, west): fix apps[].cluster or add the context',
      ],
    );
  });
});
