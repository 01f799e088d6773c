import { workPath } from './paths.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepRunner } from './types.ts';

const Schema = Type.Object({
  path: Type.String({ minLength: 1 }),
  tag: Type.String({ minLength: 1 }),
  tagger: Type.Optional(
    Type.Object({
      name: Type.Optional(Type.String()),
      email: Type.Optional(Type.String()),
      signingKey: Type.Optional(Type.String()),
      signingMessage: Type.Optional(Type.String()),
    }),
  ),
});

/**
 * `git-tag`: tags a checkout's commit and pushes the tag, through git-writer (one WriteGit
 * command with `tag`, exactly once by write id). The commit is the one the Promotion's
 * `git-push` of that checkout pushed; before any push, the checkout's commit, its tag's commit,
 * or its branch's head. A tag already at that commit is success; at another commit the step
 * errors (tags are never moved). Outputs `tag` and `commit`.
 */
export const gitTag: StepRunner = {
  uses: 'git-tag',
  defaultTimeoutMs: 5 * 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    if (cfg.tagger?.signingKey) {
      return {
        status: 'Errored',
        message:
          'tagger.signingKey: Ferry pushes lightweight tags and never takes a key from a Promotion; remove tagger',
      };
    }
    const path = workPath(cfg.path, 'path');
    const checkout = ctx.workspace.checkouts.find((c) => c.path === path);
    if (!checkout) {
      return {
        status: 'Errored',
        message: `path: "${cfg.path}" is not the root of a checkout of an earlier git-clone step`,
      };
    }
    const writeId = `${ctx.promotion}/${ctx.stepIndex}`;
    const done = await ctx.results.gitWrite(writeId);
    if (done) {
      if (done.outcome === 'Failed') return { status: 'Errored', message: done.message ?? 'git tag failed' };
      return {
        status: 'Succeeded',
        outputs: { tag: cfg.tag, commit: done.commit },
        message:
          done.outcome === 'NoChange'
            ? `tag ${cfg.tag} was already at ${done.commit.slice(0, 7)}`
            : `tagged ${done.commit.slice(0, 7)} as ${cfg.tag}`,
      };
    }
    const pushed = ctx.workspace.pushed?.[path];
    const branch = checkout.branch;
    if (!pushed && !checkout.commit && !checkout.tag && !branch) {
      return {
        status: 'Errored',
        message: `path: "${cfg.path}" names no branch, commit or tag and was not pushed; nothing to tag`,
      };
    }
    const at = pushed ?? checkout.commit;
    return {
      status: 'Running',
      message: `waiting for git-writer to push tag ${cfg.tag}`,
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
            targetBranch: branch ?? cfg.tag,
            edits: [],
            message: `tag ${cfg.tag}`,
            maxAttempts: 1,
            tag: {
              name: cfg.tag,
              ...(at ? { commit: at } : checkout.tag ? { sourceTag: checkout.tag } : {}),
            },
          },
        },
      ],
    };
  },
};
