import { ArgoCDSourceUpdateSchema, LabelSelectorSchema } from '@ferry/contracts';
import type { Static } from '@sinclair/typebox';
import { stepConfig, Type } from './schema.ts';
import type { StepCommand, StepRunner } from './types.ts';

/**
 * One source update: the fields of Kargo's `argocd-update` `apps[].sources[]`, as the
 * SyncArgoCDApp command carries them, plus the older `desiredCommitFromStep`.
 */
const SourceSchema = Type.Object({
  ...ArgoCDSourceUpdateSchema.properties,
  desiredCommitFromStep: Type.Optional(Type.String()),
});

/** Kargo's `apps[].selector`: a Kubernetes label selector (argocd-update and argocd-wait). */
export const SelectorSchema = LabelSelectorSchema;

/** A selector as a `labelSelector` query (`a=b,c in (d,e)`), sorted: the command's `appName` for logs. */
export function selectorLabel(sel: Static<typeof SelectorSchema>): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    parts.push(
      e.operator === 'In'
        ? `${e.key} in (${values})`
        : e.operator === 'NotIn'
          ? `${e.key} notin (${values})`
          : e.operator === 'Exists'
            ? e.key
            : `!${e.key}`,
    );
  }
  return parts.sort().join(',');
}

/** Problems of one `apps[i]` entry, each naming its field: name xor selector, and a usable selector. */
export function appEntryProblems(
  app: { name?: string; selector?: Static<typeof SelectorSchema> },
  i: number,
): string[] {
  const at = `apps[${i}]`;
  if (app.name && app.selector) return [`${at}: name and selector are mutually exclusive; give one`];
  if (!app.name && !app.selector) return [`${at}: needs name or selector`];
  const sel = app.selector;
  if (!sel) return [];
  const out: string[] = [];
  if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)
    out.push(`${at}.selector: needs matchLabels or matchExpressions`);
  for (const [j, e] of (sel.matchExpressions ?? []).entries()) {
    const n = e.values?.length ?? 0;
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0)
      out.push(
        `${at}.selector.matchExpressions[${j}].values: operator ${e.operator} needs at least one value`,
      );
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0)
      out.push(`${at}.selector.matchExpressions[${j}].values: must be empty for operator ${e.operator}`);
  }
  return out;
}

const Schema = Type.Object({
  apps: Type.Array(
    Type.Object({
      /** The Application's name; exclusive with `selector`. */
      name: Type.Optional(Type.String({ minLength: 1 })),
      /** Kargo's label selector: every matching Application (authorized for the Stage) is updated. */
      selector: Type.Optional(SelectorSchema),
      namespace: Type.Optional(Type.String()),
      /** Ferry extension: the kubeconfig context of the Argo CD installation. */
      cluster: Type.Optional(Type.String()),
      sources: Type.Optional(Type.Array(SourceSchema)),
    }),
    { minItems: 1 },
  ),
});

/**
 * `argocd-update`: asks argocd-syncer to sync each Application to the revision this
 * Promotion pushed (or the one given) and waits until every one is Synced and Healthy there.
 */
export const argocdUpdate: StepRunner = {
  uses: 'argocd-update',
  defaultTimeoutMs: 10 * 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    const problems = cfg.apps.flatMap((a, i) => appEntryProblems(a, i));
    if (problems.length > 0)
      return { status: 'Errored', message: `invalid argocd-update config: ${problems.join('; ')}` };
    // The revision pushed last in this Promotion, as Kargo does when none is given.
    const pushed = Object.values(ctx.outputs)
      .map((o) => o.commit)
      .filter((c): c is string => typeof c === 'string')
      .at(-1);
    const commands: StepCommand[] = [];
    const waiting: string[] = [];
    for (const [i, app] of cfg.apps.entries()) {
      // desiredCommitFromStep (Kargo's older field) becomes the source's desiredRevision.
      const sources = (app.sources ?? []).map(({ desiredCommitFromStep, ...src }) => {
        const fromStep = desiredCommitFromStep ? ctx.outputs[desiredCommitFromStep]?.commit : undefined;
        const desiredRevision = src.desiredRevision || (typeof fromStep === 'string' ? fromStep : undefined);
        return desiredRevision ? { ...src, desiredRevision } : src;
      });
      // Without a desired revision of its own, a single-source app must reach what was pushed.
      const revision = sources.length === 0 || !sources.some((s) => s.desiredRevision) ? pushed : undefined;
      const opId = `${ctx.promotion}/${ctx.stepIndex}/${i}`;
      const op = await ctx.results.argocdOp(opId);
      const namespace = app.namespace || 'argocd';
      const label = app.selector ? selectorLabel(app.selector) : (app.name as string);
      const where = `${app.cluster ? `${app.cluster}:` : ''}${namespace}/${app.selector ? `{${label}}` : label}`;
      if (op && op.state !== 'Running') {
        if (op.state === 'Failed')
          return {
            status: 'Failed',
            message: `Application ${where}: ${op.message ?? 'sync failed'}`,
          };
        if (op.state === 'Errored')
          return {
            status: 'Errored',
            message: `Application ${where}: ${op.message ?? 'sync errored'}`,
          };
        continue;
      }
      waiting.push(where);
      commands.push({
        type: 'SyncArgoCDApp',
        msgId: `sync-argocd:${ctx.project}:${opId}`,
        payload: {
          project: ctx.project,
          opId,
          stage: ctx.stage,
          promotion: ctx.promotion,
          appName: label,
          appNamespace: namespace,
          ...(app.selector ? { selector: app.selector } : {}),
          ...(revision ? { revision } : {}),
          timeoutSeconds: ctx.defaults.argocdTimeoutSeconds,
          ...(app.cluster ? { cluster: app.cluster } : {}),
          ...(sources.length > 0 ? { sources } : {}),
        },
      });
    }
    if (waiting.length === 0)
      return { status: 'Succeeded', message: `${cfg.apps.length} Application(s) Synced and Healthy` };
    return {
      status: 'Running',
      message: `waiting for ${waiting.join(', ')} to be Synced and Healthy`,
      commands,
    };
  },
};
