import { randomUUID } from 'node:crypto';
import { alreadyExists, badRequest, conflict, expired, invalid, notFound, pathNotFound } from './errors.ts';
import { child, deepEqual, isObject, type JsonObject, pruneNulls, str } from './json.ts';
import { apiVersionOf, type ResourceKind } from './kinds.ts';
import { fieldsOf, parseFieldSelector, parseLabelSelector } from './selectors.ts';

/** Watch event types the store produces (BOOKMARK and ERROR are made by the HTTP layer). */
export const WatchEventType = { Added: 'ADDED', Modified: 'MODIFIED', Deleted: 'DELETED' } as const;
/** One of {@link WatchEventType}. */
export type WatchEventTypeCode = (typeof WatchEventType)[keyof typeof WatchEventType];

/** One committed change, kept in the bounded history that watches resume from. */
export interface StoreEvent {
  readonly type: WatchEventTypeCode;
  readonly kind: ResourceKind;
  /** The object after the change; for DELETED its last state stamped with the deletion's resourceVersion. */
  readonly object: JsonObject;
  /** The object before the change (absent for ADDED), so a selector watch can tell "entered" from "left". */
  readonly previous?: JsonObject;
  /** The global resourceVersion this change got. */
  readonly resourceVersion: number;
}

/** Options for {@link ObjectStore}. */
export interface ObjectStoreOptions {
  /** Clock for creationTimestamp and deletionTimestamp; injected so tests can pin it. */
  now?: () => Date;
  /** How many events watches can resume from before older resourceVersions get 410 Expired (default 1000). */
  historySize?: number;
}

/** Options common to writes. */
export interface WriteOptions {
  /** `dryRun=All`: validate and compute the result, persist nothing, emit nothing. */
  dryRun?: boolean;
}

