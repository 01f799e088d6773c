import type { WriteGit } from '@ferry/contracts';
import { workPath } from './paths.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepContext, StepRunner } from './types.ts';

const Schema = Type.Object({
  path: Type.String({ minLength: 1 }),
  targetBranch: Type.Optional(Type.String()),
  generateTargetBranch: Type.Optional(Type.Boolean()),
  forcePush: Type.Optional(Type.Boolean()),
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1 })),
  provider: Type.Optional(
    Type.Union(['azure', 'bitbucket', 'gitea', 'github', 'gitlab'].map((p) => Type.Literal(p))),
  ),
});

/** Most push attempts git-writer makes (each rebases the edits on the new head); larger asks are capped. */
export const MAX_PUSH_ATTEMPTS = 50;

/** The default of `maxAttempts`: what Kargo's git-push does (its docs say 50; its code tries 10 times). */
const DEFAULT_PUSH_ATTEMPTS = 10;

/**
 * The read-only checkouts a checkout's copies read from, each with the edits made in it before
 * the last copy from it (so a copy sees the source as the steps before it left it).
 */
function sourcesFor(ctx: StepContext, path: string): NonNullable<WriteGit['sources']> {
  const edits = ctx.workspace.edits;
  const sources: NonNullable<WriteGit['sources']> = [];
  for (const c of ctx.workspace.checkouts) {
    const lastCopy = edits.findLastIndex(
      (e) => e.checkout === path && e.kind === 'copy' && e.fromCheckout === c.path,
    );
    if (lastCopy < 0) continue;
    const own = edits
      .slice(0, lastCopy)
      .filter((e) => e.checkout === c.path)
      .map(({ checkout: _, ...edit }) => edit);
    sources.push({
      path: c.path,
      repoURL: c.repoURL,
      ...(c.commit ? { commit: c.commit } : c.tag ? { tag: c.tag } : c.branch ? { branch: c.branch } : {}),
      ...(own.length > 0 ? { edits: own } : {}),
    });
  }
  return sources;
}

/**
 * `git-push`: hands the checkout's planned edits to git-writer (one WriteGit command,
 * idempotent by write id) and waits for the outcome. Outputs `branch` and `commit`.
 * `generateTargetBranch` pushes to `kargo/promotion/<promotion>`, overwriting it, as Kargo does;
 * `forcePush` overwrites the target branch with the checkout's branch plus the edits. A push the
 * branch moved under is rebased (the edits redone on the new head) up to `maxAttempts` times.
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
    if (cfg.generateTargetBranch && cfg.targetBranch) {
      return {
        status: 'Errored',
        message: 'targetBranch: mutually exclusive with generateTargetBranch: true; give one of them',
      };
    }
    const readOnly = checkout.commit
      ? `commit ${checkout.commit}`
      : checkout.tag
        ? `tag ${checkout.tag}`
        : '';
    if (readOnly) {
      return {
        status: 'Errored',
        message: `path: "${cfg.path}" is a read-only checkout of ${readOnly}; push a branch checkout (copy into it, create: true for a new branch)`,
      };
    }
    const targetBranch = cfg.generateTargetBranch
      ? `kargo/promotion/${ctx.promotion}`
      : cfg.targetBranch || checkout.branch;
    if (!targetBranch) {
      return { status: 'Errored', message: 'targetBranch: required when the checkout names no branch' };
    }
    const writeId = `${ctx.promotion}/${ctx.stepIndex}`;
    const done = await ctx.results.gitWrite(writeId);
    if (done) {
      if (done.outcome === 'Failed')
        return { status: 'Errored', message: done.message ?? 'git write failed' };
      if (done.commit) ctx.workspace.pushed = { ...ctx.workspace.pushed, [checkout.path]: done.commit };
      return {
        status: 'Succeeded',
        outputs: { branch: done.branch, commit: done.commit },
        message:
          done.outcome === 'NoChange'
            ? done.commit
              ? `nothing to change; ${done.branch} stays at ${done.commit.slice(0, 7)}`
              : `nothing to change; ${done.message ?? `${done.branch} was not created`}`
            : `pushed ${done.commit.slice(0, 7)} to ${done.branch}`,
      };
    }
    const edits = ctx.workspace.edits
      .filter((e) => e.checkout === checkout.path)
      .map(({ checkout: _, ...edit }) => edit);
    const sources = sourcesFor(ctx, checkout.path);
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
            maxAttempts: Math.min(cfg.maxAttempts ?? DEFAULT_PUSH_ATTEMPTS, MAX_PUSH_ATTEMPTS),
            ...(checkout.create ? { orphan: true } : {}),
            ...(cfg.generateTargetBranch || cfg.forcePush ? { force: true } : {}),
            ...(sources.length > 0 ? { sources } : {}),
          },
        },
      ],
    };
  },
};
