import { workPath } from './paths.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepRunner } from './types.ts';

const Schema = Type.Object({
  repoURL: Type.String({ minLength: 1 }),
  insecureSkipTLSVerify: Type.Optional(Type.Boolean()),
  checkout: Type.Array(
    Type.Object({
      branch: Type.Optional(Type.String()),
      commit: Type.Optional(Type.String()),
      tag: Type.Optional(Type.String()),
      create: Type.Optional(Type.Boolean()),
      path: Type.String({ minLength: 1 }),
    }),
    { minItems: 1 },
  ),
});

/**
 * `git-clone`: plans checkouts of a repository into the Promotion's work tree. The files are
 * fetched by git-writer (from its clone cache) when the work is pushed.
 */
export const gitClone: StepRunner = {
  uses: 'git-clone',
  defaultTimeoutMs: 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    for (const [i, c] of cfg.checkout.entries()) {
      if (c.commit || c.tag) {
        return {
          status: 'Errored',
          message: `checkout[${i}]: checking out a commit or tag is not supported yet; check out a branch`,
        };
      }
      const path = workPath(c.path, `checkout[${i}].path`);
      if (ctx.workspace.checkouts.some((x) => x.path === path)) {
        return { status: 'Errored', message: `checkout[${i}].path: "${c.path}" is already checked out` };
      }
      ctx.workspace.checkouts.push({
        path,
        repoURL: cfg.repoURL,
        ...(c.branch ? { branch: c.branch } : {}),
        ...(c.create ? { create: true } : {}),
      });
    }
    return { status: 'Succeeded' };
  },
};