/** `DeleteOptions` the store honours. */
export interface DeleteOptions extends WriteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** Which objects a list or watch covers. */
export interface SelectOptions {
  /** Only this namespace; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A list: every matching object (no paging) and the resourceVersion it was read at. */
export interface ListResult {
  items: JsonObject[];
  resourceVersion: string;
}

/** What a delete did: removed the object, or only marked it because finalizers remain. */
export interface DeleteResult {
  object: JsonObject;
  deleted: boolean;
}

/** RFC 3339 at second precision, the way `metav1.Time` serialises. */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

function labelsOf(object: JsonObject): Record<string, string> {
  const labels = isObject(object.metadata) ? object.metadata.labels : undefined;
  if (!isObject(labels)) return {};
  return Object.fromEntries(
    Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** Compiles a selection into a predicate; throws SelectorError for a selector that does not parse. */
export function objectMatcher(options: SelectOptions): (object: JsonObject) => boolean {
  const labels = parseLabelSelector(options.labelSelector ?? '');
  const fields = parseFieldSelector(options.fieldSelector ?? '');
  return (object) =>
    (options.namespace === undefined || str(object.metadata, 'namespace') === options.namespace) &&
    labels(labelsOf(object)) &&
    fields(fieldsOf(object));
}

function nonMetadata(object: JsonObject): JsonObject {
  const { metadata: _, ...rest } = object;
  return rest;
}

/**
 * An in-memory registry of namespaced objects per resource kind with the write semantics of the generic
 * registry behind a CRD: one global resourceVersion counter, optimistic concurrency, generation bumps,
 * finalizers, and an ordered event history for watches. All operations are synchronous, so a snapshot
 * taken and a subscription made in the same tick can never miss or repeat an event.
 */
export class ObjectStore {
  readonly #kinds = new Map<string, ResourceKind>();
  readonly #objects = new Map<ResourceKind, Map<string, JsonObject>>();
  readonly #history: StoreEvent[] = [];
  readonly #historySize: number;
  readonly #listeners = new Set<(event: StoreEvent) => void>();
  readonly #pending: StoreEvent[] = [];
  readonly #now: () => Date;
  #dispatching = false;
  #resourceVersion = 0;
  #dropped = 0;

  constructor(options: ObjectStoreOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    this.#historySize = options.historySize ?? 1000;
  }

  /** Makes a kind servable; idempotent. */
  register(kind: ResourceKind): void {
    this.#kinds.set(`${kind.group}/${kind.version}/${kind.plural}`, kind);
    if (!this.#objects.has(kind)) this.#objects.set(kind, new Map());
  }

  /** Registered kinds, in registration order. */
  kinds(): ResourceKind[] {
    return [...this.#kinds.values()];
  }

  /** The kind served at `/apis/{group}/{version}/.../{plural}`, if any. */
  lookup(group: string, version: string, plural: string): ResourceKind | undefined {
    return this.#kinds.get(`${group}/${version}/${plural}`);
  }

  /** The latest resourceVersion, as lists report it. */
  get resourceVersion(): string {
    return String(this.#resourceVersion);
  }

  #bucket(kind: ResourceKind): Map<string, JsonObject> {
    const bucket = this.#objects.get(kind);
    if (!bucket) throw pathNotFound();
    return bucket;
  }

  #require(kind: ResourceKind, namespace: string, name: string): JsonObject {
    const found = this.#bucket(kind).get(`${namespace}/${name}`);
    if (!found) throw notFound(kind, name);
    return found;
  }

  /** A copy of one object; 404 NotFound when absent. */
  get(kind: ResourceKind, namespace: string, name: string): JsonObject {
    return structuredClone(this.#require(kind, namespace, name));
  }

  /** Matching objects ordered by namespace/name, as etcd returns keys. */
  list(kind: ResourceKind, options: SelectOptions = {}): ListResult {
    const matches = objectMatcher(options);
    const items = [...this.#bucket(kind).entries()]
      .filter(([, object]) => matches(object))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => structuredClone(object));
    return { items, resourceVersion: this.resourceVersion };
  }

  /** Checks apiVersion and kind, then returns a null-pruned copy with a metadata object. */
  #admit(kind: ResourceKind, body: unknown): JsonObject {
    if (!isObject(body)) throw badRequest('the request body must be a JSON object');
    const object = pruneNulls(body) as JsonObject;
    if (typeof object.kind !== 'string' || object.kind === '') {
      throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
    }
    if (object.apiVersion !== apiVersionOf(kind)) {
      throw badRequest(
        `the API version in the data (${String(object.apiVersion ?? '')}) does not match the expected API version (${apiVersionOf(kind)})`,
      );
    }
    if (object.kind !== kind.kind) {
      throw badRequest(
        `the kind in the data (${object.kind}) does not match the expected kind (${kind.kind})`,
      );
    }
    if (!isObject(object.metadata)) object.metadata = {};
    return object;
  }

  /** Creates an object in `namespace` (POST); 409 AlreadyExists when the name is taken. */
  create(kind: ResourceKind, namespace: string, body: unknown, options: WriteOptions = {}): JsonObject {
    const object = this.#admit(kind, body);
    const meta = child(object, 'metadata');
    if (str(meta, 'namespace') && meta.namespace !== namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (str(meta, 'resourceVersion'))
      throw badRequest('resourceVersion should not be set on objects to be created');
    const name = str(meta, 'name') ?? '';
    if (name === '') {
      throw invalid(kind, '', [
        { field: 'metadata.name', type: 'FieldValueRequired', detail: 'name or generateName is required' },
      ]);
    }
    if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
      const detail = name.length > 253 ? 'must be no more than 253 characters' : DNS1123_MESSAGE;
      throw invalid(kind, name, [{ field: 'metadata.name', type: 'FieldValueInvalid', value: name, detail }]);
    }
    const bucket = this.#bucket(kind);
    if (bucket.has(`${namespace}/${name}`)) throw alreadyExists(kind, name);
    Object.assign(meta, {
      name,
      namespace,
      uid: randomUUID(),
      creationTimestamp: formatTime(this.#now()),
      generation: 1,
    });
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (options.dryRun) return object;
    meta.resourceVersion = String(++this.#resourceVersion);
    bucket.set(`${namespace}/${name}`, object);
    this.#emit({ type: WatchEventType.Added, kind, object, resourceVersion: this.#resourceVersion });
    return structuredClone(object);
  }

  /** Replaces an object (PUT); a non-empty `metadata.resourceVersion` must be current or it is 409 Conflict. */
  update(
    kind: ResourceKind,
    namespace: string,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): JsonObject {
    const current = this.#require(kind, namespace, name);
    return this.#replace(kind, namespace, name, current, this.#admit(kind, body), options);
  }

  /**
   * Applies `patch` to the current object and stores the result with update semantics (PATCH). A
   * resourceVersion the patch itself sets acts as a precondition, as on a real server.
   */
  patch(
    kind: ResourceKind,
    namespace: string,
    name: string,
    patch: (current: JsonObject) => unknown,
    options: WriteOptions = {},
  ): JsonObject {
    const current = this.#require(kind, namespace, name);
    const next = this.#admit(kind, patch(structuredClone(current)));
    return this.#replace(kind, namespace, name, current, next, options);
  }

  #replace(
    kind: ResourceKind,
    namespace: string,
    name: string,
    current: JsonObject,
    next: JsonObject,
    options: WriteOptions,
  ): JsonObject {
    const meta = child(next, 'metadata');
    const currentMeta = child(current, 'metadata');
    const bodyName = str(meta, 'name') ?? '';
    if (bodyName !== name) {
      throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
    }
    if (str(meta, 'namespace') && meta.namespace !== namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const resourceVersion = str(meta, 'resourceVersion');
    if (resourceVersion && resourceVersion !== currentMeta.resourceVersion) throw conflict(kind, name);
    const uid = str(meta, 'uid');
    if (uid && uid !== currentMeta.uid) {
      throw invalid(kind, name, [
        { field: 'metadata.uid', type: 'FieldValueInvalid', value: uid, detail: 'field is immutable' },
      ]);
    }
    // Server-owned metadata always comes from the stored object, whatever the client sent.
    for (const key of ['uid', 'creationTimestamp', 'generation', 'resourceVersion'] as const) {
      meta[key] = currentMeta[key];
    }
    meta.namespace = namespace;
    for (const key of ['deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
      if (currentMeta[key] === undefined) delete meta[key];
      else meta[key] = currentMeta[key];
    }
    // Without a status subresource every change outside metadata (status included) bumps generation.
    if (!deepEqual(nonMetadata(next), nonMetadata(current)))
      meta.generation = Number(currentMeta.generation) + 1;
    if (deepEqual(next, current)) return structuredClone(current);
    const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
    if (meta.deletionTimestamp !== undefined && finalizers.length === 0) {
      return options.dryRun ? next : this.#remove(kind, namespace, name, next);
    }
    if (options.dryRun) return next;
    meta.resourceVersion = String(++this.#resourceVersion);
    this.#bucket(kind).set(`${namespace}/${name}`, next);
    this.#emit({
      type: WatchEventType.Modified,
      kind,
      object: next,
      previous: current,
      resourceVersion: this.#resourceVersion,
    });
    return structuredClone(next);
  }

  /**
   * Deletes an object (DELETE). With finalizers it only gets a deletionTimestamp (MODIFIED); it goes
   * away when an update empties `metadata.finalizers`.
   */
  delete(kind: ResourceKind, namespace: string, name: string, options: DeleteOptions = {}): DeleteResult {
    const current = this.#require(kind, namespace, name);
    const meta = child(current, 'metadata');
    const pre = options.preconditions ?? {};
    if (pre.uid !== undefined && pre.uid !== meta.uid) {
      throw conflict(
        kind,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${str(meta, 'uid')}`,
      );
    }
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== meta.resourceVersion) {
      throw conflict(
        kind,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${str(meta, 'resourceVersion')}`,
      );
    }
    const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
    if (finalizers.length === 0) {
      return {
        object: options.dryRun ? structuredClone(current) : this.#remove(kind, namespace, name, current),
        deleted: true,
      };
    }
    if (meta.deletionTimestamp !== undefined || options.dryRun)
      return { object: structuredClone(current), deleted: false };
    const marked = structuredClone(current);
    Object.assign(child(marked, 'metadata'), {
      deletionTimestamp: formatTime(this.#now()),
      deletionGracePeriodSeconds: 0,
      resourceVersion: String(++this.#resourceVersion),
    });
    this.#bucket(kind).set(`${namespace}/${name}`, marked);
    this.#emit({
      type: WatchEventType.Modified,
      kind,
      object: marked,
      previous: current,
      resourceVersion: this.#resourceVersion,
    });
    return { object: structuredClone(marked), deleted: false };
  }

  #remove(kind: ResourceKind, namespace: string, name: string, last: JsonObject): JsonObject {
    const gone = structuredClone(last);
    child(gone, 'metadata').resourceVersion = String(++this.#resourceVersion);
    const previous = this.#require(kind, namespace, name);
    this.#bucket(kind).delete(`${namespace}/${name}`);
    this.#emit({
      type: WatchEventType.Deleted,
      kind,
      object: gone,
      previous,
      resourceVersion: this.#resourceVersion,
    });
    return structuredClone(gone);
  }

  /** Events after `resourceVersion`, oldest first; 410 Expired once that version left the bounded history. */
  eventsSince(resourceVersion: number): StoreEvent[] {
    if (resourceVersion < this.#dropped) throw expired(resourceVersion, this.#dropped);
    return this.#history.filter((e) => e.resourceVersion > resourceVersion);
  }

  /** Calls `listener` synchronously, in commit order, for every later change; returns the unsubscribe. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: StoreEvent): void {
    this.#history.push(event);
    if (this.#history.length > this.#historySize) this.#dropped = this.#history.shift()?.resourceVersion ?? 0;
    this.#pending.push(event);
    // A listener that writes would re-enter here; queueing keeps every listener seeing commit order.
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let next = this.#pending.shift(); next; next = this.#pending.shift()) {
        for (const listener of [...this.#listeners]) {
          try {
            listener(next);
          } catch {
            // A failing listener must not undo or block a committed write.
          }
        }
      }
    } finally {
      this.#dispatching = false;
    }
  }
}
