import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './errors.ts';
import type { JsonObject } from './json.ts';
import { APPLICATIONS } from './kinds.ts';
import { ObjectStore, type StoreEvent } from './store.ts';

const T0 = new Date('2025-01-02T03:04:05.678Z');

function newStore(historySize?: number): ObjectStore {
  const store = new ObjectStore({ now: () => T0, historySize });
  store.register(APPLICATIONS);
  return store;
}

function app(name: string, extra: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, labels: { team: 'a' } },
    spec: { project: 'default' },
    ...extra,
  };
}

function rejects(fn: () => unknown, code: number, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, code);
    assert.equal(err.status.message, message);
    return true;
  });
}

describe('ObjectStore', () => {
  it('stamps server metadata on create and counts one global resourceVersion', () => {
    const store = newStore();
    const a = store.create(APPLICATIONS, 'ns', app('a'));
    const b = store.create(APPLICATIONS, 'other', app('b'));
    assert.deepEqual(
      { ...(a.metadata as JsonObject), uid: 'x' },
      {
        name: 'a',
        namespace: 'ns',
        labels: { team: 'a' },
        uid: 'x',
        creationTimestamp: '2025-01-02T03:04:05Z',
        generation: 1,
        resourceVersion: '1',
      },
    );
    assert.equal((b.metadata as JsonObject).resourceVersion, '2');
    assert.equal(store.resourceVersion, '2');
  });

  it('rejects bad creates with the API server messages', () => {
    const store = newStore();
    store.create(APPLICATIONS, 'ns', app('a'));
    const cases: [JsonObject, number, string][] = [
      [app('a'), 409, 'applications.argoproj.io "a" already exists'],
      [
        app(''),
        422,
        'Application.argoproj.io "" is invalid: metadata.name: Required value: name or generateName is required',
      ],
      [
        app('Bad_Name'),
        422,
        `Application.argoproj.io "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
      [
        { ...app('x'), apiVersion: 'v1' },
        400,
        'the API version in the data (v1) does not match the expected API version (argoproj.io/v1alpha1)',
      ],
      [
        { ...app('x'), metadata: { name: 'x', namespace: 'elsewhere' } },
        400,
        'the namespace of the provided object does not match the namespace sent on the request',
      ],
      [
        { ...app('x'), metadata: { name: 'x', resourceVersion: '7' } },
        400,
        'resourceVersion should not be set on objects to be created',
      ],
    ];
    for (const [body, code, message] of cases)
      rejects(() => store.create(APPLICATIONS, 'ns', body), code, message);
  });

  it('bumps generation for any change outside metadata and writes nothing for a no-op', () => {
    const store = newStore();
    store.create(APPLICATIONS, 'ns', app('a'));
    const steps: [string, (o: JsonObject) => void, number, string][] = [
      ['labels', (o) => ((o.metadata as JsonObject).labels = { team: 'b' }), 1, '2'],
      ['spec', (o) => ((o.spec as JsonObject).project = 'p'), 2, '3'],
      ['status', (o) => (o.status = { health: { status: 'Healthy' } }), 3, '4'],
      ['nothing', () => undefined, 3, '4'],
      ['null pruned to nothing', (o) => (o.operation = null), 3, '4'],
    ];
    for (const [what, change, generation, resourceVersion] of steps) {
      const updated = store.patch(APPLICATIONS, 'ns', 'a', (o) => {
        change(o);
        return o;
      });
      const meta = updated.metadata as JsonObject;
      assert.deepEqual([meta.generation, meta.resourceVersion], [generation, resourceVersion], what);
    }
  });

  it('keeps server-owned metadata and enforces resourceVersion and uid on update', () => {
    const store = newStore();
    const created = store.create(APPLICATIONS, 'ns', app('a'));
    const meta = created.metadata as JsonObject;
    const updated = store.update(APPLICATIONS, 'ns', 'a', {
      ...created,
      metadata: { name: 'a', creationTimestamp: '1999-01-01T00:00:00Z', generation: 40 },
      spec: { project: 'q' },
    });
    assert.equal((updated.metadata as JsonObject).creationTimestamp, meta.creationTimestamp);
    assert.equal((updated.metadata as JsonObject).generation, 2);
    rejects(
      () => store.update(APPLICATIONS, 'ns', 'a', created),
      409,
      'Operation cannot be fulfilled on applications.argoproj.io "a": the object has been modified; please apply your changes to the latest version and try again',
    );
    rejects(
      () => store.update(APPLICATIONS, 'ns', 'a', { ...app('b') }),
      400,
      'the name of the object (b) does not match the name on the URL (a)',
    );
    rejects(
      () => store.update(APPLICATIONS, 'ns', 'a', { ...app('a'), metadata: { name: 'a', uid: 'other' } }),
      422,
      'Application.argoproj.io "a" is invalid: metadata.uid: Invalid value: "other": field is immutable',
    );
    rejects(
      () => store.update(APPLICATIONS, 'ns', 'zz', app('zz')),
      404,
      'applications.argoproj.io "zz" not found',
    );
  });

  it('marks objects with finalizers and removes them once the finalizers are gone', () => {
    const store = newStore();
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    store.create(APPLICATIONS, 'ns', app('f', { metadata: { name: 'f', finalizers: ['x'] } }));
    const marked = store.delete(APPLICATIONS, 'ns', 'f');
    assert.equal(marked.deleted, false);
    assert.equal((marked.object.metadata as JsonObject).deletionTimestamp, '2025-01-02T03:04:05Z');
    const again = store.delete(APPLICATIONS, 'ns', 'f');
    assert.equal(
      (again.object.metadata as JsonObject).resourceVersion,
      '2',
      'a second delete changes nothing',
    );
    store.patch(APPLICATIONS, 'ns', 'f', (o) => {
      (o.metadata as JsonObject).finalizers = [];
      return o;
    });
    assert.deepEqual(
      events.map((e) => [e.type, e.resourceVersion]),
      [
        ['ADDED', 1],
        ['MODIFIED', 2],
        ['DELETED', 3],
      ],
    );
    assert.equal((events[2]?.object.metadata as JsonObject | undefined)?.resourceVersion, '3');
    rejects(() => store.get(APPLICATIONS, 'ns', 'f'), 404, 'applications.argoproj.io "f" not found');
  });

  it('checks delete preconditions', () => {
    const store = newStore();
    store.create(APPLICATIONS, 'ns', app('p'));
    rejects(
      () => store.delete(APPLICATIONS, 'ns', 'p', { preconditions: { resourceVersion: '9' } }),
      409,
      'Operation cannot be fulfilled on applications.argoproj.io "p": Precondition failed: ResourceVersion in precondition: 9, ResourceVersion in object meta: 1',
    );
    assert.equal(store.delete(APPLICATIONS, 'ns', 'p', { dryRun: true }).deleted, true);
    assert.equal(store.list(APPLICATIONS).items.length, 1, 'a dry run deletes nothing');
  });

  it('lists in key order with selectors', () => {
    const store = newStore();
    for (const [ns, name, team] of [
      ['b', 'x', 'a'],
      ['a', 'y', 'b'],
      ['a', 'x', 'a'],
    ] as const) {
      store.create(APPLICATIONS, ns, app(name, { metadata: { name, labels: { team } } }));
    }
    const keys = (items: JsonObject[]) =>
      items.map((o) => `${(o.metadata as JsonObject).namespace}/${(o.metadata as JsonObject).name}`);
    assert.deepEqual(keys(store.list(APPLICATIONS).items), ['a/x', 'a/y', 'b/x']);
    assert.deepEqual(keys(store.list(APPLICATIONS, { labelSelector: 'team=a' }).items), ['a/x', 'b/x']);
    assert.deepEqual(keys(store.list(APPLICATIONS, { namespace: 'a' }).items), ['a/x', 'a/y']);
  });

  it('replays history after a resourceVersion and expires what it dropped', () => {
    const store = newStore(3);
    for (const name of ['a', 'b', 'c', 'd', 'e']) store.create(APPLICATIONS, 'ns', app(name));
    assert.deepEqual(
      store.eventsSince(3).map((e) => e.resourceVersion),
      [4, 5],
    );
    assert.deepEqual(
      store.eventsSince(2).map((e) => e.resourceVersion),
      [3, 4, 5],
    );
    rejects(() => store.eventsSince(1), 410, 'too old resource version: 1 (2)');
  });

  it('delivers events in commit order even when a listener writes', () => {
    const store = newStore();
    const seen: string[] = [];
    store.subscribe((e) => {
      if (e.type === 'ADDED') store.patch(APPLICATIONS, 'ns', 'a', (o) => ({ ...o, status: { x: 1 } }));
    });
    store.subscribe((e) => seen.push(`${e.type}@${e.resourceVersion}`));
    store.create(APPLICATIONS, 'ns', app('a'));
    assert.deepEqual(seen, ['ADDED@1', 'MODIFIED@2']);
  });
});
