import { appEntryProblems, SelectorSchema, selectorLabel } from './argocd-update.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepCommand, StepRunner } from './types.ts';

const Schema = Type.Object({
  apps: Type.Array(
    Type.Object({
      /** The Application's name; exclusive with `selector`. */
      name: Type.Optional(Type.String({ minLength: 1 })),
      /**
       * Kargo's label selector: every matching Application in the namespace is waited for. As in
       * Kargo, argocd-wait only reads, so the apps need no `kargo.akuity.io/authorized-stage`.
       */
      selector: Type.Optional(SelectorSchema),
      namespace: Type.Optional(Type.String()),
      /** Ferry extension: the kubeconfig context of the Argo CD installation. */
      cluster: Type.Optional(Type.String()),
    }),
    { minItems: 1 },
  ),
});

/**
 * `argocd-wait`: waits until each Application (by name, or every one a label selector matches) is
 * Synced and Healthy with no operation running, without touching it (Kargo's default
 * `waitFor: [health, sync, operation]`). Degraded fails; a selector matching nothing is Errored.
 */
export const argocdWait: StepRunner = {
  uses: 'argocd-wait',
  defaultTimeoutMs: 10 * 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    const problems = cfg.apps.flatMap((a, i) => appEntryProblems(a, i));
    if (problems.length > 0)
      return { status: 'Errored', message: `invalid argocd-wait config: ${problems.join('; ')}` };
    const commands: StepCommand[] = [];
    const waiting: string[] = [];
    // What each finished operation said: with a selector, it names the apps it matched.
    const done: string[] = [];
    for (const [i, app] of cfg.apps.entries()) {
      const opId = `${ctx.promotion}/${ctx.stepIndex}/${i}`;
      const namespace = app.namespace || 'argocd';
      const label = app.selector ? selectorLabel(app.selector) : (app.name as string);
      const where = `${app.cluster ? `${app.cluster}:` : ''}${namespace}/${app.selector ? `{${label}}` : label}`;
      const op = await ctx.results.argocdOp(opId);
      if (op && op.state !== 'Running') {
        if (op.state === 'Failed' || op.state === 'Errored')
          return { status: op.state, message: `Application ${where}: ${op.message ?? 'wait failed'}` };
        done.push(op.message ?? `${where} Synced and Healthy`);
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
          appName: label,
          appNamespace: namespace,
          ...(app.selector ? { selector: app.selector } : {}),
          timeoutSeconds: ctx.defaults.argocdTimeoutSeconds,
          mode: 'wait',
          ...(app.cluster ? { cluster: app.cluster } : {}),
        },
      });
    }
    if (waiting.length === 0) return { status: 'Succeeded', message: done.join('; ') };
    return {
      status: 'Running',
      message: `waiting for ${waiting.join(', ')} to be Synced and Healthy`,
      commands,
    };
  },
};
