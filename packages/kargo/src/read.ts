/**
 * Small typed readers over a YAML document's plain value. Each reports what is wrong through a
 * `Ctx` (with the path of the field) and returns undefined instead of throwing, so one pass over a
 * file finds every problem.
 */

/** A path into a document: mapping keys and sequence indices. */
export type Path = readonly (string | number)[];
/** A YAML mapping. */
export type Obj = Record<string, unknown>;

/** Where problems and warnings of one document go. */
export interface Ctx {
  /** Records a problem at `path`; the file is rejected. */
  problem(path: Path, message: string): void;
  /** Records a warning at `path`; the file is still accepted. */
  warn(path: Path, message: string): void;
}

/** A note about a field the schema knows but Ferry handles specially. */
export type FieldNote = { warn: string } | { problem: string };

/** For fields Kargo has and Ferry ignores. */
export const IGNORED: FieldNote = { warn: 'is ignored by Ferry' };
/** For fields Kargo has and Ferry cannot honour yet. */
export const NOT_YET: FieldNote = { problem: 'not supported yet by Ferry' };

/** True for a YAML mapping. */
export const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The message for a value of the wrong type, with a hint for the YAML scalars people forget to quote. */
function mustBe(what: string, v: unknown): string {
  if (what === 'a string' && (typeof v === 'number' || typeof v === 'boolean')) {
    return `must be a string (put it in quotes: "${String(v)}")`;
  }
  return `must be ${what}`;
}

/** Reads a mapping; `required` says what the field is for when it must be present. */
export function mapAt(ctx: Ctx, v: unknown, path: Path, required?: string): Obj | undefined {
  if (v === undefined || v === null) {
    if (required) ctx.problem(path, `required: ${required}`);
    return undefined;
  }
  if (!isMap(v)) ctx.problem(path, 'must be a mapping');
  return isMap(v) ? v : undefined;
}

/** Reads a string; an empty string counts as absent when the field is required. */
export function strAt(ctx: Ctx, v: unknown, path: Path, required?: string): string | undefined {
  if (v === undefined || v === null || (v === '' && required)) {
    if (required) ctx.problem(path, `required: ${required}`);
    return undefined;
  }
  if (typeof v !== 'string') {
    ctx.problem(path, mustBe('a string', v));
    return undefined;
  }
  return v;
}

/** Reads a boolean, `def` when absent. */
export function boolAt(ctx: Ctx, v: unknown, path: Path, def: boolean): boolean {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') ctx.problem(path, mustBe('true or false', v));
  return typeof v === 'boolean' ? v : def;
}

/** Reads a sequence; absent is empty. */
export function listAt(ctx: Ctx, v: unknown, path: Path): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) ctx.problem(path, 'must be a list');
  return Array.isArray(v) ? v : [];
}

/** Reads a sequence of strings; absent is empty. */
export function stringsAt(ctx: Ctx, v: unknown, path: Path): string[] {
  return listAt(ctx, v, path).flatMap((item, i) => strAt(ctx, item, [...path, i]) ?? []);
}

/** Reads a string-to-string mapping (labels, annotations); absent is empty. */
export function stringMapAt(ctx: Ctx, v: unknown, path: Path): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(mapAt(ctx, v, path) ?? {})) {
    const s = strAt(ctx, val, [...path, k]);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

/**
 * Checks a mapping's keys: `known` (space-separated) pass, `notes` give a warning or a problem, and any
 * other key is a problem, as Kubernetes' strict field validation would report it.
 */
export function fields(
  ctx: Ctx,
  o: Obj,
  path: Path,
  known: string,
  notes: Record<string, FieldNote> = {},
): void {
  const ok = new Set(known.split(' '));
  for (const k of Object.keys(o)) {
    if (ok.has(k)) continue;
    const note = notes[k];
    if (note === undefined) ctx.problem([...path, k], 'unknown field');
    else if ('warn' in note) ctx.warn([...path, k], note.warn);
    else ctx.problem([...path, k], note.problem);
  }
}

/** A path as a JSON pointer (`/spec/steps/0/as`), escaping `~` and `/` in keys. */
export const pointer = (path: Path): string =>
  path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
