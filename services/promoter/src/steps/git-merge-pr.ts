import { forgeOf, ProviderSchema } from './forge-steps.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepRunner } from './types.ts';

const Schema = Type.Object(
  {
    repoURL: Type.String({ minLength: 1 }),
    prNumber: Type.Integer({ minimum: 1 }),
    provider: Type.Optional(ProviderSchema),
    insecureSkipTLSVerify: Type.Optional(Type.Boolean()),
    wait: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * `git-merge-pr`: merges the pull request with the provider's default method and outputs
 * `commit`. One already merged counts as merged (a step run twice merges once). When the forge
 * says it cannot merge yet, the step is Running with `wait: true` and Failed otherwise.
 */
export const gitMergePR: StepRunner = {
  uses: 'git-merge-pr',
  defaultTimeoutMs: 60 * 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    const forge = forgeOf(ctx, this.uses);
    const repo = { repoURL: cfg.repoURL, provider: cfg.provider };
    const pr = await forge.get(repo, cfg.prNumber);
    if (pr.state === 'merged') {
      return {
        status: 'Succeeded',
        outputs: { commit: pr.mergeCommit },
        message: `pull request #${pr.number} was already merged`,
      };
    }
    if (pr.state === 'closed') {
      return { status: 'Failed', message: `pull request #${pr.number} is closed; it cannot be merged` };
    }
    const merged = await forge.merge(repo, cfg.prNumber);
    if (merged.merged) {
      return {
        status: 'Succeeded',
        outputs: { commit: merged.commit },
        message: `merged pull request #${pr.number} as ${merged.commit.slice(0, 7)}`,
      };
    }
    const message = `pull request #${pr.number} cannot be merged yet: ${merged.reason}`;
    return cfg.wait ? { status: 'Running', message } : { status: 'Failed', message };
  },
};
