import type { SyncArgoCDApp } from '@ferry/contracts';
import { argocdOperations, argocdWait, secondsBetween } from '@ferry/metrics';
import { contextFromTraceparent, currentTraceId, Kinds, traceparentOf, withSpan } from '@ferry/observability';
import { every, type RunningService, type ServiceDeps } from '@ferry/runtime';
import {
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
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

const GROUP = 'argoproj.io';
const VERSION = 'v1alpha1';
const PLURAL = 'applications';

/** Options for tests. */
export interface SyncerOptions {
  kubeConfig?: KubeConfig;
  clock?: () => Date;
  pollMs?: number;
}

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

  const finish = async (op: SyncerOp, state: SyncerOp['state'], message: string) => {
    const done: SyncerOp = { ...op, state, message, finishedAt: clock().toISOString() };
    await store.putArgoCDOp(done);
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

  const patching = new Set<string>();
  const check = async (opId: string, seen?: Application) => {
    const op = (await store.getArgoCDOp(opId)) as SyncerOp | undefined;
    if (!op) return;
    if (op.state !== 'Running') {
      await store.putArgoCDOp(op); // drops it from the in-flight set
      return;
    }
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

  // Watch every Application of every cluster; an event for an app with operations in flight re-checks them.
  const watches = new Map<string, { abort(): void }>();
  let stopped = false;
  const watch = async (cluster: Cluster) => {
    if (stopped) return;
    try {
      const req = await new Watch(cluster.kc).watch(
        `/apis/${GROUP}/${VERSION}/${PLURAL}`,
        {},
        (_type: string, obj: Application) => {
          void (async () => {
            for (const opId of await store.inflightArgoCDOps()) {
              const op = (await store.getArgoCDOp(opId)) as SyncerOp | undefined;
              if (
                op &&
                (op.cluster || defaultCluster) === cluster.name &&
                op.appName === obj.metadata.name &&
                op.appNamespace === obj.metadata.namespace
              )
                await check(opId, obj);
            }
          })().catch((err) => log.error({ err, cluster: cluster.name }, 'watch event handling failed'));
        },
        () => {
          if (!stopped) setTimeout(() => void watch(cluster), 1000);
        },
      );
      watches.set(cluster.name, req);
    } catch (err) {
      log.warn({ err, cluster: cluster.name }, 'watch of applications failed; retrying');
      if (!stopped) setTimeout(() => void watch(cluster), 2000);
    }
  };
  for (const cluster of clusters.values()) await watch(cluster);

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
      await consumer.stop();
      await poll.stop();
      for (const w of watches.values()) w.abort();
    },
  };
}
