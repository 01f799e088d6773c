/**
 * Stage health from Argo CD Applications, with the semantics of Kargo's Argo CD health checker
 * (`pkg/health/checker/builtin/argocd.go`): which Applications a Stage uses, what each one's
 * status means for the Stage, and the Stage's worst state. Pure: the watch feeds it Applications.
 */
import type {
  ArgoCDAppSelector,
  Stage,
  StageAppHealth,
  StageHealth,
  StageHealthState,
} from '@ferry/contracts';
import type { Application } from './evaluate.ts';

/** The namespace Argo CD Applications live in when a step names none (as in Kargo). */
export const DEFAULT_APP_NAMESPACE = 'argocd';

/** One `apps[]` entry of a Stage's `argocd-update` steps: an app by name, or a label selector. */
export interface StageAppRef {
  /** Kubeconfig context; empty = the syncer's current context. */
  cluster?: string;
  namespace: string;
  /** The app's name; empty when `selector` picks the apps. */
  name?: string;
  /** Kargo's `apps[].selector`. */
  selector?: ArgoCDAppSelector;
}

/** Why an `apps[]` entry of a Stage cannot be watched (an expression that needs a Promotion). */
export interface StageAppRefProblem {
  /** Path of the field, e.g. `spec.promotionTemplate.spec.steps[3].config.apps[0].name`. */
  path: string;
  message: string;
}

const EXPR = /\$\{\{\s*([^}]*?)\s*\}\}/g;

/**
 * Resolves `${{ ctx.project }}`, `${{ ctx.stage }}` and `${{ vars.NAME }}` (the template's vars)
 * in an app name or namespace: what Kargo allows there. Anything else cannot be known outside a
 * Promotion; undefined then.
 */
export function resolveRefString(
  value: string,
  scope: { project: string; stage: string; vars: Readonly<Record<string, string>> },
): string | undefined {
  let ok = true;
  const out = value.replace(EXPR, (_m, expr: string) => {
    const e = expr.trim();
    if (e === 'ctx.project') return scope.project;
    if (e === 'ctx.stage') return scope.stage;
    const v = /^vars\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(e);
    if (v?.[1] !== undefined && scope.vars[v[1]] !== undefined) return scope.vars[v[1]] as string;
    ok = false;
    return '';
  });
  return ok ? out : undefined;
}

/**
 * The Applications a Stage uses: every `apps[]` entry of the `argocd-update` steps of its
 * promotion template (Kargo registers health checks from that step only), in order, duplicates
 * dropped. Entries whose name needs more than `ctx` and `vars` are reported as problems.
 */
export function stageAppRefs(
  project: string,
  stage: Stage,
): { refs: StageAppRef[]; problems: StageAppRefProblem[] } {
  const refs: StageAppRef[] = [];
  const problems: StageAppRefProblem[] = [];
  const seen = new Set<string>();
  const spec = stage.spec.promotionTemplate?.spec;
  const vars: Record<string, string> = {};
  for (const v of spec?.vars ?? []) if (v.value !== undefined) vars[v.name] = v.value;
  for (const [i, step] of (spec?.steps ?? []).entries()) {
    if (step.uses !== 'argocd-update') continue;
    const stepVars = { ...vars };
    for (const v of step.vars ?? []) if (v.value !== undefined) stepVars[v.name] = v.value;
    const scope = { project, stage: stage.metadata.name, vars: stepVars };
    const apps = Array.isArray(step.config?.apps) ? (step.config.apps as unknown[]) : [];
    for (const [j, raw] of apps.entries()) {
      const at = `spec.promotionTemplate.spec.steps[${i}].config.apps[${j}]`;
      const app = (raw ?? {}) as Record<string, unknown>;
      const str = (k: string): string | undefined | null => {
        const v = app[k];
        if (typeof v !== 'string' || v === '') return undefined;
        const r = resolveRefString(v, scope);
        if (r === undefined) {
          problems.push({
            path: `${at}.${k}`,
            message: `"${v}" uses an expression that only a Promotion can evaluate (only ctx.project, ctx.stage and vars are known outside one), so its health is not watched`,
          });
          return null;
        }
        return r;
      };
      const name = str('name');
      const namespace = str('namespace');
      const cluster = str('cluster');
      if (name === null || namespace === null || cluster === null) continue;
      const selector = isSelector(app.selector) ? app.selector : undefined;
      if (!name && !selector) continue;
      const ref: StageAppRef = {
        namespace: namespace || DEFAULT_APP_NAMESPACE,
        ...(cluster ? { cluster } : {}),
        ...(name ? { name } : { selector }),
      };
      const key = refKey(ref);
      if (seen.has(key)) continue;
      seen.add(key);
      refs.push(ref);
    }
  }
  return { refs, problems };
}

