import type { ArgoCDOpRecord } from '@ferry/store';

/** The Argo CD Application fields the syncer reads (see argo-cd `pkg/apis/application/v1alpha1/types.go`). */
export interface Application {
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: { source?: { repoURL?: string; targetRevision?: string; path?: string } };
  operation?: unknown;
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    operationState?: {
      phase?: string;
      message?: string;
      startedAt?: string;
      finishedAt?: string;
      syncResult?: { revision?: string };
      operation?: { info?: Array<{ name: string; value: string }> };
    };
  };
}

/** The annotation an Application carries to let a Stage sync it (as in Kargo). */
export const AUTHORIZED_STAGE_ANNOTATION = 'kargo.akuity.io/authorized-stage';
/** Info entry that ties an Argo CD operation to the Ferry operation that asked for it. */
export const OP_INFO_NAME = 'Ferry-Operation';

/** Why a Stage may not touch an Application, or undefined when it may. */
export function authorizationProblem(app: Application, project: string, stage: string): string | undefined {
  const want = `${project}:${stage}`;
  const got = app.metadata.annotations?.[AUTHORIZED_STAGE_ANNOTATION];
  const where = `Application ${app.metadata.namespace}/${app.metadata.name}`;
  if (got === want) return undefined;
  if (got === undefined) {
    return `${where} does not allow Stage ${stage} of Project ${project} to sync it: add the annotation ${AUTHORIZED_STAGE_ANNOTATION}: "${want}"`;
  }
  return `${where} is authorized for "${got}", not "${want}": fix its ${AUTHORIZED_STAGE_ANNOTATION} annotation`;
}

/** The merge patch that asks Argo CD to sync (an `operation`, as Kargo's argocd-update sets it). */
export function syncPatch(op: {
  opId: string;
  promotion: string;
  revision?: string;
}): Record<string, unknown> {
  return {
    operation: {
      initiatedBy: { username: 'ferry', automated: false },
      info: [
        { name: 'Reason', value: `Promotion ${op.promotion} triggered a sync of this Application` },
        { name: OP_INFO_NAME, value: op.opId },
      ],
      sync: op.revision ? { revision: op.revision } : {},
    },
  };
}

/**
 * Decides where an operation stands from the Application's status: still Running, Healthy
 * at the revision, Failed (the sync failed or the app is Degraded there), or Errored (timed
 * out). Pure; `now` is injected.
 */
export function evaluateOp(
  op: ArgoCDOpRecord,
  app: Application,
  now: Date,
): { state: ArgoCDOpRecord['state']; message: string } {
  const s = app.status ?? {};
  const os = s.operationState;
  const ours = os?.operation?.info?.some((i) => i.name === OP_INFO_NAME && i.value === op.opId) ?? false;
  const where = `${app.metadata.namespace}/${app.metadata.name}`;
  const describe = `sync ${s.sync?.status ?? 'Unknown'} at ${s.sync?.revision?.slice(0, 7) ?? '-'}, health ${s.health?.status ?? 'Unknown'}`;
  if (ours && !app.operation) {
    if (os?.phase === 'Failed' || os?.phase === 'Error') {
      return { state: 'Failed', message: `sync of ${where} ${os.phase}: ${os.message ?? 'no message'}` };
    }
    const atRevision = !op.revision || s.sync?.revision === op.revision;
    if (os?.phase === 'Succeeded' && s.sync?.status === 'Synced' && atRevision) {
      if (s.health?.status === 'Healthy')
        return {
          state: 'Healthy',
          message: `${where} Synced and Healthy at ${s.sync.revision?.slice(0, 7)}`,
        };
      if (s.health?.status === 'Degraded') {
        return {
          state: 'Failed',
          message: `${where} is Degraded at ${s.sync.revision?.slice(0, 7)}: ${s.health.message ?? 'no message'}`,
        };
      }
    }
  }
  if (now.getTime() > Date.parse(op.deadline)) {
    return {
      state: 'Errored',
      message: `timed out waiting for ${where} to be Synced and Healthy${op.revision ? ` at ${op.revision.slice(0, 7)}` : ''} (now: ${describe})`,
    };
  }
  return { state: 'Running', message: `waiting for ${where} (now: ${describe})` };
}
