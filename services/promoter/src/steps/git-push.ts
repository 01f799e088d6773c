import { workPath } from './paths.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepRunner } from './types.ts';

const Schema = Type.Object({
  path: Type.String({ minLength: 1 }),
  targetBranch: Type.Optional(Type.String()),
  generateTargetBranch: Type.Optional(Type.Boolean()),
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
});

/**
 * `git-push`: hands the checkout's planned edits to git-writer (one WriteGit command,
 * idempotent by write id) and waits for the outcome. Outputs `branch` and `commit`.
 */
export const gitPush: StepRunner = {
  uses: 'git-push',
  defaultTimeoutMs: 5 * 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    const path = workPath(cfg.path, 'path');
    const checkout = ctx.workspace.checkouts.find((c) => c.path === path);
    if (!checkout) {
      return {
        status: 'Errored',
        message: `path: "${cfg.path}" is not the root of a checkout of an earlier git-clone step`,
      };
    }
    const targetBranch = cfg.generateTargetBranch
      ? `kargo/promotion/${ctx.promotion}`
      : (cfg.targetBranch ?? checkout.branch);
    if (!targetBranch) {
      return { status: 'Errored', message: 'targetBranch: required when the checkout names no branch' };
    }
    const writeId = `${ctx.promotion}/${ctx.stepIndex}`;
    const done = await ctx.results.gitWrite(writeId);
    if (done) {
      if (done.outcome === 'Failed')
        return { status: 'Errored', message: done.message ?? 'git write failed' };
      return {
        status: 'Succeeded',
        outputs: { branch: done.branch, commit: done.commit },
        message:
          done.outcome === 'NoChange'
            ? `nothing to change; ${done.branch} stays at ${done.commit.slice(0, 7)}`
            : `pushed ${done.commit.slice(0, 7)} to ${done.branch}`,
      };
    }
    const edits = ctx.workspace.edits
      .filter((e) => e.checkout === checkout.path)
      .map(({ checkout: _, ...edit }) => edit);
    return {
      status: 'Running',
      message: `waiting for git-writer to push to ${targetBranch}`,
      commands: [
        {
          type: 'WriteGit',
          msgId: `write-git:${ctx.project}:${writeId}`,
          payload: {
            project: ctx.project,
            writeId,
            stage: ctx.stage,
            promotion: ctx.promotion,
            repoURL: checkout.repoURL,
            ...(checkout.branch ? { sourceBranch: checkout.branch } : {}),
            targetBranch,
            edits,
            message:
              ctx.workspace.messages[checkout.path] ?? `Promote Freight ${ctx.freight.alias} to ${ctx.stage}`,
            maxAttempts: cfg.maxAttempts ?? 10,
          },
        },
      ],
    };
  },
};
