import { ArgoCDSourceUpdateSchema } from '@ferry/contracts';
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

const Schema = Type.Object({
  apps: Type.Array(
    Type.Object({
      name: Type.String({ minLength: 1 }),
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
      const where = `${app.cluster ? `${app.cluster}:` : ''}${namespace}/${app.name}`;
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
          appName: app.name,
          appNamespace: namespace,
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
