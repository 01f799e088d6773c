import type { ArgoCDAppSelector, ArgoCDSourceUpdate } from '@ferry/contracts';
import type { ArgoCDOpRecord } from '@ferry/store';

/** One source of an Application (`spec.source` or an entry of `spec.sources`). */
export interface AppSource {
  repoURL?: string;
  chart?: string;
  targetRevision?: string;
  path?: string;
  kustomize?: { images?: string[]; [k: string]: unknown };
  helm?: { parameters?: Array<{ name: string; value?: string; [k: string]: unknown }>; [k: string]: unknown };
  [k: string]: unknown;
}

/** The Argo CD Application fields the syncer reads (see argo-cd `pkg/apis/application/v1alpha1/types.go`). */
export interface Application {
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: { source?: AppSource; sources?: AppSource[] };
  operation?: {
    initiatedBy?: { username?: string };
    info?: Array<{ name: string; value: string }>;
    sync?: Record<string, unknown>;
  };
  status?: {
    reconciledAt?: string;
    conditions?: Array<{ type: string; message?: string }>;
    sync?: { status?: string; revision?: string; revisions?: string[] };
    health?: { status?: string; message?: string };
    operationState?: {
      phase?: string;
      message?: string;
      startedAt?: string;
      finishedAt?: string;
      syncResult?: { revision?: string; revisions?: string[] };
      operation?: {
        initiatedBy?: { username?: string };
        info?: Array<{ name: string; value: string }>;
      };
    };
  };
}

/**
 * What the syncer keeps per operation beyond the shared {@link ArgoCDOpRecord} (stored in the
 * same JSON record; the store keeps unknown fields).
 */
export interface SyncerOp extends ArgoCDOpRecord {
  /** Kubeconfig context of the Argo CD installation; empty = the default one. */
  cluster?: string;
  /** `wait` only watches (argocd-wait); `sync` patches and syncs. */
  mode?: 'sync' | 'wait';
  /** Source updates to write before syncing. */
  sources?: ArgoCDSourceUpdate[];
  /** What each source must be synced to ('' = any), fixed when the sync is patched. */
  revisions?: string[];
  /** The Promotion that asked, named in the operation's `info`. */
  promotion?: string;
  /** True until the sync operation was patched onto the app (e.g. while another operation runs). */
  pending?: boolean;
  /** The Stage that asked (its health records what the app was synced to). */
  stage?: string;
  /** A selector operation: the label selector (Kargo's `apps[].selector`). */
  selector?: ArgoCDAppSelector;
  /** A selector operation: the operation ids of the matched apps, `<opId>@<app>`. */
  children?: string[];
  /** One app of a selector operation: the selector operation's id. */
  parent?: string;
}

/** The annotation an Application carries to let a Stage sync it (as in Kargo). */
export const AUTHORIZED_STAGE_ANNOTATION = 'kargo.akuity.io/authorized-stage';
/** Info entry that ties an Argo CD operation to the Ferry operation that asked for it. */
export const OP_INFO_NAME = 'Ferry-Operation';
/** Annotation that asks Argo CD for a refresh; `hard` also drops its manifest cache (Kargo sets it on every update). */
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';

/** A source update that fits no source of the Application (error code `ARGOCD_SOURCE_NOT_FOUND`). */
export class SourceUpdateError extends Error {
  readonly code = 'ARGOCD_SOURCE_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'SourceUpdateError';
  }
}

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

// Repo URLs compare without case, a trailing slash or `.git`, as Kargo normalizes them.
const normalizeRepo = (url: string | undefined): string =>
  (url ?? '')
    .trim()
    .toLowerCase()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');

/** The Application's sources, single-source apps as a list of one. */
export function sourcesOf(app: Application): { multi: boolean; sources: AppSource[] } {
  const list = app.spec?.sources;
  if (Array.isArray(list) && list.length > 0) return { multi: true, sources: list };
  return { multi: false, sources: app.spec?.source ? [app.spec.source] : [] };
}

const matches = (src: AppSource, u: ArgoCDSourceUpdate): boolean =>
  normalizeRepo(src.repoURL) === normalizeRepo(u.repoURL) && (src.chart ?? '') === (u.chart ?? '');

/** The image entry Argo CD's `kustomize.images` takes: `repo[=newName][:tag|@digest]`. */
function kustomizeImage(i: { repoURL: string; tag?: string; digest?: string; newName?: string }): string {
  let image = i.newName ? `${i.repoURL}=${i.newName}` : i.repoURL;
  if (i.digest) image += `@${i.digest}`;
  else if (i.tag) image += `:${i.tag}`;
  return image;
}

