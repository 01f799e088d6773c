import { posix } from 'node:path';
import { ApiError } from './errors.ts';
import type { GitCache } from './git.ts';
import { child, deepEqual, isObject, type JsonObject, str } from './json.ts';
import { APPLICATIONS } from './kinds.ts';
import { KUSTOMIZATION_FILES, kustomizationImages } from './kustomize.ts';
import { formatTime, type ObjectStore, type StoreEvent } from './store.ts';

/** Argo CD health status codes (`health.HealthStatusCode`). */
export const HealthStatus = {
  Healthy: 'Healthy',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
  Suspended: 'Suspended',
  Missing: 'Missing',
  Unknown: 'Unknown',
} as const;
/** One of {@link HealthStatus}. */
export type HealthStatusCode = (typeof HealthStatus)[keyof typeof HealthStatus];

/**
 * Phases of `status.operationState.phase`. `Error` is what Argo CD reports when it cannot even build the
 * target state (unresolvable revision, missing path: a ComparisonError); `Failed` when applying failed.
 */
export const OperationPhase = {
  Running: 'Running',
  Terminating: 'Terminating',
  Failed: 'Failed',
  Error: 'Error',
  Succeeded: 'Succeeded',
} as const;
/** One of {@link OperationPhase}. */
export type OperationPhaseCode = (typeof OperationPhase)[keyof typeof OperationPhase];

/** Annotation that asks the controller for a refresh; the controller removes it once refreshed. */
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';
const ARGOCD_FINALIZERS = [
  'resources-finalizer.argocd.argoproj.io',
  'post-delete-finalizer.argocd.argoproj.io',
];
const COMPARISON_CONDITIONS = new Set(['ComparisonError', 'InvalidSpecError']);

/** Options for {@link ArgoCdSimulator}. */
export interface ArgoCdSimulatorOptions {
  store: ObjectStore;
  git: GitCache;
  /** Delay between a finished sync (health Progressing) and health Healthy; default 50 ms. */
  healthDelayMs?: number;
  now?: () => Date;
  /** Called with unexpected errors (bugs, not sync failures); defaults to console.error. */
  onError?: (err: unknown) => void;
}

/** Why the target state could not be built: becomes an app condition and an `Error` operation. */
class ComparisonFailure extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.name = 'ComparisonFailure';
    this.type = type;
  }
}

interface Plan {
  multi: boolean;
  sources: JsonObject[];
  revisions: string[];
}

interface Rendered {
  revision: string;
  images: string[];
  sourceType: 'Kustomize' | 'Directory';
}

interface Comparison {
  plan: Plan;
  comparedTo: JsonObject;
  result: Rendered[] | ComparisonFailure;
}

/**
 * The sources and revisions a sync (or refresh) targets, as Argo CD's `newSyncOperationResult` and
 * `CompareAppState` pick them: a rollback's own source(s) over the spec's, `sync.revision` (single
 * source) or `sync.revisions[i]` (multi-source) over `targetRevision`, and `HEAD` when all are empty.
 */
function planOf(app: JsonObject, operation?: JsonObject): Plan {
  const spec = isObject(app.spec) ? app.spec : {};
  const sync = isObject(operation?.sync) ? operation.sync : {};
  const listOf = (v: unknown) => (Array.isArray(v) && v.length > 0 ? v.filter(isObject) : undefined);
  const specSources = listOf(spec.sources);
  if (specSources) {
    const sources = listOf(sync.sources) ?? specSources;
    const wanted = Array.isArray(sync.revisions) ? sync.revisions : [];
    const revisions = sources.map((s, i) => {
      const w = wanted[i];
      return (typeof w === 'string' && w) || str(s, 'targetRevision') || 'HEAD';
    });
    return { multi: true, sources, revisions };
  }
  const source = isObject(sync.source) ? sync.source : isObject(spec.source) ? spec.source : {};
  return {
    multi: false,
    sources: [source],
    revisions: [str(sync, 'revision') || str(source, 'targetRevision') || 'HEAD'],
  };
}

