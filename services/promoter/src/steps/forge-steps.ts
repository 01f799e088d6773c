import type { Forge } from '@ferry/forge';
import { Type } from './schema.ts';
import type { StepContext } from './types.ts';

/** The providers the pull-request steps accept in `provider` (Kargo also lists azure and bitbucket). */
export const ProviderSchema = Type.Union([
  Type.Literal('github'),
  Type.Literal('gitlab'),
  Type.Literal('gitea'),
]);

/** The forge port, or an error naming the step when the promoter was started without one. */
export function forgeOf(ctx: StepContext, uses: string): Forge {
  if (!ctx.forge)
    throw new Error(`${uses}: this promoter has no forge client; it cannot reach pull requests`);
  return ctx.forge;
}
