// The Argo CD simulator against real git repositories (file:// and smart HTTP), observed the way Ferry's
// argocd-syncer observes a real Argo CD: through @kubernetes/client-node patches and a Watch.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { git, startGitServer, tempDir } from '@ferry/support';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from './index.ts';
import { type Obj, watchUntil } from './testing.ts';

const APP = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' } as const;
const NS = 'argocd';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function kustomization(tag: string): string {
  return [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    '- ../../base',
    'images:',
    '- name: app',
    '  newName: registry.example/team/app',
    `  newTag: "${tag}"`,
    '',
  ].join('\n');
}

/** A bare repo at a file:// URL plus a work tree that commits and pushes to it. */
async function fileRepo(dir: string) {
  const bare = join(dir, 'config.git');
  const work = join(dir, 'work');
  await git(['init', '--quiet', '--bare', '--initial-branch=main', bare], { cwd: dir });
  await git(['init', '--quiet', '--initial-branch=main', work], { cwd: dir });
  return {
    url: `file://${bare}`,
    async commit(files: Record<string, string>, message: string): Promise<string> {
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(work, path)), { recursive: true });
        await writeFile(join(work, path), text);
      }
      await git(['add', '--all'], { cwd: work });
      await git(['commit', '--quiet', '-m', message], { cwd: work });
      await git(['push', '--quiet', bare, 'main', '--tags'], { cwd: work });
      return (await git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
    },
    async tag(name: string, sha: string): Promise<void> {
      await git(['tag', name, sha], { cwd: work });
      await git(['push', '--quiet', bare, name], { cwd: work });
    },
  };
}

function application(name: string, repoURL: string, path = 'apps/dev'): Obj {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: NS },
    spec: {
      project: 'default',
      source: { repoURL, path, targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'dev' },
    },
  };
}

/** The operation Kargo's argocd-update step writes (initiatedBy, info, sync). */
function kargoOperation(sync: Obj, promotion = 'p-1'): Obj {
  return {
    initiatedBy: { username: 'kargo-controller', automated: true },
    info: [
      { name: 'Reason', value: 'Promotion triggered a sync of this Application resource.' },
      { name: 'kargo.akuity.io/promotion', value: promotion },
    ],
    sync,
  };
}