// The image name an entry of kustomize.images overrides (the part before `=`, `:` or `@`).
const imageName = (entry: string): string => {
  const name = entry.split('=')[0] ?? entry;
  const at = name.indexOf('@');
  const base = at >= 0 ? name.slice(0, at) : name;
  const colon = base.lastIndexOf(':');
  return colon > base.lastIndexOf('/') ? base.slice(0, colon) : base;
};

/** One source with an update applied: targetRevision, kustomize images and helm parameters. */
export function applySourceUpdate(src: AppSource, u: ArgoCDSourceUpdate): AppSource {
  const out: AppSource = structuredClone(src);
  if (u.updateTargetRevision && u.desiredRevision) out.targetRevision = u.desiredRevision;
  if (u.kustomize?.images.length) {
    const images = [...(out.kustomize?.images ?? [])];
    for (const i of u.kustomize.images) {
      const entry = kustomizeImage(i);
      const at = images.findIndex((e) => imageName(e) === i.repoURL);
      if (at >= 0) images[at] = entry;
      else images.push(entry);
    }
    out.kustomize = { ...(out.kustomize ?? {}), images };
  }
  if (u.helm?.images.length) {
    const params = [...(out.helm?.parameters ?? [])];
    for (const i of u.helm.images) {
      const at = params.findIndex((p) => p.name === i.key);
      if (at >= 0) params[at] = { ...params[at], name: i.key, value: i.value };
      else params.push({ name: i.key, value: i.value });
    }
    out.helm = { ...(out.helm ?? {}), parameters: params };
  }
  return out;
}

/**
 * The app's sources after the updates, and the revision each must be observably synced to
 * ('' = any). A single-source app without a matching update takes `fallbackRevision` (the commit
 * this Promotion pushed). Throws {@link SourceUpdateError} when an update fits no source.
 */
export function desiredSources(
  app: Application,
  updates: readonly ArgoCDSourceUpdate[],
  fallbackRevision?: string,
): { multi: boolean; sources: AppSource[]; revisions: string[] } {
  const { multi, sources } = sourcesOf(app);
  const out = sources.map((s) => structuredClone(s));
  const revisions = out.map(() => '');
  for (const u of updates) {
    const i = out.findIndex((s) => matches(s, u));
    if (i < 0) {
      const chart = u.chart ? ` and chart "${u.chart}"` : '';
      throw new SourceUpdateError(
        `no source of Application ${app.metadata.namespace}/${app.metadata.name} has repoURL ${u.repoURL}${chart}: match apps[].sources[].repoURL (and chart) to the Application's source, not to the Warehouse`,
      );
    }
    out[i] = applySourceUpdate(out[i] as AppSource, u);
    if (u.desiredRevision) revisions[i] = u.desiredRevision;
  }
  if (!multi && revisions[0] === '' && fallbackRevision) revisions[0] = fallbackRevision;
  return { multi, sources: out, revisions };
}

/**
 * The merge patch that updates the sources, asks for a hard refresh and starts the sync
 * operation (initiatedBy `ferry`, `info` naming the Promotion), as Kargo's argocd-update does.
 * A multi-source app gets its whole `spec.sources` list (merge patch replaces lists).
 */
export function syncPatch(op: {
  opId: string;
  promotion: string;
  revision?: string;
  desired?: { multi: boolean; sources: AppSource[]; revisions: string[] };
}): Record<string, unknown> {
  const d = op.desired;
  const sync: Record<string, unknown> = {};
  if (d?.multi) {
    if (d.revisions.some((r) => r !== '')) sync.revisions = d.revisions;
  } else {
    const revision = d?.revisions[0] || op.revision;
    if (revision) sync.revision = revision;
  }
  return {
    metadata: { annotations: { [REFRESH_ANNOTATION]: 'hard' } },
    ...(d && d.sources.length > 0
      ? { spec: d.multi ? { sources: d.sources } : { source: d.sources[0] } }
      : {}),
    operation: {
      initiatedBy: { username: 'ferry', automated: false },
      info: [
        { name: 'Reason', value: `Promotion ${op.promotion} triggered a sync of this Application` },
        { name: 'Promotion', value: op.promotion },
        { name: OP_INFO_NAME, value: op.opId },
      ],
      sync,
    },
  };
}

const DONE_PHASES = new Set(['Succeeded', 'Failed', 'Error']);

/**
 * Whose operation is on the app right now, when one is requested or running and it is not
 * `opId`'s: the syncer waits for it to finish before starting its own (as Kargo does).
 */
export function foreignOperation(app: Application, opId: string): string | undefined {
  const isOurs = (info?: Array<{ name: string; value: string }>) =>
    info?.some((i) => i.name === OP_INFO_NAME && i.value === opId) ?? false;
  if (app.operation && !isOurs(app.operation.info)) return app.operation.initiatedBy?.username ?? 'unknown';
  const os = app.status?.operationState;
  if (os?.phase && !DONE_PHASES.has(os.phase) && !isOurs(os.operation?.info))
    return os.operation?.initiatedBy?.username ?? 'unknown';
  return undefined;
}