const isSelector = (v: unknown): v is ArgoCDAppSelector =>
  typeof v === 'object' &&
  v !== null &&
  ((v as ArgoCDAppSelector).matchLabels !== undefined ||
    (v as ArgoCDAppSelector).matchExpressions !== undefined);

/** A stable key of an app reference (cluster, namespace, and name or selector). */
export function refKey(ref: StageAppRef): string {
  return `${ref.cluster ?? ''}|${ref.namespace}|${ref.name ?? `?${selectorString(ref.selector ?? {})}`}`;
}

/**
 * A selector in the `labelSelector` query syntax of the Kubernetes API (`a=b,c in (d,e),!f`),
 * sorted so equal selectors give equal strings.
 */
export function selectorString(sel: ArgoCDAppSelector): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b)))
    parts.push(`${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.sort().join(',');
}

/** Whether labels satisfy a selector (all matchLabels and all matchExpressions), as Kubernetes decides. */
export function selectorMatches(
  sel: ArgoCDAppSelector,
  labels: Readonly<Record<string, string>> = {},
): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && values.includes(value as string))) return false;
    if (e.operator === 'NotIn' && has && values.includes(value as string)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/**
 * Problems of a selector, each with its field path, as Kubernetes' `LabelSelectorAsSelector` and
 * Kargo's step schema refuse them: neither matchLabels nor matchExpressions, `In`/`NotIn` without
 * values, `Exists`/`DoesNotExist` with values.
 */
export function selectorProblems(sel: ArgoCDAppSelector, path: string): string[] {
  const out: string[] = [];
  if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)
    out.push(
      `${path}: needs matchLabels or matchExpressions (an empty selector would match every Application)`,
    );
  for (const [i, e] of (sel.matchExpressions ?? []).entries()) {
    const n = e.values?.length ?? 0;
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0)
      out.push(`${path}.matchExpressions[${i}].values: operator ${e.operator} needs at least one value`);
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0)
      out.push(`${path}.matchExpressions[${i}].values: must be empty for operator ${e.operator}`);
  }
  return out;
}

const ORDER: Readonly<Record<StageHealthState, number>> = {
  Healthy: 0,
  NotApplicable: 1,
  Progressing: 2,
  Unknown: 3,
  Unhealthy: 4,
};

/** The more severe of two states (Kargo's `HealthState.Merge`). */
export const worse = (a: StageHealthState, b: StageHealthState): StageHealthState =>
  ORDER[a] >= ORDER[b] ? a : b;

// The conditions Kargo treats as making an Application's status untrustworthy.
const ERROR_CONDITIONS = new Set(['ComparisonError', 'InvalidSpecError']);

/**
 * What one Application means for its Stage's health (Kargo's `getApplicationHealth`): Unknown
 * when missing, or when not reconciled since its last operation finished (status not trusted);
 * Unhealthy with a ComparisonError / InvalidSpecError condition or synced to another revision
 * than desired; Unknown while a sync runs (when a revision is desired); then by Argo CD health:
 * Progressing (also empty and Suspended), Healthy, and Unhealthy for anything else (Degraded,
 * Missing, Unknown).
 */
export function appHealth(
  ref: { cluster?: string; namespace: string; name: string },
  app: Application | undefined,
  desiredRevisions: readonly string[] = [],
): { app: StageAppHealth; issues: string[] } {
  const where = `Argo CD Application "${ref.name}" in namespace "${ref.namespace}"${ref.cluster ? ` of cluster "${ref.cluster}"` : ''}`;
  const s = app?.status ?? {};
  const detail = (state: StageHealthState): StageAppHealth => ({
    ...(ref.cluster ? { cluster: ref.cluster } : {}),
    namespace: ref.namespace,
    name: ref.name,
    state,
    healthStatus: {
      status: app ? (s.health?.status ?? 'Unknown') : 'Unknown',
      ...(s.health?.message ? { message: s.health.message } : {}),
    },
    syncStatus: {
      status: app ? (s.sync?.status ?? 'Unknown') : 'Unknown',
      ...(s.sync?.revision ? { revision: s.sync.revision } : {}),
      ...(s.sync?.revisions?.length ? { revisions: s.sync.revisions } : {}),
    },
    ...(desiredRevisions.some((r) => r) ? { desiredRevisions: [...desiredRevisions] } : {}),
  });
  const one = (state: StageHealthState, issues: string[]) => ({ app: detail(state), issues });
  if (!app) return one('Unknown', [`unable to find ${where}`]);
  const finished = s.operationState?.finishedAt;
  if (finished && (!s.reconciledAt || Date.parse(s.reconciledAt) < Date.parse(finished)))
    return one('Unknown', [
      `${where} was not reconciled after its most recent operation completed; its health is not trusted yet`,
    ]);
  const errors = (s.conditions ?? []).filter((c) => ERROR_CONDITIONS.has(c.type));
  if (errors.length > 0)
    return one(
      'Unhealthy',
      errors.map((c) => `${where} has "${c.type}" condition: ${c.message ?? ''}`),
    );
  if (desiredRevisions.some((r) => r)) {
    const syncing = app.operation?.sync !== undefined || !finished;
    if (syncing) return one('Unknown', [`${where} is being synced`]);
    const observed = s.sync?.revisions?.length ? s.sync.revisions : [s.sync?.revision ?? ''];
    const wrong = desiredRevisions.flatMap((want, i) =>
      want && observed[i] !== want
        ? [
            `source ${i + 1} is at ${(observed[i] ?? '').slice(0, 7) || 'nothing'}, not the desired ${want.slice(0, 7)}`,
          ]
        : [],
    );
    if (wrong.length > 0)
      return one('Unhealthy', [`${where} is not synced to the desired revisions: ${wrong.join('; ')}`]);
  }
  const health = s.health?.status ?? '';
  const msg = s.health?.message ? `: ${s.health.message}` : '';
  if (health === 'Healthy') return one('Healthy', []);
  if (health === 'Progressing' || health === '') return one('Progressing', [`${where} is progressing${msg}`]);
  if (health === 'Suspended') return one('Progressing', [`${where} is suspended${msg}`]);
  return one('Unhealthy', [`${where} has health state "${health}"${msg}`]);
}

/** The Stage's health from its apps' (plus issues of refs that found nothing); worst state wins. */
export function stageHealth(
  parts: ReadonlyArray<{ app?: StageAppHealth; issues: readonly string[]; state?: StageHealthState }>,
  now: Date,
): StageHealth {
  let status: StageHealthState = 'Healthy';
  const issues: string[] = [];
  const apps: StageAppHealth[] = [];
  for (const p of parts) {
    const state = p.app?.state ?? p.state ?? 'Unknown';
    status = worse(status, state);
    if (p.app) apps.push(p.app);
    issues.push(...p.issues);
  }
  return { status, issues: status === 'Healthy' ? [] : issues, apps, updatedAt: now.toISOString() };
}

/** What changes a Stage's health, without the time it was computed (equal health, equal print). */
export function healthFingerprint(h: StageHealth): string {
  return JSON.stringify({ status: h.status, issues: h.issues, apps: h.apps });
}
