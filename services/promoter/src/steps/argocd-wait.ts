import { stepConfig, Type } from './schema.ts';
import type { StepCommand, StepRunner } from './types.ts';

const Schema = Type.Object({
  apps: Type.Array(
    Type.Object({
      name: Type.String({ minLength: 1 }),
      namespace: Type.Optional(Type.String()),
      /** Ferry extension: the kubeconfig context of the Argo CD installation. */
      cluster: Type.Optional(Type.String()),
    }),
    { minItems: 1 },
  ),
});

/**
 * `argocd-wait`: waits until each Application is Synced and Healthy with no operation running,
 * without touching it (Kargo's default `waitFor: [health, sync, operation]`). Degraded fails.
 */
export const argocdWait: StepRunner = {
  uses: 'argocd-wait',
  defaultTimeoutMs: 10 * 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    const commands: StepCommand[] = [];
    const waiting: string[] = [];
    for (const [i, app] of cfg.apps.entries()) {
      const opId = `${ctx.promotion}/${ctx.stepIndex}/${i}`;
      const namespace = app.namespace || 'argocd';
      const where = `${app.cluster ? `${app.cluster}:` : ''}${namespace}/${app.name}`;
      const op = await ctx.results.argocdOp(opId);
      if (op && op.state !== 'Running') {
        if (op.state === 'Failed' || op.state === 'Errored')
          return { status: op.state, message: `Application ${where}: ${op.message ?? 'wait failed'}` };
        continue;
      }
      waiting.push(where);
      commands.push({
        type: 'SyncArgoCDApp',
        msgId: `wait-argocd:${ctx.project}:${opId}`,
        payload: {
          project: ctx.project,
          opId,
          stage: ctx.stage,
          promotion: ctx.promotion,
          appName: app.name,
          appNamespace: namespace,
          timeoutSeconds: ctx.defaults.argocdTimeoutSeconds,
          mode: 'wait',
          ...(app.cluster ? { cluster: app.cluster } : {}),
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
