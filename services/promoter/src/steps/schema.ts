import { validate } from '@ferry/contracts';
import { type TSchema, Type } from '@sinclair/typebox';

/** Checks a step's config against its schema; the error names the step and every bad key. */
export function stepConfig<S extends TSchema>(schema: S, uses: string, config: unknown) {
  return validate(schema, config ?? {}, `${uses} config`);
}

export { Type };
