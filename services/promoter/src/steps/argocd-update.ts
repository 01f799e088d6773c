import { stepConfig, Type } from './schema.ts';
import type { StepCommand, StepRunner } from './types.ts';

const Schema = Type.Object({
  apps: Type.Array(
    Type.Object({
      name: Type.String({ minLength: 1 }),
      namespace: Type.Optional(Type.String()),
      sources: Type.Optional(
        Type.Array(
          Type.Object({
            repoURL: Type.String(),
            desiredRevision: Type.Optional(Type.String()),
            desiredCommitFromStep: Type.Optional(Type.String()),
          }),
        ),
      ),
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
      const src = app.sources?.[0];
      const fromStep = src?.desiredCommitFromStep
        ? ctx.outputs[src.desiredCommitFromStep]?.commit
        : undefined;
      const revision =
        src?.desiredRevision || (typeof fromStep === 'string' ? fromStep : undefined) || pushed;
      const opId = `${ctx.promotion}/${ctx.stepIndex}/${i}`;
      const op = await ctx.results.argocdOp(opId);
      const namespace = app.namespace || 'argocd';
      if (op && op.state !== 'Running') {
        if (op.state === 'Failed')
          return {
            status: 'Failed',
            message: `Application ${namespace}/${app.name}: ${op.message ?? 'sync failed'}`,
          };
        if (op.state === 'Errored')
          return {
            status: 'Errored',
            message: `Application ${namespace}/${app.name}: ${op.message ?? 'sync errored'}`,
          };
        continue;
      }
      waiting.push(`${namespace}/${app.name}`);
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
