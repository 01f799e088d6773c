import { workPath } from './paths.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepRunner } from './types.ts';

const Schema = Type.Object({
  repoURL: Type.String({ minLength: 1 }),
  insecureSkipTLSVerify: Type.Optional(Type.Boolean()),
  author: Type.Optional(
    Type.Object({
      name: Type.Optional(Type.String()),
      email: Type.Optional(Type.String()),
      signingKey: Type.Optional(Type.String()),
    }),
  ),
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
 * `git-clone`: plans checkouts of a repository into the Promotion's work tree: a branch (written
 * by `git-push`; `create: true` starts it as a new orphan branch when it does not exist), or a
 * commit or tag (read-only: it feeds `copy` steps). git-writer materialises the checkouts from
 * its clone cache when the work is pushed or diffed. Several git-clone steps (of one or more
 * repositories) may plan checkouts, each into its own path.
 */
export const gitClone: StepRunner = {
  uses: 'git-clone',
  defaultTimeoutMs: 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    if (cfg.author?.signingKey) {
      return {
        status: 'Errored',
        message:
          "author.signingKey: Ferry signs commits with git-writer's key (FERRY_GIT_SIGNING_KEY_TYPE and FERRY_GIT_SIGNING_KEY_PATH), never with a key carried in a Promotion; remove author.signingKey",
      };
    }
    const planned: typeof ctx.workspace.checkouts = [];
    for (const [i, c] of cfg.checkout.entries()) {
      const given = (['branch', 'commit', 'tag'] as const).filter((k) => c[k]);
      if (given.length > 1) {
        return {
          status: 'Errored',
          message: `checkout[${i}]: ${given.join(' and ')} are mutually exclusive; give one of branch, commit or tag`,
        };
      }
      if (c.create && (c.commit || c.tag)) {
        return {
          status: 'Errored',
          message: `checkout[${i}].create: only a branch can be created; drop create or check out a branch`,
        };
      }
      const path = workPath(c.path, `checkout[${i}].path`);
      if (path === '.') {
        return {
          status: 'Errored',
          message: `checkout[${i}].path: give a directory of the work tree, like ./out`,
        };
      }
      const clash = [...ctx.workspace.checkouts, ...planned].find(
        (x) => x.path === path || x.path.startsWith(`${path}/`) || path.startsWith(`${x.path}/`),
      );
      if (clash) {
        return {
          status: 'Errored',
          message:
            clash.path === path
              ? `checkout[${i}].path: "${c.path}" is already checked out`
              : `checkout[${i}].path: "${c.path}" overlaps the checkout at ${clash.path}; give each checkout a path of its own`,
        };
      }
      if (c.branch) {
        const same = [...ctx.workspace.checkouts, ...planned].find(
          (x) => x.repoURL === cfg.repoURL && x.branch === c.branch,
        );
        if (same) {
          // As in git: one branch cannot be checked out in two work trees.
          return {
            status: 'Errored',
            message: `checkout[${i}].branch: "${c.branch}" is already checked out at ${same.path}; a branch can be checked out once`,
          };
        }
      }
      planned.push({
        path,
        repoURL: cfg.repoURL,
        ...(c.branch ? { branch: c.branch } : {}),
        ...(c.commit ? { commit: c.commit } : {}),
        ...(c.tag ? { tag: c.tag } : {}),
        ...(c.create && !c.commit && !c.tag ? { create: true } : {}),
      });
    }
    ctx.workspace.checkouts.push(...planned);
    return { status: 'Succeeded' };
  },
};