/**
 * Plays the Argo CD application controller for Applications in the store: runs requested sync
 * operations against git, refreshes new or annotated apps, reports health, releases finalizers. Every
 * change is an ordinary store write, so API clients see it as resourceVersion bumps and watch events.
 */
export class ArgoCdSimulator {
  readonly #store: ObjectStore;
  readonly #git: GitCache;
  readonly #healthDelayMs: number;
  readonly #now: () => Date;
  readonly #onError: (err: unknown) => void;
  readonly #queues = new Map<string, Promise<void>>();
  readonly #queued = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #forcedHealth = new Map<string, JsonObject>();
  readonly #failNext = new Map<string, string>();
  readonly #slowNext = new Map<string, number>();
  readonly #sleepers = new Set<() => void>();
  #unsubscribe: (() => void) | undefined;
  #stopped = false;

  constructor(options: ArgoCdSimulatorOptions) {
    this.#store = options.store;
    this.#git = options.git;
    this.#healthDelayMs = options.healthDelayMs ?? 50;
    this.#now = options.now ?? (() => new Date());
    this.#onError = options.onError ?? ((err) => console.error('kube-sim: argocd simulator:', err));
  }

  /** Starts reacting to Application changes, including the ones already stored. */
  start(): void {
    this.#unsubscribe = this.#store.subscribe((event) => this.#onEvent(event));
    for (const app of this.#store.list(APPLICATIONS).items)
      this.#enqueue(str(app.metadata, 'namespace') ?? '', str(app.metadata, 'name') ?? '');
  }

  /** Stops reacting, cancels pending health changes and waits for in-flight work. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const wake of [...this.#sleepers]) wake();
    await Promise.all(this.#queues.values());
  }

  /**
   * Forces `status.health` of an app to `status` (now and after every later sync) until called with
   * null, which releases it; a released app that has synced before reports Healthy again.
   */
  setHealth(namespace: string, name: string, status: HealthStatusCode | null, message?: string): void {
    const key = `${namespace}/${name}`;
    this.#store.get(APPLICATIONS, namespace, name);
    if (status === null) {
      this.#forcedHealth.delete(key);
      this.#mutate(namespace, name, (app) => {
        const appStatus = child(app, 'status');
        if (Array.isArray(appStatus.history) && appStatus.history.length > 0)
          this.#setHealth(appStatus, { status: HealthStatus.Healthy });
      });
      return;
    }
    const health: JsonObject = message === undefined ? { status } : { status, message };
    this.#forcedHealth.set(key, health);
    this.#mutate(namespace, name, (app) => this.#setHealth(child(app, 'status'), health));
  }

  /** Makes the next sync of the app fail (phase Failed, sync OutOfSync) with `message`, as an apply error would. */
  failNextSync(namespace: string, name: string, message: string): void {
    this.#failNext.set(`${namespace}/${name}`, message);
  }

  /** Makes the app's next sync stay in phase Running for `ms` before it completes. */
  slowNextSync(namespace: string, name: string, ms: number): void {
    this.#slowNext.set(`${namespace}/${name}`, ms);
  }

  #onEvent(event: StoreEvent): void {
    if (event.kind !== APPLICATIONS || event.type === 'DELETED') return;
    this.#enqueue(str(event.object.metadata, 'namespace') ?? '', str(event.object.metadata, 'name') ?? '');
  }

  /** One reconcile at a time per app; a burst of events while one is queued collapses into it. */
  #enqueue(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    if (this.#stopped || this.#queued.has(key)) return;
    this.#queued.add(key);
    const next = (this.#queues.get(key) ?? Promise.resolve())
      .then(async () => {
        this.#queued.delete(key);
        await this.#reconcile(namespace, name);
      })
      .catch((err: unknown) => this.#onError(err));
    this.#queues.set(key, next);
    void next.then(() => {
      if (this.#queues.get(key) === next) this.#queues.delete(key);
    });
  }

  #read(namespace: string, name: string): JsonObject | undefined {
    try {
      return this.#store.get(APPLICATIONS, namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  /** Applies `change` to the latest app and writes it back, re-reading on conflict like a controller patch. */
  #mutate(namespace: string, name: string, change: (app: JsonObject) => void): JsonObject | undefined {
    for (let attempt = 0; attempt < 5; attempt++) {
      const app = this.#read(namespace, name);
      if (!app) return undefined;
      change(app);
      try {
        return this.#store.update(APPLICATIONS, namespace, name, app);
      } catch (err) {
        if (!(err instanceof ApiError) || (err.code !== 409 && err.code !== 404)) throw err;
        if (err.code === 404) return undefined;
      }
    }
    throw new Error(`kube-sim: could not update application ${namespace}/${name} after 5 conflicts`);
  }

  async #reconcile(namespace: string, name: string): Promise<void> {
    const app = this.#read(namespace, name);
    if (!app || this.#stopped) return;
    const meta = child(app, 'metadata');
    if (meta.deletionTimestamp !== undefined) {
      // Argo CD deletes the app's resources, then drops its finalizers; there are no resources here.
      this.#mutate(namespace, name, (a) => {
        const m = child(a, 'metadata');
        if (Array.isArray(m.finalizers))
          m.finalizers = m.finalizers.filter((f) => !ARGOCD_FINALIZERS.includes(String(f)));
      });
      return;
    }
    if (isObject(app.operation)) return await this.#sync(namespace, name, app.operation);
    const annotations = isObject(meta.annotations) ? meta.annotations : {};
    if (annotations[REFRESH_ANNOTATION] !== undefined || str(app.status, 'reconciledAt') === undefined) {
      await this.#refresh(namespace, name, app);
    }
  }

  async #render(plan: Plan): Promise<Rendered[]> {
    const rendered: Rendered[] = [];
    for (const [i, source] of plan.sources.entries()) {
      const fail = (detail: string) =>
        new ComparisonFailure(
          'ComparisonError',
          `Failed to load target state: failed to generate manifest for source ${i + 1} of ${plan.sources.length}: rpc error: code = Unknown desc = ${detail}`,
        );
      const repoURL = str(source, 'repoURL') ?? '';
      const path = str(source, 'path') ?? '';
      if (repoURL === '' || path === '') {
        const which = plan.multi ? ` for source ${i + 1}` : '';
        throw new ComparisonFailure(
          'InvalidSpecError',
          `spec.source.repoURL and either spec.source.path or spec.source.chart are required${which}`,
        );
      }
      if (path.startsWith('/')) throw fail(`${path}: app path is absolute`);
      const dir = posix.normalize(path).replace(/\/+$/, '');
      if (dir === '..' || dir.startsWith('../')) throw fail(`${path}: app path outside root`);
      const treePath = dir === '.' ? '' : dir;
      let clone: string;
      try {
        clone = await this.#git.fetch(repoURL);
      } catch (err) {
        throw fail(`failed to list refs: ${err instanceof Error ? err.message : String(err)}`);
      }
      const revision = plan.revisions[i] ?? 'HEAD';
      const sha = await this.#git.resolve(clone, revision);
      if (!sha) throw fail(`unable to resolve '${revision}' to a commit SHA`);
      const type = await this.#git.typeOf(clone, sha, treePath);
      if (type === undefined) throw fail(`${path}: app path does not exist`);
      if (type !== 'tree') throw fail(`${path}: app path is not a directory`);
      let text: string | undefined;
      for (const file of KUSTOMIZATION_FILES) {
        text ??= await this.#git.readFile(clone, sha, treePath === '' ? file : `${treePath}/${file}`);
      }
      let images: string[] = [];
      try {
        if (text !== undefined) images = kustomizationImages(text);
      } catch (err) {
        throw fail(`\`kustomize build ${path}\` failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      rendered.push({ revision: sha, images, sourceType: text === undefined ? 'Directory' : 'Kustomize' });
    }
    return rendered;
  }

  #setHealth(status: JsonObject, health: JsonObject): void {
    const current = isObject(status.health) ? status.health : {};
    if (current.status === health.status && current.message === health.message) return;
    status.health = { ...health, lastTransitionTime: formatTime(this.#now()) };
  }

  /** Resolves and renders what `app` (or the operation) targets, the way a comparison would. */
  async #compare(app: JsonObject, operation?: JsonObject): Promise<Comparison> {
    const plan = planOf(app, operation);
    const destination = isObject(app.spec) && isObject(app.spec.destination) ? app.spec.destination : {};
    const comparedTo: JsonObject = plan.multi
      ? { sources: plan.sources, destination }
      : { source: plan.sources[0], destination };
    try {
      return { plan, comparedTo, result: await this.#render(plan) };
    } catch (err) {
      if (!(err instanceof ComparisonFailure)) throw err;
      return { plan, comparedTo, result: err };
    }
  }

  /**
   * Writes a comparison into the app: `status.sync` (Unknown and a ComparisonError condition when it
   * failed), source type(s) and reconciledAt, and drops the refresh annotation it has now answered.
   */
  #record(app: JsonObject, { plan, comparedTo, result }: Comparison, code: string): void {
    const status = child(app, 'status');
    const now = formatTime(this.#now());
    const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter(
      (c) => !COMPARISON_CONDITIONS.has(str(c, 'type') ?? ''),
    );
    const sync: JsonObject = { status: code, comparedTo };
    if (result instanceof ComparisonFailure) {
      conditions.push({ type: result.type, message: result.message, lastTransitionTime: now });
      sync.status = 'Unknown';
    } else if (plan.multi) {
      sync.revisions = result.map((r) => r.revision);
      status.sourceTypes = result.map((r) => r.sourceType);
    } else {
      sync.revision = result[0]?.revision;
      status.sourceType = result[0]?.sourceType;
    }
    if (conditions.length > 0) status.conditions = conditions;
    else delete status.conditions;
    status.sync = sync;
    status.reconciledAt = now;
    const annotations = child(app, 'metadata').annotations;
    if (isObject(annotations)) delete annotations[REFRESH_ANNOTATION];
  }

  async #sync(namespace: string, name: string, requested: JsonObject): Promise<void> {
    const key = `${namespace}/${name}`;
    const operation = structuredClone(requested);
    const running: JsonObject = {
      operation,
      phase: OperationPhase.Running,
      message: 'one or more tasks are running',
      startedAt: formatTime(this.#now()),
    };
    const app = this.#mutate(namespace, name, (a) => {
      child(a, 'status').operationState = running;
    });
    if (!app) return;
    const slow = this.#slowNext.get(key);
    if (slow !== undefined) {
      // An operation that takes a while (a long apply): it stays Running meanwhile.
      this.#slowNext.delete(key);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, slow);
        this.#sleepers.add(wake);
      });
      if (this.#stopped) return;
    }
    // Completing clears `operation`, unless a client already replaced it with a newer request.
    const finish = (
      phase: OperationPhaseCode,
      message: string,
      change: (a: JsonObject, status: JsonObject) => void,
    ) =>
      this.#mutate(namespace, name, (a) => {
        const status = child(a, 'status');
        status.operationState = { ...running, phase, message, finishedAt: formatTime(this.#now()) };
        change(a, status);
        if (deepEqual(a.operation, requested)) delete a.operation;
      });
    if (!isObject(operation.sync)) {
      finish(OperationPhase.Error, 'Invalid operation request: no operation specified', () => undefined);
      return;
    }
    const comparison = await this.#compare(app, operation);
    const { plan, result } = comparison;
    if (result instanceof ComparisonFailure) {
      finish(OperationPhase.Error, `${result.type}: ${result.message}`, (a) =>
        this.#record(a, comparison, 'Unknown'),
      );
      return;
    }
    const syncResult: JsonObject = plan.multi
      ? { revisions: result.map((r) => r.revision), sources: plan.sources }
      : { revision: result[0]?.revision, source: plan.sources[0] };
    const failure = this.#failNext.get(key);
    if (failure !== undefined) {
      this.#failNext.delete(key);
      finish(OperationPhase.Failed, failure, (a, status) => {
        this.#record(a, comparison, 'OutOfSync');
        (status.operationState as JsonObject).syncResult = syncResult;
      });
      return;
    }
    let historyId = 0;
    finish(OperationPhase.Succeeded, 'successfully synced (all tasks run)', (a, status) => {
      this.#record(a, comparison, 'Synced');
      (status.operationState as JsonObject).syncResult = syncResult;
      const history = Array.isArray(status.history) ? status.history.filter(isObject) : [];
      historyId = history.length > 0 ? Number(history.at(-1)?.id ?? -1) + 1 : 0;
      const entry: JsonObject = plan.multi
        ? { revisions: syncResult.revisions, sources: plan.sources }
        : { revision: syncResult.revision, source: plan.sources[0] };
      Object.assign(entry, {
        id: historyId,
        deployedAt: formatTime(this.#now()),
        deployStartedAt: running.startedAt,
      });
      if (isObject(operation.initiatedBy)) entry.initiatedBy = operation.initiatedBy;
      const spec = isObject(a.spec) ? a.spec : {};
      const limit = typeof spec.revisionHistoryLimit === 'number' ? spec.revisionHistoryLimit : 10;
      status.history = limit > 0 ? [...history, entry].slice(-limit) : [];
      // Argo CD reports the images of the live resources, deduplicated and sorted.
      const images = [...new Set(result.flatMap((r) => r.images))].sort();
      const summary = child(status, 'summary');
      if (images.length > 0) summary.images = images;
      else delete summary.images;
      this.#setHealth(status, this.#forcedHealth.get(key) ?? { status: HealthStatus.Progressing });
    });
    if (this.#forcedHealth.has(key) || this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#mutate(namespace, name, (a) => {
        const status = child(a, 'status');
        const last = Array.isArray(status.history) ? status.history.at(-1) : undefined;
        // A newer sync or a forced health since this one started owns the health now.
        if (this.#forcedHealth.has(key) || !isObject(last) || last.id !== historyId) return;
        if (str(status.health, 'status') === HealthStatus.Progressing) {
          this.#setHealth(status, { status: HealthStatus.Healthy });
        }
      });
    }, this.#healthDelayMs);
    this.#timers.add(timer);
  }

  /**
   * A refresh without a sync: resolves the target revision(s), reports Synced when they are what was last
   * synced from the same source(s) and OutOfSync otherwise, and Missing health for an app never synced.
   */
  async #refresh(namespace: string, name: string, app: JsonObject): Promise<void> {
    const comparison = await this.#compare(app);
    const { plan, result } = comparison;
    this.#mutate(namespace, name, (a) => {
      const status = child(a, 'status');
      const last = Array.isArray(status.history) ? status.history.at(-1) : undefined;
      const revisions = Array.isArray(result) ? result.map((r) => r.revision) : [];
      const inSync =
        isObject(last) &&
        (plan.multi
          ? deepEqual(last.revisions, revisions) && deepEqual(last.sources, plan.sources)
          : last.revision === revisions[0] && deepEqual(last.source, plan.sources[0]));
      this.#record(a, comparison, inSync ? 'Synced' : 'OutOfSync');
      if (result instanceof ComparisonFailure) return;
      const forced = this.#forcedHealth.get(`${namespace}/${name}`);
      if (forced) this.#setHealth(status, forced);
      else if (!isObject(status.health)) this.#setHealth(status, { status: HealthStatus.Missing });
    });
  }
}
