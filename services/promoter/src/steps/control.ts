/** Steps that change the Promotion itself rather than files: `fail`, `compose-output`, `set-metadata`. */
import { stepConfig, Type } from './schema.ts';
import type { StepResult, StepRunner } from './types.ts';

const FailSchema = Type.Object(
  { message: Type.Optional(Type.String({ minLength: 1 })) },
  { additionalProperties: false },
);

/** `fail`: ends the step Failed with `message` (usually behind an `if`). */
export const fail: StepRunner = {
  uses: 'fail',
  defaultTimeoutMs: 60_000,
  async run(ctx): Promise<StepResult> {
    const cfg = stepConfig(FailSchema, this.uses, ctx.config);
    return { status: 'Failed', message: cfg.message ?? 'failed by a fail step' };
  },
};

const ComposeSchema = Type.Record(Type.String(), Type.Unknown(), { minProperties: 1 });

/** `compose-output`: its (evaluated) config becomes its outputs, for later steps to use. */
export const composeOutput: StepRunner = {
  uses: 'compose-output',
  defaultTimeoutMs: 60_000,
  async run(ctx): Promise<StepResult> {
    const cfg = stepConfig(ComposeSchema, this.uses, ctx.config);
    return { status: 'Succeeded', outputs: { ...cfg } };
  },
};

const MetadataSchema = Type.Object(
  {
    updates: Type.Array(
      Type.Object(
        {
          kind: Type.Union([Type.Literal('Stage'), Type.Literal('Freight')]),
          name: Type.String({ minLength: 1 }),
          values: Type.Record(Type.String(), Type.Unknown(), { minProperties: 1 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);

/**
 * `set-metadata`: Kargo stores the values as annotations on a Stage or Freight. Ferry records
 * them on the Promotion's status under `metadata["<Kind>/<name>"]`, merged key by key.
 */
export const setMetadata: StepRunner = {
  uses: 'set-metadata',
  defaultTimeoutMs: 60_000,
  async run(ctx): Promise<StepResult> {
    const cfg = stepConfig(MetadataSchema, this.uses, ctx.config);
    return { status: 'Succeeded', metadata: cfg.updates };
  },
};
