import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type ErrorCode, type Problem, ValidationError } from './errors.ts';

/**
 * The one validation helper used at every edge: returns the value typed by the schema, or
 * throws a ValidationError listing every problem with its path. `what` names the input in
 * the message (`FreightDiscovered message`, `POST /api/v1/... body`).
 */
export function validate<S extends TSchema>(
  schema: S,
  value: unknown,
  what: string,
  code: ErrorCode = 'FERRY_ERR_VALIDATION',
): Static<S> {
  if (Value.Check(schema, value)) return value;
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, value)) {
    // TypeBox reports a missing property twice (required, then its type): keep the first.
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    problems.push({ path: e.path, message: e.message });
    if (problems.length >= 50) break;
  }
  throw new ValidationError(what, problems, code);
}
