import { workPath } from './paths.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepRunner } from './types.ts';

const Schema = Type.Object({
  path: Type.String({ minLength: 1 }),
  message: Type.Optional(Type.String()),
  messageFromSteps: Type.Optional(Type.Array(Type.String())),
  author: Type.Optional(
    Type.Object({ name: Type.Optional(Type.String()), email: Type.Optional(Type.String()) }),
  ),
});

/**
 * `git-commit`: sets the commit message for a checkout. The commit itself is made by
 * git-writer at `git-push`, under the branch's write lease, so it can be redone on top of a
 * moved branch without a race.
 */
export const gitCommit: StepRunner = {
  uses: 'git-commit',
  defaultTimeoutMs: 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    const path = workPath(cfg.path, 'path');
    if (!ctx.workspace.checkouts.some((c) => c.path === path)) {
      return {
        status: 'Errored',
        message: `path: "${cfg.path}" is not the root of a checkout of an earlier git-clone step`,
      };
    }
    const parts: string[] = [];
    if (cfg.message) parts.push(cfg.message);
    for (const alias of cfg.messageFromSteps ?? []) {
      const m = ctx.outputs[alias]?.commitMessage;
      if (typeof m === 'string') parts.push(m);
    }
    if (parts.length === 0) {
      parts.push(`Promote Freight ${ctx.freight.alias} to ${ctx.stage}`);
    }
    const message =
      parts.length > 1
        ? `Ferry applied ${parts.length} changes\n\n${parts.map((p) => `- ${p}`).join('\n')}`
        : parts[0]!;
    ctx.workspace.messages[path] = message;
    return { status: 'Succeeded', outputs: { message } };
  },
};
