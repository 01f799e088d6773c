import { forgeOf, ProviderSchema } from './forge-steps.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepRunner } from './types.ts';

const Schema = Type.Object(
  {
    repoURL: Type.String({ minLength: 1 }),
    sourceBranch: Type.String({ minLength: 1 }),
    targetBranch: Type.String({ minLength: 1 }),
    title: Type.Optional(Type.String({ minLength: 1 })),
    description: Type.Optional(Type.String({ minLength: 1 })),
    labels: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    provider: Type.Optional(ProviderSchema),
    insecureSkipTLSVerify: Type.Optional(Type.Boolean()),
    createTargetBranch: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * `git-open-pr`: opens a pull request from `sourceBranch` into `targetBranch` and outputs
 * `pr: {id, url}`. An open pull request for the same branches is reused, so a step run twice
 * (a redelivered message, a restart) never opens a second one.
 */
export const gitOpenPR: StepRunner = {
  uses: 'git-open-pr',
  defaultTimeoutMs: 5 * 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    if (cfg.createTargetBranch) {
      return {
        status: 'Errored',
        message: 'createTargetBranch: Ferry cannot create the target branch yet; push it first (git-push)',
      };
    }
    const forge = forgeOf(ctx, this.uses);
    const repo = { repoURL: cfg.repoURL, provider: cfg.provider };
    const existing = await forge.findOpen(repo, cfg.sourceBranch, cfg.targetBranch);
    const pr =
      existing ??
      (await forge.create(repo, {
        head: cfg.sourceBranch,
        base: cfg.targetBranch,
        title: cfg.title ?? `Promote ${ctx.freight.alias} to ${ctx.stage}`,
        description:
          cfg.description ??
          `Promotion ${ctx.promotion} of Freight ${ctx.freight.alias} (${ctx.freight.metadata.name}) to Stage ${ctx.stage}, opened by Ferry.`,
        labels: cfg.labels ?? [],
      }));
    return {
      status: 'Succeeded',
      outputs: { pr: { id: pr.number, url: pr.url } },
      message: `${existing ? 'reused open' : 'opened'} pull request #${pr.number} from ${cfg.sourceBranch} into ${cfg.targetBranch}`,
    };
  },
};
