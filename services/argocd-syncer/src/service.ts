import type {
  ArgoCDAppSelector,
  DefinitionsApplied,
  DefinitionsDeleted,
  SyncArgoCDApp,
} from '@ferry/contracts';
import { argocdOperations, argocdWait, secondsBetween } from '@ferry/metrics';
import { contextFromTraceparent, currentTraceId, Kinds, traceparentOf, withSpan } from '@ferry/observability';
import { every, type RunningService, type ServiceDeps } from '@ferry/runtime';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  type Application,
  authorizationProblem,
  desiredSources,
  evaluateOp,
  foreignOperation,
  SourceUpdateError,
  type SyncerOp,
  syncPatch,
} from './evaluate.ts';
import { selectorProblems, selectorString } from './health.ts';
import { StageHealthTracker } from './stage-health.ts';
import { AppWatch, type AppWatchOptions } from './watch.ts';

const GROUP = 'argoproj.io';
const VERSION = 'v1alpha1';
const PLURAL = 'applications';

/** Options for tests. */
export interface SyncerOptions {
  /** Kubeconfig to use instead of `KUBECONFIG` / the default one. */
  kubeConfig?: KubeConfig;
  /** The clock decisions use. */
  clock?: () => Date;
  /** How often in-flight operations are looked at besides the watch (default 2 s). */
  pollMs?: number;
  /** How often Stage definitions are re-read for health watches (default the reconcile interval). */
  healthRefreshMs?: number;
  /** Backoff and timeouts of the Application watches. */
  watchOptions?: AppWatchOptions;
  /** Called with the Stage health tracker once it runs (tests look at its watches). */
  onHealthTracker?: (tracker: StageHealthTracker) => void;
}

/** A child operation of a selector operation: `<parent opId>@<app name>`. */
const childOpId = (parent: string, app: string) => `${parent}@${app}`;

const statusOf = (err: unknown): number | undefined => {
  const e = err as { code?: number; statusCode?: number };
  return e?.code ?? e?.statusCode;
};

/** One Argo CD installation: a kubeconfig context with its own API client and watch. */
interface Cluster {
  name: string;
  kc: KubeConfig;
  api: CustomObjectsApi;
}

/**
 * One client per context of the kubeconfig, so one syncer serves several Argo CD installations;
 * an op without a cluster uses the current context.
 */
export function clustersOf(kc: KubeConfig): { clusters: Map<string, Cluster>; defaultCluster: string } {
  const clusters = new Map<string, Cluster>();
  for (const ctx of kc.getContexts()) {
    const one = new KubeConfig();
    one.loadFromOptions({
      clusters: kc.getClusters(),
      users: kc.getUsers(),
      contexts: kc.getContexts(),
      currentContext: ctx.name,
    });
    clusters.set(ctx.name, { name: ctx.name, kc: one, api: one.makeApiClient(CustomObjectsApi) });
  }
  return { clusters, defaultCluster: kc.getCurrentContext() };
}

/**
 * argocd-syncer: updates Argo CD Applications' sources and starts a sync operation (as Kargo's
 * argocd-update does), or only waits (argocd-wait), and reports when each is Synced and Healthy.
 * Operations live in Redis; one watch per kubeconfig context (and a slow poll behind them)
 * finishes them, so a waiting sync holds no worker and survives restarts.
 */