describe('Argo CD simulator', () => {
  let dir: string;
  let sim: KubeSim;
  let kc: KubeConfig;
  let api: CustomObjectsApi;
  let repo: Awaited<ReturnType<typeof fileRepo>>;
  let sha1: string;
  let sha2: string;

  /** Watches one app until `ready(app)`; `trigger` runs once the watch is open. */
  const until = async (name: string, ready: (app: Obj) => boolean, trigger?: () => Promise<unknown>) =>
    await watchUntil(
      kc,
      `/apis/argoproj.io/v1alpha1/namespaces/${NS}/applications`,
      { fieldSelector: `metadata.name=${name}` },
      (events) => ready(events.at(-1)?.object ?? {}),
      trigger,
    );
  const patch = (name: string, body: Obj) =>
    api.patchNamespacedCustomObject({ ...APP, namespace: NS, name, body }, merge);
  const create = (body: Obj) => api.createNamespacedCustomObject({ ...APP, namespace: NS, body });
  const finished = (app: Obj) =>
    app.operation === undefined &&
    ['Succeeded', 'Error', 'Failed'].includes(app.status?.operationState?.phase);

  before(async () => {
    dir = await tempDir('kube-sim-argocd');
    repo = await fileRepo(dir);
    sha1 = await repo.commit(
      { 'apps/dev/kustomization.yaml': kustomization('1.0.0'), 'base/kustomization.yaml': 'resources: []\n' },
      'one',
    );
    await repo.tag('v1', sha1);
    sha2 = await repo.commit({ 'apps/dev/kustomization.yaml': kustomization('1.1.0') }, 'two');
    sim = await startKubeSim({ workDir: join(dir, 'sim') });
    kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    api = kc.makeApiClient(CustomObjectsApi);
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refreshes a new app: OutOfSync at the target revision, health Missing', async () => {
    const events = await until(
      'fresh',
      (a) => a.status?.reconciledAt !== undefined,
      () => create(application('fresh', repo.url)),
    );
    const app = events.at(-1)?.object;
    assert.equal(app.status.sync.status, 'OutOfSync');
    assert.equal(app.status.sync.revision, sha2);
    assert.deepEqual(app.status.sync.comparedTo, {
      source: app.spec.source,
      destination: app.spec.destination,
    });
    assert.equal(app.status.health.status, 'Missing');
    assert.equal(app.status.sourceType, 'Kustomize');
  });

  it('syncs to the requested commit: Running, then Synced, Succeeded, Progressing, Healthy', async () => {
    await create(application('web', repo.url));
    const operation = kargoOperation({ revision: sha1 });
    const events = await until(
      'web',
      (a) => a.status?.health?.status === 'Healthy' && a.status?.operationState?.phase === 'Succeeded',
      () => patch('web', { operation }),
    );
    const phases = events.map((e) => e.object.status?.operationState?.phase);
    assert.ok(phases.indexOf('Running') < phases.indexOf('Succeeded'), `phases seen: ${phases.join(',')}`);
    const health = events.map((e) => e.object.status?.health?.status);
    assert.ok(health.indexOf('Progressing') < health.indexOf('Healthy'), `health seen: ${health.join(',')}`);

    const app = events.at(-1)?.object;
    assert.equal('operation' in app, false);
    assert.deepEqual(app.status.sync, {
      status: 'Synced',
      revision: sha1,
      comparedTo: { source: app.spec.source, destination: app.spec.destination },
    });
    assert.deepEqual(app.status.summary, { images: ['registry.example/team/app:1.0.0'] });
    const state = app.status.operationState;
    assert.deepEqual(state.operation, operation);
    assert.equal(state.message, 'successfully synced (all tasks run)');
    assert.deepEqual(state.syncResult, { revision: sha1, source: app.spec.source });
    assert.match(state.startedAt, /Z$/);
    assert.match(state.finishedAt, /Z$/);
    assert.equal(app.status.history.length, 1);
    assert.deepEqual(
      { ...app.status.history[0], deployedAt: undefined, deployStartedAt: undefined },
      {
        id: 0,
        revision: sha1,
        source: app.spec.source,
        initiatedBy: operation.initiatedBy,
        deployedAt: undefined,
        deployStartedAt: undefined,
      },
    );
    assert.match(app.status.reconciledAt, /Z$/);
  });

  it('resolves a tag, a short sha and a branch; empty Kargo revisions fall back to targetRevision', async () => {
    await create(application('revs', repo.url));
    const cases: [string, string, string][] = [
      ['v1', sha1, 'registry.example/team/app:1.0.0'],
      [sha2.slice(0, 8), sha2, 'registry.example/team/app:1.1.0'],
      ['main', sha2, 'registry.example/team/app:1.1.0'],
    ];
    for (const [revision, sha, image] of cases) {
      const events = await until(
        'revs',
        (a) => finished(a) && a.status.operationState.operation.sync.revision === revision,
        () => patch('revs', { operation: kargoOperation({ revision }) }),
      );
      const app = events.at(-1)?.object;
      assert.equal(
        app.status.operationState.phase,
        'Succeeded',
        `${revision}: ${app.status.operationState.message}`,
      );
      assert.equal(app.status.sync.revision, sha, revision);
      assert.deepEqual(app.status.summary.images, [image], revision);
    }
    // What Kargo's argocd-update does today: new targetRevision in the spec, a hard refresh, empty revisions.
    const events = await until(
      'revs',
      (a) => finished(a) && a.status.operationState.operation.info[1].value === 'p-kargo',
      () =>
        patch('revs', {
          metadata: { annotations: { 'argocd.argoproj.io/refresh': 'hard' } },
          spec: { source: { targetRevision: sha1 } },
          operation: kargoOperation({ revisions: [] }, 'p-kargo'),
          status: { operationState: null },
        }),
    );
    const app = events.at(-1)?.object;
    assert.equal(app.status.operationState.phase, 'Succeeded');
    assert.equal(app.status.sync.revision, sha1);
    assert.equal(
      app.metadata.annotations?.['argocd.argoproj.io/refresh'],
      undefined,
      'refresh annotation removed',
    );
    assert.deepEqual(
      app.status.history.map((h: Obj) => [h.id, h.revision]),
      [
        [0, sha1],
        [1, sha2],
        [2, sha2],
        [3, sha1],
      ],
    );
  });

  it('reports an unresolvable revision or a missing path as an Error operation with a ComparisonError', async () => {
    await create(application('broken', repo.url));
    let events = await until('broken', finished, () =>
      patch('broken', { operation: kargoOperation({ revision: 'no-such-branch' }) }),
    );
    let app = events.at(-1)?.object;
    const message =
      "Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = unable to resolve 'no-such-branch' to a commit SHA";
    assert.equal(app.status.operationState.phase, 'Error');
    assert.equal(app.status.operationState.message, `ComparisonError: ${message}`);
    assert.equal(app.status.sync.status, 'Unknown');
    assert.deepEqual(
      app.status.conditions.map((c: Obj) => [c.type, c.message]),
      [['ComparisonError', message]],
    );
    assert.equal(app.status.history, undefined);

    await create(application('nopath', repo.url, 'apps/nope'));
    events = await until('nopath', finished, () =>
      patch('nopath', { operation: kargoOperation({ revision: sha1 }) }),
    );
    app = events.at(-1)?.object;
    assert.equal(app.status.operationState.phase, 'Error');
    assert.match(app.status.operationState.message, /desc = apps\/nope: app path does not exist$/);
  });

  it('fails the next sync on request and forces health', async () => {
    await create(application('trouble', repo.url));
    await until('trouble', (a) => a.status?.reconciledAt !== undefined);
    sim.failNextSync(NS, 'trouble', 'one or more objects failed to apply, reason: quota exceeded');
    let app = (
      await until('trouble', finished, () =>
        patch('trouble', { operation: kargoOperation({ revision: sha1 }) }),
      )
    ).at(-1)?.object;
    assert.equal(app.status.operationState.phase, 'Failed');
    assert.equal(
      app.status.operationState.message,
      'one or more objects failed to apply, reason: quota exceeded',
    );
    assert.equal(app.status.sync.status, 'OutOfSync');
    assert.equal(app.status.history, undefined);

    sim.setHealth(NS, 'trouble', 'Degraded', 'Deployment "app" exceeded its progress deadline');
    app = (
      await until(
        'trouble',
        (a) => finished(a) && a.status.operationState.operation.info[1].value === 'p-2',
        () => patch('trouble', { operation: kargoOperation({ revision: sha1 }, 'p-2') }),
      )
    ).at(-1)?.object;
    assert.equal(app.status.operationState.phase, 'Succeeded');
    assert.equal(app.status.health.status, 'Degraded');
    assert.equal(app.status.health.message, 'Deployment "app" exceeded its progress deadline');
    await until(
      'trouble',
      (a) => a.status.health.status === 'Healthy',
      async () => sim.setHealth(NS, 'trouble', null),
    );
  });

  it('syncs multi-source apps with sync.revisions', async () => {
    const body = application('multi', repo.url);
    delete body.spec.source;
    body.spec.sources = [
      { repoURL: repo.url, path: 'apps/dev', targetRevision: 'main' },
      { repoURL: repo.url, path: 'base', targetRevision: 'main' },
    ];
    await create(body);
    const app = (
      await until(
        'multi',
        (a) => finished(a) && a.status.health.status === 'Healthy',
        () => patch('multi', { operation: kargoOperation({ revisions: [sha1, ''] }) }),
      )
    ).at(-1)?.object;
    assert.equal(app.status.operationState.phase, 'Succeeded');
    assert.deepEqual(app.status.sync.revisions, [sha1, sha2]);
    assert.deepEqual(app.status.sync.comparedTo, {
      sources: body.spec.sources,
      destination: body.spec.destination,
    });
    assert.deepEqual(app.status.operationState.syncResult, {
      revisions: [sha1, sha2],
      sources: body.spec.sources,
    });
    assert.deepEqual(app.status.history[0].revisions, [sha1, sha2]);
    assert.deepEqual(app.status.summary.images, ['registry.example/team/app:1.0.0']);
  });

  it('releases the Argo CD resources finalizer so a deleted app goes away', async () => {
    const body = application('doomed', repo.url);
    body.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io'];
    await create(body);
    const events = await watchUntil(
      kc,
      `/apis/argoproj.io/v1alpha1/namespaces/${NS}/applications`,
      { fieldSelector: 'metadata.name=doomed' },
      (seen) => seen.some((e) => e.type === 'DELETED'),
      () => api.deleteNamespacedCustomObject({ ...APP, namespace: NS, name: 'doomed' }),
    );
    const deleted = events.find((e) => e.type === 'DELETED')?.object;
    assert.equal(typeof deleted.metadata.deletionTimestamp, 'string');
    assert.deepEqual(deleted.metadata.finalizers ?? [], []);
  });

  it('fetches from a smart-HTTP git server', async () => {
    const server = await startGitServer();
    try {
      const url = await server.createRepo('cfg', { 'apps/dev/kustomization.yaml': kustomization('2.0.0') });
      const [head] = await server.commits('cfg');
      await create(application('http', url));
      const app = (
        await until('http', finished, () =>
          patch('http', { operation: kargoOperation({ revision: 'HEAD' }) }),
        )
      ).at(-1)?.object;
      assert.equal(app.status.operationState.phase, 'Succeeded', app.status.operationState.message);
      assert.equal(app.status.sync.revision, head?.sha);
      assert.deepEqual(app.status.summary.images, ['registry.example/team/app:2.0.0']);
    } finally {
      await server.close();
    }
  });
});
