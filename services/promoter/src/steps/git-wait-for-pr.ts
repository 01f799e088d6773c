import { forgeOf, ProviderSchema } from './forge-steps.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepRunner } from './types.ts';

const Schema = Type.Object(
  {
    repoURL: Type.String({ minLength: 1 }),
    prNumber: Type.Integer({ minimum: 1 }),
    provider: Type.Optional(ProviderSchema),
    insecureSkipTLSVerify: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * `git-wait-for-pr`: Running until the pull request is merged (outputs `commit`, the merge
 * commit) and Failed when it was closed without being merged.
 */
export const gitWaitForPR: StepRunner = {
  uses: 'git-wait-for-pr',
  // Kargo waits for people here; a day is a default the step's `retry.timeout` can change.
  defaultTimeoutMs: 24 * 60 * 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    const pr = await forgeOf(ctx, this.uses).get(
      { repoURL: cfg.repoURL, provider: cfg.provider },
      cfg.prNumber,
    );
    if (pr.state === 'merged') {
      return {
        status: 'Succeeded',
        outputs: { commit: pr.mergeCommit },
        message: `pull request #${pr.number} merged as ${pr.mergeCommit?.slice(0, 7)}`,
      };
    }
    if (pr.state === 'closed') {
      return { status: 'Failed', message: `pull request #${pr.number} was closed without being merged` };
    }
    return { status: 'Running', message: `waiting for pull request #${pr.number} to be merged (${pr.url})` };
  },
};