export async function startArgoCDSyncer(
  deps: ServiceDeps,
  options: SyncerOptions = {},
): Promise<RunningService> {
  const { bus, store, log, config } = deps;
  const clock = options.clock ?? (() => new Date());
  const kc = options.kubeConfig ?? new KubeConfig();
  if (!options.kubeConfig) {
    if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
    else kc.loadFromDefault();
  }
  const { clusters, defaultCluster } = clustersOf(kc);
  const clusterOf = (name: string | undefined): Cluster | undefined => clusters.get(name || defaultCluster);
  const where = (op: SyncerOp) => `${op.cluster ? `${op.cluster}:` : ''}${op.appNamespace}/${op.appName}`;

  /**
   * Runs one Kubernetes call in a CLIENT span `kubernetes <verb>` with the app and cluster. Inside a
   * Promotion's handler it is a child of the active span; from the watch or the poll (no trace
   * active) it continues the op's trace, so no call of a Promotion lands in a trace of its own.
   */
  const kubeSpan = <T>(
    verb: 'get' | 'patch',
    cluster: Cluster,
    app: string,
    extra: Record<string, string>,
    traceparent: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> =>
    withSpan(
      `kubernetes ${verb}`,
      {
        kind: Kinds.client,
        attributes: { 'ferry.app': app, 'ferry.cluster': cluster.name, 'k8s.verb': verb, ...extra },
        ...(currentTraceId() ? {} : { parent: contextFromTraceparent(traceparent) }),
      },
      fn,
    );

  const getApp = async (
    cluster: Cluster,
    namespace: string,
    name: string,
    traceparent?: string,
  ): Promise<Application | undefined> =>
    kubeSpan('get', cluster, `${namespace}/${name}`, {}, traceparent, async () => {
      try {
        return (await cluster.api.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
          name,
        })) as Application;
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    });

  const finish = async (op: SyncerOp, state: SyncerOp['state'], message: string): Promise<void> => {
    const done: SyncerOp = { ...op, state, message, finishedAt: clock().toISOString() };
    await store.putArgoCDOp(done);
    if (state === 'Healthy' && op.mode !== 'wait' && op.stage && !op.children) {
      // What the Promotion synced the app to is what its Stage's health checks from now on.
      await tracker
        ?.recordDesired(
          op.project,
          op.stage,
          { ...(op.cluster ? { cluster: op.cluster } : {}), namespace: op.appNamespace, name: op.appName },
          op.revisions ?? (op.revision ? [op.revision] : []),
        )
        .catch((err) => log.warn({ err, op: op.opId }, 'recording desired revisions failed'));
    }
    if (op.parent) {
      // One app of a selector operation: the Promotion only waits for the whole of it.
      log.info({ op: op.opId, app: where(op), state, message }, 'argo cd operation finished');
      return settleParent(op.parent);
    }
    const outcome = state === 'Healthy' ? 'healthy' : state === 'Failed' ? 'failed' : 'errored';
    argocdOperations.inc({ outcome });
    const waited = secondsBetween(op.startedAt, done.finishedAt);
    if (waited !== undefined) argocdWait.observe({ outcome }, waited);
    log.info({ op: op.opId, app: where(op), state, message }, 'argo cd operation finished');
    // The watch that noticed it runs outside any trace: continue the Promotion's.
    await withSpan(`argocd ${state.toLowerCase()}`, { parent: contextFromTraceparent(op.traceparent) }, () =>
      bus.publish(
        'ArgoCDSynced',
        {
          project: op.project,
          opId: op.opId,
          outcome: state === 'Healthy' ? 'Healthy' : state === 'Failed' ? 'Failed' : 'Errored',
          message,
        },
        `argocd-synced:${op.opId}`,
      ),
    );
  };

  /** Writes the source updates, the hard refresh and the sync operation onto the app. */
  const patchSync = async (cluster: Cluster, op: SyncerOp, app: Application) => {
    const desired = desiredSources(app, op.sources ?? [], op.revision);
    const attributes = {
      'ferry.project': op.project,
      'ferry.promotion': op.promotion ?? op.opId,
      'ferry.revision': op.revision ?? '',
    };
    await kubeSpan('patch', cluster, `${op.appNamespace}/${op.appName}`, attributes, op.traceparent, () =>
      cluster.api.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: op.appNamespace,
          plural: PLURAL,
          name: op.appName,
          body: syncPatch({
            opId: op.opId,
            promotion: op.promotion ?? op.opId,
            revision: op.revision,
            desired,
          }),
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    const started: SyncerOp = { ...op, pending: false, revisions: desired.revisions };
    await store.putArgoCDOp(started);
    log.info({ op: op.opId, app: where(op), revisions: desired.revisions }, 'argo cd sync requested');
  };

  /** A selector operation ends when every app's operation has: Failed or Errored wins, with every message. */
  const settleParent = async (parentId: string): Promise<void> => {
    const parent = (await store.getArgoCDOp(parentId)) as SyncerOp | undefined;
    if (parent?.state !== 'Running' || !parent.children) return;
    const kids = await Promise.all(parent.children.map((id) => store.getArgoCDOp(id)));
    if (kids.some((k) => !k || k.state === 'Running')) return;
    const state = kids.some((k) => k?.state === 'Errored')
      ? 'Errored'
      : kids.some((k) => k?.state === 'Failed')
        ? 'Failed'
        : 'Healthy';
    const bad = kids.filter((k) => k && k.state !== 'Healthy');
    const message =
      state === 'Healthy'
        ? `${kids.length} Application(s) matching ${parent.appName} Synced and Healthy: ${kids.map((k) => (k as SyncerOp).appName).join(', ')}`
        : bad.map((k) => k?.message ?? '').join('; ');
    await finish(parent, state, message);
  };

  const patching = new Set<string>();
  const check = async (opId: string, seen?: Application): Promise<void> => {
    const op = (await store.getArgoCDOp(opId)) as SyncerOp | undefined;
    if (!op) return;
    if (op.state !== 'Running') {
      await store.putArgoCDOp(op); // drops it from the in-flight set
      return;
    }
    if (op.children) return settleParent(op.opId);
    const cluster = clusterOf(op.cluster);
    if (!cluster) return finish(op, 'Errored', `cluster ${op.cluster} is no longer in the kubeconfig`);
    const app = seen ?? (await getApp(cluster, op.appNamespace, op.appName, op.traceparent));
    if (!app) return finish(op, 'Errored', `Application ${where(op)} disappeared while syncing`);
    if (op.pending && !foreignOperation(app, op.opId)) {
      // Nothing else runs on the app (any more): start ours; the watch reports how it goes.
      // One patch per op: the watch, the poll and the command may all get here at once, some
      // with a record read before the patch was stored (kept for the life of the process).
      if (patching.has(op.opId)) return;
      patching.add(op.opId);
      try {
        await patchSync(cluster, op, app);
      } catch (err) {
        patching.delete(op.opId);
        if (err instanceof SourceUpdateError) return finish(op, 'Errored', err.message);
        throw err;
      }
      return;
    }
    const verdict = evaluateOp(op, app, clock());
    if (verdict.state !== 'Running') await finish(op, verdict.state, verdict.message);
  };

  const start = async (cmd: SyncArgoCDApp) => {
    const now = clock();
    const mode = cmd.mode ?? 'sync';
    const op: SyncerOp = {
      opId: cmd.opId,
      project: cmd.project,
      state: 'Running',
      appName: cmd.appName,
      appNamespace: cmd.appNamespace,
      ...(cmd.revision ? { revision: cmd.revision } : {}),
      startedAt: now.toISOString(),
      deadline: new Date(now.getTime() + cmd.timeoutSeconds * 1000).toISOString(),
      ...(traceparentOf() ? { traceparent: traceparentOf() } : {}),
      ...(cmd.cluster ? { cluster: cmd.cluster } : {}),
      mode,
      ...(cmd.sources?.length ? { sources: cmd.sources } : {}),
      pending: mode === 'sync',
      promotion: cmd.promotion,
      stage: cmd.stage,
    };
    const existing = (await store.getArgoCDOp(cmd.opId)) as SyncerOp | undefined;
    if (existing) {
      // Redelivered: the operation is already under way or done; say so again if done.
      if (existing.state !== 'Running') await finish(existing, existing.state, existing.message ?? '');
      return;
    }
    const cluster = clusterOf(cmd.cluster);
    if (!cluster) {
      return finish(
        op,
        'Errored',
        `cluster "${cmd.cluster}" is not a context of the argocd-syncer's kubeconfig (contexts: ${[...clusters.keys()].join(', ')}): fix apps[].cluster or add the context`,
      );
    }
    if (cmd.selector) return startSelected(cmd, op, cluster, cmd.selector);
    const app = await getApp(cluster, cmd.appNamespace, cmd.appName);
    if (!app) {
      return finish(
        op,
        'Errored',
        `Application ${where(op)} not found: create it, or fix apps[].name and apps[].namespace of the ${mode === 'wait' ? 'argocd-wait' : 'argocd-update'} step`,
      );
    }
    if (mode === 'sync') {
      const denied = authorizationProblem(app, cmd.project, cmd.stage);
      if (denied) return finish(op, 'Errored', denied);
      try {
        desiredSources(app, cmd.sources ?? [], cmd.revision); // fail fast on a source that fits nothing
      } catch (err) {
        if (err instanceof SourceUpdateError) return finish(op, 'Errored', err.message);
        throw err;
      }
    }
    if (!(await store.createArgoCDOp(op))) return;
    const who = mode === 'sync' ? foreignOperation(app, cmd.opId) : undefined;
    if (who) log.info({ op: cmd.opId, app: where(op), initiatedBy: who }, 'waiting for a running operation');
  };

  /**
   * Kargo's `apps[].selector`: every Application in the namespace whose labels match, skipping those
   * not authorized for the Stage; every one's sources must take the updates before any is touched.
   * One child operation per app (`<opId>@<app>`); the parent ends when they all have.
   */
  const startSelected = async (
    cmd: SyncArgoCDApp,
    op: SyncerOp,
    cluster: Cluster,
    selector: ArgoCDAppSelector,
  ) => {
    const sel = selectorString(selector);
    const bad = selectorProblems(selector, 'apps[].selector');
    if (bad.length > 0) return finish(op, 'Errored', `invalid selector: ${bad.join('; ')}`);
    const list = (await cluster.api.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: cmd.appNamespace,
      plural: PLURAL,
      labelSelector: sel,
    })) as { items?: Application[] };
    const all = (list.items ?? []).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const mode = op.mode ?? 'sync';
    const mine = mode === 'sync' ? all.filter((a) => !authorizationProblem(a, cmd.project, cmd.stage)) : all;
    const ns = `namespace "${cmd.appNamespace}"${cmd.cluster ? ` of cluster "${cmd.cluster}"` : ''}`;
    if (all.length === 0)
      return finish(
        op,
        'Errored',
        `no Argo CD Applications found matching selector "${sel}" in ${ns}: fix apps[].selector or label the Applications`,
      );
    if (mine.length === 0)
      return finish(
        op,
        'Errored',
        `found ${all.length} Application(s) matching selector "${sel}" in ${ns}, but none is authorized for Stage ${cmd.project}:${cmd.stage}: add the annotation kargo.akuity.io/authorized-stage: "${cmd.project}:${cmd.stage}"`,
      );
    if (mode === 'sync') {
      const incompatible: string[] = [];
      for (const app of mine) {
        try {
          desiredSources(app, cmd.sources ?? [], cmd.revision);
        } catch (err) {
          if (err instanceof SourceUpdateError) incompatible.push(err.message);
          else throw err;
        }
      }
      if (incompatible.length > 0)
        return finish(
          op,
          'Errored',
          `selected Applications must have compatible sources; ${incompatible.length} incompatible, so no Application was updated: ${incompatible.join('; ')}`,
        );
    }
    const children = mine.map((a) => childOpId(cmd.opId, a.metadata.name));
    for (const [i, app] of mine.entries()) {
      await store.createArgoCDOp({
        ...op,
        opId: children[i] as string,
        appName: app.metadata.name,
        parent: cmd.opId,
      } as SyncerOp);
    }
    if (!(await store.createArgoCDOp({ ...op, pending: false, children, selector } as SyncerOp))) return;
    log.info({ op: cmd.opId, selector: sel, apps: mine.map((a) => a.metadata.name) }, 'selector matched');
    for (const id of children) await check(id);
  };

  // Watch every Application of every cluster (list, then watch from its resourceVersion): an event
  // for an app with operations in flight re-checks them, and Stages naming the app get new health.
  let stopped = false;
  let tracker: StageHealthTracker | undefined;
  const clusterWatches = new Map<string, AppWatch>();
  const onAppEvent = (cluster: Cluster, key: string, obj: Application | undefined) => {
    tracker?.appChanged(cluster.name, key);
    if (!obj) return;
    void (async () => {
      for (const opId of await store.inflightArgoCDOps()) {
        const op = (await store.getArgoCDOp(opId)) as SyncerOp | undefined;
        if (
          op &&
          !op.children &&
          (op.cluster || defaultCluster) === cluster.name &&
          op.appName === obj.metadata.name &&
          op.appNamespace === obj.metadata.namespace
        )
          await check(opId, obj);
      }
    })().catch((err) => log.error({ err, cluster: cluster.name }, 'watch event handling failed'));
  };
  for (const cluster of clusters.values()) {
    const w = new AppWatch(
      { cluster: cluster.name, kc: cluster.kc, api: cluster.api },
      log,
      {
        onChange: (key, obj) => onAppEvent(cluster, key, obj),
        onResync: () => tracker?.clusterResynced(cluster.name),
      },
      options.watchOptions,
    );
    clusterWatches.set(cluster.name, w);
  }
  await Promise.all([...clusterWatches.values()].map((w) => w.start()));

  tracker = new StageHealthTracker({
    store,
    bus,
    log,
    clock,
    clusters: new Map([...clusters].map(([n, c]) => [n, { cluster: n, kc: c.kc, api: c.api }])),
    defaultCluster,
    clusterWatches,
    ...(options.watchOptions ? { watchOptions: options.watchOptions } : {}),
  });
  const healthTracker = tracker;
  options.onHealthTracker?.(healthTracker);
  await healthTracker.refresh().catch((err) => log.error({ err }, 'stage health refresh failed'));
  // Every replica keeps its own watches, so each hears of applied definitions (core subscription,
  // not the shared durable consumer); one it misses is caught by the slow refresh below.
  const definitions = bus.nc.subscribe('ferry.v1.definition.applied.>', {
    callback: (err, msg) => {
      if (err || stopped) return;
      let kinds: string[] = [];
      try {
        kinds = (msg.json() as DefinitionsApplied).resources.map((r) => r.kind);
      } catch {
        return;
      }
      if (kinds.length > 0 && !kinds.includes('Stage') && !kinds.includes('Project')) return;
      void healthTracker.refresh().catch((e) => log.error({ err: e }, 'stage health refresh failed'));
    },
  });
  // Deleted Stages (or Projects) are forgotten the same way: refresh stops their watches and
  // removes their health.
  const deletions = bus.nc.subscribe('ferry.v1.definition.deleted.>', {
    callback: (err, msg) => {
      if (err || stopped) return;
      let kinds: string[] = [];
      try {
        kinds = (msg.json() as DefinitionsDeleted).resources.map((r) => r.kind);
      } catch {
        return;
      }
      if (!kinds.includes('Stage') && !kinds.includes('Project')) return;
      void healthTracker.refresh().catch((e) => log.error({ err: e }, 'stage health refresh failed'));
    },
  });
  const healthRefresh = every(
    options.healthRefreshMs ?? config.reconcileIntervalMs,
    () => healthTracker.refresh(),
    log,
  );

  const poll = every(
    options.pollMs ?? 2000,
    async () => {
      for (const opId of await store.inflightArgoCDOps()) await check(opId);
    },
    log,
  );

  const consumer = await bus.consume({
    type: 'SyncArgoCDApp',
    durable: 'argocd-syncer',
    handler: async (cmd, ctx) => {
      ctx.log.info(
        {
          app: `${cmd.appNamespace}/${cmd.appName}`,
          cluster: cmd.cluster,
          mode: cmd.mode,
          revision: cmd.revision,
        },
        'sync asked',
      );
      await withSpan(
        'argocd sync',
        {
          attributes: {
            'ferry.app': `${cmd.appNamespace}/${cmd.appName}`,
            'ferry.revision': cmd.revision ?? '',
          },
        },
        async () => {
          await start(cmd);
          await check(cmd.opId);
        },
      );
    },
  });

  return {
    stop: async () => {
      stopped = true;
      definitions.unsubscribe();
      deletions.unsubscribe();
      await consumer.stop();
      await poll.stop();
      await healthRefresh.stop();
      healthTracker.stop();
      for (const w of clusterWatches.values()) w.stop();
    },
  };
}