type Verdict = { state: ArgoCDOpRecord['state']; message: string };

/**
 * Where the app stands once its operation is done: waits for a reconcile not older than the
 * operation's finish, then Synced at every desired revision and Healthy. Progressing, Suspended,
 * Missing and Unknown keep waiting; Degraded fails.
 */
function settled(app: Application, revisions: readonly string[], where: string): Verdict {
  const s = app.status ?? {};
  const finished = s.operationState?.finishedAt;
  if (finished && (!s.reconciledAt || Date.parse(s.reconciledAt) < Date.parse(finished)))
    return { state: 'Running', message: `waiting for ${where} to be reconciled after its sync` };
  const observed = s.sync?.revisions?.length ? s.sync.revisions : [s.sync?.revision ?? ''];
  for (const [i, want] of revisions.entries()) {
    if (want && observed[i] !== want)
      return {
        state: 'Running',
        message: `waiting for ${where} to be synced to ${want.slice(0, 7)}${revisions.length > 1 ? ` (source ${i + 1})` : ''}, now at ${(observed[i] ?? '-').slice(0, 7) || '-'}`,
      };
  }
  if (s.sync?.status !== 'Synced')
    return {
      state: 'Running',
      message: `waiting for ${where} to be Synced (now ${s.sync?.status ?? 'Unknown'})`,
    };
  const health = s.health?.status ?? 'Unknown';
  const at = observed.map((r) => r.slice(0, 7)).join(', ');
  if (health === 'Healthy') return { state: 'Healthy', message: `${where} Synced and Healthy at ${at}` };
  if (health === 'Degraded')
    return {
      state: 'Failed',
      message: `${where} is Degraded at ${at}: ${s.health?.message ?? 'no message'}`,
    };
  return { state: 'Running', message: `waiting for ${where} to be Healthy (now ${health})` };
}

/**
 * Decides where an operation stands from the Application's status: still Running, Healthy at
 * the desired revision(s), Failed (the sync failed, the revision differs or the app is Degraded),
 * or Errored (timed out). `revisions` are what each source must be synced to ('' = any). Pure;
 * `now` is injected.
 */
export function evaluateOp(
  op: SyncerOp,
  app: Application,
  now: Date,
  revisions: readonly string[] = op.revisions ?? (op.revision ? [op.revision] : []),
): Verdict {
  const s = app.status ?? {};
  const os = s.operationState;
  const where = `${app.metadata.namespace}/${app.metadata.name}`;
  const verdict = ((): Verdict => {
    if (op.mode === 'wait') {
      if (os?.phase && !DONE_PHASES.has(os.phase))
        return { state: 'Running', message: `waiting for the running operation on ${where} to finish` };
      return settled(app, revisions, where);
    }
    if (op.pending) {
      const who = foreignOperation(app, op.opId);
      return {
        state: 'Running',
        message: `waiting for the operation ${who ? `started by ${who} ` : ''}on ${where} to finish before syncing`,
      };
    }
    const ours = os?.operation?.info?.some((i) => i.name === OP_INFO_NAME && i.value === op.opId) ?? false;
    if (!ours || app.operation)
      return { state: 'Running', message: `waiting for Argo CD to start the sync of ${where}` };
    if (os?.phase === 'Failed' || os?.phase === 'Error')
      return { state: 'Failed', message: `sync of ${where} ${os.phase}: ${os.message ?? 'no message'}` };
    if (os?.phase !== 'Succeeded')
      return {
        state: 'Running',
        message: `waiting for the sync of ${where} (phase ${os?.phase ?? 'Unknown'})`,
      };
    const got = os.syncResult?.revisions?.length ? os.syncResult.revisions : [os.syncResult?.revision ?? ''];
    for (const [i, want] of revisions.entries()) {
      if (want && got[i] && got[i] !== want)
        return {
          state: 'Failed',
          message: `${where} synced ${got[i]?.slice(0, 7) || '-'}${revisions.length > 1 ? ` for source ${i + 1}` : ''}, not the desired revision ${want.slice(0, 7)}: check the source's targetRevision`,
        };
    }
    return settled(app, revisions, where);
  })();
  if (verdict.state === 'Running' && now.getTime() > Date.parse(op.deadline)) {
    const describe = `sync ${s.sync?.status ?? 'Unknown'} at ${s.sync?.revision?.slice(0, 7) ?? '-'}, health ${s.health?.status ?? 'Unknown'}`;
    return {
      state: 'Errored',
      message: `timed out waiting for ${where} to be Synced and Healthy${op.revision ? ` at ${op.revision.slice(0, 7)}` : ''} (now: ${describe}; last: ${verdict.message})`,
    };
  }
  return verdict;
}
