// The API server as the real @kubernetes/client-node 2.x sees it: every request goes through
// KubeConfig.loadFromFile(kubeconfigPath), CustomObjectsApi and Watch, never through a hand-made fetch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from './index.ts';
import { failure, type Obj, watchUntil } from './testing.ts';

const APP = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' } as const;
const NS = 'argocd';

function application(name: string, labels: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: NS, labels },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example/repo.git', path: 'apps/dev', targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'dev' },
    },
  };
}

describe('kube-sim API server through @kubernetes/client-node', () => {
  let sim: KubeSim;
  let kc: KubeConfig;
  let api: CustomObjectsApi;
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  before(async () => {
    sim = await startKubeSim({ argocd: false, watchHistorySize: 20 });
    kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    api = kc.makeApiClient(CustomObjectsApi);
  });
  after(async () => await sim.close());

  it('creates, gets and lists with server-set metadata', async () => {
    const created: Obj = await api.createNamespacedCustomObject({
      ...APP,
      namespace: NS,
      body: application('crud', { tier: 'web' }),
    });
    assert.equal(created.metadata.name, 'crud');
    assert.equal(created.metadata.generation, 1);
    assert.match(created.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(created.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(created.metadata.resourceVersion, /^\d+$/);

    const got: Obj = await api.getNamespacedCustomObject({ ...APP, namespace: NS, name: 'crud' });
    assert.deepEqual(got, created);

    await api.createNamespacedCustomObject({
      ...APP,
      namespace: NS,
      body: application('other', { tier: 'db' }),
    });
    const list: Obj = await api.listNamespacedCustomObject({
      ...APP,
      namespace: NS,
      labelSelector: 'tier in (web,cache)',
    });
    assert.equal(list.kind, 'ApplicationList');
    assert.equal(list.apiVersion, 'argoproj.io/v1alpha1');
    assert.match(list.metadata.resourceVersion, /^\d+$/);
    assert.deepEqual(
      list.items.map((i: Obj) => i.metadata.name),
      ['crud'],
    );
    const notDb: Obj = await api.listClusterCustomObject({ ...APP, labelSelector: 'tier!=db' });
    assert.deepEqual(
      notDb.items.map((i: Obj) => i.metadata.name),
      ['crud'],
    );
    const byName: Obj = await api.listNamespacedCustomObject({
      ...APP,
      namespace: NS,
      fieldSelector: 'metadata.name=other',
    });
    assert.deepEqual(
      byName.items.map((i: Obj) => i.metadata.name),
      ['other'],
    );
  });

  it('answers AlreadyExists, NotFound and Conflict with real Status bodies', async () => {
    await api.createNamespacedCustomObject({ ...APP, namespace: NS, body: application('dup') });
    assert.deepEqual(
      await failure(api.createNamespacedCustomObject({ ...APP, namespace: NS, body: application('dup') })),
      {
        code: 409,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'applications.argoproj.io "dup" already exists',
          reason: 'AlreadyExists',
          details: { name: 'dup', group: 'argoproj.io', kind: 'applications' },
          code: 409,
        },
      },
    );
    assert.deepEqual(
      await failure(api.getNamespacedCustomObject({ ...APP, namespace: NS, name: 'missing' })),
      {
        code: 404,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'applications.argoproj.io "missing" not found',
          reason: 'NotFound',
          details: { name: 'missing', group: 'argoproj.io', kind: 'applications' },
          code: 404,
        },
      },
    );

    const stale: Obj = await api.getNamespacedCustomObject({ ...APP, namespace: NS, name: 'dup' });
    await api.patchNamespacedCustomObject(
      { ...APP, namespace: NS, name: 'dup', body: { metadata: { labels: { a: 'b' } } } },
      merge,
    );
    stale.spec.project = 'other';
    const { code, body } = await failure(
      api.replaceNamespacedCustomObject({ ...APP, namespace: NS, name: 'dup', body: stale }),
    );
    assert.equal(code, 409);
    assert.equal(body.reason, 'Conflict');
    assert.equal(
      body.message,
      'Operation cannot be fulfilled on applications.argoproj.io "dup": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('replaces with the current resourceVersion and bumps generation on any non-metadata change', async () => {
    const created: Obj = await api.createNamespacedCustomObject({
      ...APP,
      namespace: NS,
      body: application('put'),
    });
    created.spec.source.targetRevision = 'v2';
    const replaced: Obj = await api.replaceNamespacedCustomObject({
      ...APP,
      namespace: NS,
      name: 'put',
      body: created,
    });
    assert.equal(replaced.metadata.generation, 2);
    assert.ok(Number(replaced.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    const labelled: Obj = await api.patchNamespacedCustomObject(
      { ...APP, namespace: NS, name: 'put', body: { metadata: { labels: { x: 'y' } } } },
      merge,
    );
    assert.equal(labelled.metadata.generation, 2, 'a metadata-only change keeps generation');
    const withStatus: Obj = await api.patchNamespacedCustomObject(
      { ...APP, namespace: NS, name: 'put', body: { status: { health: { status: 'Healthy' } } } },
      merge,
    );
    // No status subresource (as Argo CD's CRD): status lives in the main resource and counts as a change.
    assert.equal(withStatus.metadata.generation, 3);
    const same: Obj = await api.replaceNamespacedCustomObject({
      ...APP,
      namespace: NS,
      name: 'put',
      body: withStatus,
    });
    assert.equal(
      same.metadata.resourceVersion,
      withStatus.metadata.resourceVersion,
      'a no-op update writes nothing',
    );
  });

  it('merge-patches only with an explicit Content-Type; the client default is JSON patch', async () => {
    await api.createNamespacedCustomObject({ ...APP, namespace: NS, body: application('patchy') });
    // How a client must call merge patch with client-node 2.x: pass setHeaderOptions as the options argument.
    const patched: Obj = await api.patchNamespacedCustomObject(
      {
        ...APP,
        namespace: NS,
        name: 'patchy',
        body: { spec: { source: { targetRevision: 'abc123' } }, operation: null },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(patched.spec.source.targetRevision, 'abc123');
    assert.equal(patched.spec.source.path, 'apps/dev', 'merge keeps sibling fields');
    assert.equal('operation' in patched, false);

    // Without options the client sends application/json-patch+json; an object body then fails as on a real server.
    assert.deepEqual(
      await failure(
        api.patchNamespacedCustomObject({ ...APP, namespace: NS, name: 'patchy', body: { spec: {} } }),
      ),
      {
        code: 400,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message:
            'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp',
          reason: 'BadRequest',
          code: 400,
        },
      },
    );
    // ...and an operation array is the body that default was made for.
    const jsonPatched: Obj = await api.patchNamespacedCustomObject({
      ...APP,
      namespace: NS,
      name: 'patchy',
      body: [
        { op: 'test', path: '/spec/source/targetRevision', value: 'abc123' },
        { op: 'add', path: '/status', value: { health: { status: 'Healthy' } } },
      ],
    });
    assert.equal(jsonPatched.status.health.status, 'Healthy');
    const failedTest = await failure(
      api.patchNamespacedCustomObject({
        ...APP,
        namespace: NS,
        name: 'patchy',
        body: [{ op: 'test', path: '/spec/source/targetRevision', value: 'nope' }],
      }),
    );
    assert.equal(failedTest.code, 422);

    const strategic = await failure(
      api.patchNamespacedCustomObject(
        { ...APP, namespace: NS, name: 'patchy', body: { spec: {} } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    assert.equal(strategic.code, 415);
    assert.equal(strategic.body.reason, 'UnsupportedMediaType');
    assert.equal(
      strategic.body.message,
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json',
    );
  });

  it('deletes with a Success Status and holds objects with finalizers until they are released', async () => {
    const created: Obj = await api.createNamespacedCustomObject({
      ...APP,
      namespace: NS,
      body: application('gone'),
    });
    const deleted: Obj = await api.deleteNamespacedCustomObject({ ...APP, namespace: NS, name: 'gone' });
    assert.deepEqual(deleted, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'gone', group: 'argoproj.io', kind: 'applications', uid: created.metadata.uid },
    });
    const held = application('held');
    held.metadata.finalizers = ['example.com/hold'];
    await api.createNamespacedCustomObject({ ...APP, namespace: NS, body: held });
    const marked: Obj = await api.deleteNamespacedCustomObject({ ...APP, namespace: NS, name: 'held' });
    assert.equal(typeof marked.metadata.deletionTimestamp, 'string');
    await api.patchNamespacedCustomObject(
      { ...APP, namespace: NS, name: 'held', body: { metadata: { finalizers: null } } },
      merge,
    );
    assert.equal(
      (await failure(api.getNamespacedCustomObject({ ...APP, namespace: NS, name: 'held' }))).code,
      404,
    );
  });

  it('streams ADDED and MODIFIED events to a client-node Watch', async () => {
    const path = `/apis/argoproj.io/v1alpha1/namespaces/${NS}/applications`;
    const events = await watchUntil(
      kc,
      path,
      { fieldSelector: 'metadata.name=watched' },
      (seen) => seen.some((e) => e.type === 'MODIFIED'),
      async () => {
        await api.createNamespacedCustomObject({ ...APP, namespace: NS, body: application('watched') });
        await api.patchNamespacedCustomObject(
          { ...APP, namespace: NS, name: 'watched', body: { spec: { source: { targetRevision: 'v9' } } } },
          merge,
        );
      },
    );
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name]),
      [
        ['ADDED', 'watched'],
        ['MODIFIED', 'watched'],
      ],
    );
    assert.equal(events[1]?.object.spec.source.targetRevision, 'v9');

    // Resuming from the first event's resourceVersion replays exactly what came after it.
    const resumed = await watchUntil(
      kc,
      path,
      { fieldSelector: 'metadata.name=watched', resourceVersion: events[0]?.object.metadata.resourceVersion },
      (seen) => seen.length === 1,
    );
    assert.deepEqual(
      resumed.map((e) => [e.type, e.object.metadata.resourceVersion]),
      [['MODIFIED', events[1]?.object.metadata.resourceVersion]],
    );
  });

  it('answers a too-old resourceVersion with an ERROR event carrying 410 Expired', async () => {
    const first: Obj = await api.createNamespacedCustomObject({
      ...APP,
      namespace: NS,
      body: application('churn'),
    });
    for (let i = 0; i < 25; i++) {
      await api.patchNamespacedCustomObject(
        { ...APP, namespace: NS, name: 'churn', body: { metadata: { labels: { i: String(i) } } } },
        merge,
      );
    }
    const events = await watchUntil(
      kc,
      `/apis/argoproj.io/v1alpha1/namespaces/${NS}/applications`,
      { resourceVersion: first.metadata.resourceVersion },
      (seen) => seen.length === 1,
    );
    assert.equal(events[0]?.type, 'ERROR');
    assert.equal(events[0]?.object.kind, 'Status');
    assert.equal(events[0]?.object.code, 410);
    assert.equal(events[0]?.object.reason, 'Expired');
    assert.match(
      events[0]?.object.message,
      new RegExp(`^too old resource version: ${first.metadata.resourceVersion} \\(\\d+\\)$`),
    );
  });

  it('sends bookmarks when allowed and ends the watch after timeoutSeconds', async () => {
    const quick = await startKubeSim({ argocd: false, bookmarkIntervalMs: 50 });
    try {
      const qkc = new KubeConfig();
      qkc.loadFromFile(quick.kubeconfigPath);
      const events = await watchUntil(
        qkc,
        '/apis/argoproj.io/v1alpha1/applications',
        { allowWatchBookmarks: true, timeoutSeconds: 1 },
        (seen) => seen.length >= 2,
      );
      assert.deepEqual(events[0], {
        type: 'BOOKMARK',
        object: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { resourceVersion: '0' },
        },
      });
      const ended = await new Promise<number>((resolve) => {
        const start = Date.now();
        void new Watch(qkc).watch(
          '/apis/argoproj.io/v1alpha1/applications',
          { timeoutSeconds: 1 },
          () => undefined,
          () => resolve(Date.now() - start),
        );
      });
      // Not before the second is up; the upper bound only tells "ended by the timeout" from a hang.
      assert.ok(ended >= 900 && ended < 15_000, `watch ended after ${ended} ms`);
    } finally {
      await quick.close();
    }
  });

  it('rejects requests without the kubeconfig token with 401 Status, serving health and discovery', async () => {
    const anonymous = await fetch(`${sim.url}/apis/argoproj.io/v1alpha1/applications`);
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await anonymous.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
    const wrong = new KubeConfig();
    wrong.loadFromOptions({
      clusters: [{ name: 'c', server: sim.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'not-the-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const denied = await failure(wrong.makeApiClient(CustomObjectsApi).listClusterCustomObject({ ...APP }));
    assert.equal(denied.code, 401);
    assert.equal((await fetch(`${sim.url}/healthz`)).status, 200);

    const resources: Obj = await api.getAPIResources({ group: 'argoproj.io', version: 'v1alpha1' });
    assert.deepEqual(
      resources.resources.map((r: Obj) => [r.name, r.kind, r.namespaced, r.shortNames]),
      [['applications', 'Application', true, ['app', 'apps']]],
    );
  });
});
