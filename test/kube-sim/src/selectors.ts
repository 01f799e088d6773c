import { str } from './json.ts';

/** A selector string that does not parse; the server answers it with 400 BadRequest. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

/** A compiled label or field selector: true when an object's labels (or fields) satisfy every requirement. */
export type Matcher = (values: Readonly<Record<string, string>>) => boolean;

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits at top-level commas: the commas inside `in (a,b)` belong to the set. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts.map((p) => p.trim());
}

function checked(kind: 'key' | 'value', text: string, requirement: string): string {
  if (!(kind === 'key' ? KEY : VALUE).test(text) || text.length > (kind === 'key' ? 316 : 63)) {
    throw new SelectorError(
      `unable to parse requirement: invalid label ${kind}: "${text}" in "${requirement}"`,
    );
  }
  return text;
}

function requirement(text: string): Matcher {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (set) {
    const key = checked('key', set[1] ?? '', text);
    const values = new Set((set[3] ?? '').split(',').map((v) => checked('value', v.trim(), text)));
    return set[2] === 'in'
      ? (labels) => labels[key] !== undefined && values.has(labels[key])
      : (labels) => labels[key] === undefined || !values.has(labels[key]);
  }
  if (text.startsWith('!')) {
    const key = checked('key', text.slice(1).trim(), text);
    return (labels) => labels[key] === undefined;
  }
  const op = /^([^=!<>\s]+)\s*(==|=|!=|<|>)\s*(.*)$/.exec(text);
  if (op) {
    const key = checked('key', op[1] ?? '', text);
    const value = (op[3] ?? '').trim();
    if (op[2] === '<' || op[2] === '>') {
      const bound = Number(value);
      if (!/^-?\d+$/.test(value))
        throw new SelectorError(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      return (labels) => {
        const n = Number(labels[key]);
        return (
          labels[key] !== undefined && /^-?\d+$/.test(labels[key]) && (op[2] === '<' ? n < bound : n > bound)
        );
      };
    }
    checked('value', value, text);
    return op[2] === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  const key = checked('key', text, text);
  return (labels) => labels[key] !== undefined;
}

/**
 * Compiles a label selector in the syntax `labels.Parse` accepts: `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`, joined by commas. `!=` and `notin` match objects lacking the label.
 */
export function parseLabelSelector(selector: string): Matcher {
  if (selector.trim() === '') return () => true;
  const matchers = splitRequirements(selector).map(requirement);
  return (labels) => matchers.every((m) => m(labels));
}

/** Field paths a CRD's field selectors support (no `selectableFields` are declared for Applications). */
export const SELECTABLE_FIELDS: readonly string[] = ['metadata.name', 'metadata.namespace'];

/** Compiles a field selector (`f=v`, `f==v`, `f!=v`, comma-joined) over {@link SELECTABLE_FIELDS}. */
export function parseFieldSelector(selector: string): Matcher {
  if (selector.trim() === '') return () => true;
  const matchers = selector.split(',').map((part): Matcher => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [, field = '', op, value = ''] = m;
    if (!SELECTABLE_FIELDS.includes(field)) throw new SelectorError(`field label not supported: ${field}`);
    return op === '!=' ? (fields) => fields[field] !== value : (fields) => fields[field] === value;
  });
  return (fields) => matchers.every((m) => m(fields));
}

/** The field set a field selector sees for one object. */
export function fieldsOf(object: unknown): Record<string, string> {
  const metadata =
    typeof object === 'object' && object !== null ? (object as { metadata?: unknown }).metadata : {};
  return {
    'metadata.name': str(metadata, 'name') ?? '',
    'metadata.namespace': str(metadata, 'namespace') ?? '',
  };
}
