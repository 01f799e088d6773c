import { locate } from './paths.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepRunner } from './types.ts';

const Schema = Type.Object({
  path: Type.String({ minLength: 1 }),
  images: Type.Optional(
    Type.Array(
      Type.Object({
        image: Type.String({ minLength: 1 }),
        tag: Type.Optional(Type.String()),
        digest: Type.Optional(Type.String()),
        useDigest: Type.Optional(Type.Boolean()),
        name: Type.Optional(Type.String()),
        newName: Type.Optional(Type.String()),
      }),
    ),
  ),
});

/**
 * `kustomize-set-image`: plans an update of the `images:` of a kustomization to the target
 * Freight's images (or to an explicit tag/digest). With no images listed, every image of the
 * Freight is set, as Kargo does.
 */
export const kustomizeSetImage: StepRunner = {
  uses: 'kustomize-set-image',
  defaultTimeoutMs: 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    const { checkout, repoPath } = locate(ctx.workspace, cfg.path, 'path');
    type Wanted = NonNullable<typeof cfg.images>[number];
    const wanted: Wanted[] = cfg.images ?? ctx.freight.images.map((i) => ({ image: i.repoURL }));
    const images: Array<{ name: string; newName?: string; newTag?: string; digest?: string }> = [];
    for (const [i, w] of wanted.entries()) {
      let tag = w.tag;
      let digest = w.digest;
      if (!tag && !digest) {
        const fromFreight = ctx.freight.images.find((f) => f.repoURL === w.image);
        if (!fromFreight) {
          const known = ctx.freight.images.map((f) => f.repoURL).join(', ') || 'none';
          return {
            status: 'Errored',
            message: `images[${i}]: Freight ${ctx.freight.alias} has no image ${w.image} (it has: ${known})`,
          };
        }
        if (w.useDigest) digest = fromFreight.digest;
        else tag = fromFreight.tag;
      }
      images.push({
        name: w.name ?? w.image,
        ...(w.newName ? { newName: w.newName } : {}),
        ...(digest ? { digest } : { newTag: tag! }),
      });
    }
    ctx.workspace.edits.push({
      checkout: checkout.path,
      kind: 'kustomize-set-image',
      path: repoPath,
      images,
    });
    const described = images.map(
      (i) => `${i.newName ?? i.name}${i.digest ? `@${i.digest}` : `:${i.newTag}`}`,
    );
    return {
      status: 'Succeeded',
      outputs: {
        commitMessage: `Updated ${cfg.path}/kustomization.yaml to use new image ${described.join(', ')}`,
      },
    };
  },
};
