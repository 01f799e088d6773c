import type { SyncArgoCDApp } from '@ferry/contracts';
import { contextFromTraceparent, traceparentOf, withSpan } from '@ferry/observability';
import { every, type RunningService, type ServiceDeps } from '@ferry/runtime';
import type { ArgoCDOpRecord } from '@ferry/store';
import {
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { type Application, authorizationProblem, evaluateOp, syncPatch } from './evaluate.ts';

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

/**
 * argocd-syncer: patches Argo CD Applications with a sync operation to the promoted revision
 * and reports when each is Synced and Healthy there. Operations live in Redis; a watch (and
 * a slow poll behind it) finishes them, so a waiting sync holds no worker and survives restarts.
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
  const api = kc.makeApiClient(CustomObjectsApi);

  const getApp = async (namespace: string, name: string): Promise<Application | undefined> => {
    try {
      return (await api.getNamespacedCustomObject({
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
  };

  const finish = async (op: ArgoCDOpRecord, state: ArgoCDOpRecord['state'], message: string) => {
    const done: ArgoCDOpRecord = { ...op, state, message, finishedAt: clock().toISOString() };
    await store.putArgoCDOp(done);
    log.info(
      { op: op.opId, app: `${op.appNamespace}/${op.appName}`, state, message },
      'argo cd operation finished',
    );
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

  const check = async (opId: string, app?: Application) => {
    const op = await store.getArgoCDOp(opId);
    if (!op) return;
    if (op.state !== 'Running') {
      await store.putArgoCDOp(op); // drops it from the in-flight set
      return;
    }
    const current = app ?? (await getApp(op.appNamespace, op.appName));
    if (!current)
      return finish(op, 'Errored', `Application ${op.appNamespace}/${op.appName} disappeared while syncing`);
    const verdict = evaluateOp(op, current, clock());
    if (verdict.state !== 'Running') await finish(op, verdict.state, verdict.message);
  };

  const start = async (cmd: SyncArgoCDApp) => {
    const now = clock();
    const op: ArgoCDOpRecord = {
      opId: cmd.opId,
      project: cmd.project,
      state: 'Running',
      appName: cmd.appName,
      appNamespace: cmd.appNamespace,
      ...(cmd.revision ? { revision: cmd.revision } : {}),
      startedAt: now.toISOString(),
      deadline: new Date(now.getTime() + cmd.timeoutSeconds * 1000).toISOString(),
      ...(traceparentOf() ? { traceparent: traceparentOf() } : {}),
    };
    const existing = await store.getArgoCDOp(cmd.opId);
    if (existing) {
      // Redelivered: the operation is already under way or done; say so again if done.
      if (existing.state !== 'Running') await finish(existing, existing.state, existing.message ?? '');
      return;
    }
    await withSpan(
      'argocd sync',
      {
        attributes: {
          'ferry.app': `${cmd.appNamespace}/${cmd.appName}`,
          'ferry.revision': cmd.revision ?? '',
        },
      },
      async () => {
        const app = await getApp(cmd.appNamespace, cmd.appName);
        if (!app) {
          return finish(
            op,
            'Errored',
            `Application ${cmd.appNamespace}/${cmd.appName} not found: create it, or fix apps[].name and apps[].namespace of the argocd-update step`,
          );
        }
        const denied = authorizationProblem(app, cmd.project, cmd.stage);
        if (denied) return finish(op, 'Errored', denied);
        if (!(await store.createArgoCDOp(op))) return;
        await api.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: cmd.appNamespace,
            plural: PLURAL,
            name: cmd.appName,
            body: syncPatch({ opId: cmd.opId, promotion: cmd.promotion, revision: cmd.revision }),
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        log.info(
          { op: cmd.opId, app: `${cmd.appNamespace}/${cmd.appName}`, revision: cmd.revision },
          'argo cd sync requested',
        );
      },
    );
  };

  // Watch every Application; an event for an app with operations in flight re-checks them.
  let watchReq: { abort(): void } | undefined;
  let stopped = false;
  const watch = async () => {
    if (stopped) return;
    try {
      watchReq = await new Watch(kc).watch(
        `/apis/${GROUP}/${VERSION}/${PLURAL}`,
        {},
        (_type: string, obj: Application) => {
          void (async () => {
            for (const opId of await store.inflightArgoCDOps()) {
              const op = await store.getArgoCDOp(opId);
              if (op && op.appName === obj.metadata.name && op.appNamespace === obj.metadata.namespace)
                await check(opId, obj);
            }
          })().catch((err) => log.error({ err }, 'watch event handling failed'));
        },
        () => {
          if (!stopped) setTimeout(() => void watch(), 1000);
        },
      );
    } catch (err) {
      log.warn({ err }, 'watch of applications failed; retrying');
      if (!stopped) setTimeout(() => void watch(), 2000);
    }
  };
  await watch();

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
      ctx.log.info({ app: `${cmd.appNamespace}/${cmd.appName}`, revision: cmd.revision }, 'sync asked');
      await start(cmd);
      await check(cmd.opId);
    },
  });

  return {
    stop: async () => {
      stopped = true;
      await consumer.stop();
      await poll.stop();
      watchReq?.abort();
    },
  };
}
