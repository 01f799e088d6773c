/**
 * kubectl-style JSONPath templates for `-o jsonpath=TEMPLATE`: literal text with `{…}` actions
 * (`{.metadata.name}`, `{.items[*].metadata.name}`, `{range .items[*]}…{end}`, `{"\t"}`), child
 * `.name` and `['name']`, recursive `..`, wildcard `*`, index and slice `[i]`, `[a:b:c]`, union
 * `[a,b]`, and filters `[?(@.x=="y")]`, `[?(@.x)]`. Parsing and evaluation are pure; a template is
 * parsed once and run against any JSON value.
 *
 * Where Ferry differs from kubectl on purpose: a missing key, an index past the end of an array or a
 * slice bound past it gives no result instead of an error (kubectl's `get` also allows missing keys),
 * `null` prints as `null`, and `=~` is not offered.
 */

/** A template that cannot be parsed: says what is wrong and where (1-based column). */
export class JsonPathError extends Error {
  /** Column of the template (1-based) where the problem is. */
  readonly column: number;
  constructor(message: string, column: number) {
    super(`${message} at column ${column}`);
    this.name = 'JsonPathError';
    this.column = column;
  }
}

/** One step of a path. */
type Segment =
  | { t: 'field'; name: string }
  | { t: 'wildcard' }
  | { t: 'recursive' }
  | { t: 'index'; index: number }
  | { t: 'slice'; start?: number; end?: number; step?: number }
  | { t: 'union'; alternatives: Segment[][] }
  | { t: 'filter'; left: Operand; op?: Comparison; right?: Operand };

/** A value in an action or a filter: a path from the current object, or a literal. */
type Operand = { t: 'path'; segments: Segment[] } | { t: 'literal'; value: string | number | boolean };

const COMPARISONS = ['==', '!=', '<=', '>=', '<', '>'] as const;
type Comparison = (typeof COMPARISONS)[number];

/** A piece of a parsed template. */
type TemplateNode =
  | { t: 'text'; text: string }
  | { t: 'value'; operand: Operand }
  | { t: 'range'; segments: Segment[]; body: TemplateNode[] };

/** A parsed template, ready to run against data. */
export interface JsonPathTemplate {
  /** The text it was parsed from. */
  readonly source: string;
  /** Renders `data` through the template. */
  execute(data: unknown): string;
}

/** Characters that end a field name (a backslash escapes any of them). */
const FIELD_END = new Set([
  '.',
  '[',
  ']',
  ',',
  ' ',
  '\t',
  '\r',
  '\n',
  '{',
  '}',
  '@',
  '$',
  '(',
  ')',
  '=',
  '!',
  '<',
  '>',
]);

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  '"': '"',
  "'": "'",
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

/** Parses a template; throws JsonPathError naming the column of the first problem. */
export const parseJsonPath = (source: string): JsonPathTemplate => {
  const p = new Parser(source);
  const nodes = p.template();
  return { source, execute: (data) => render(nodes, data) };
};

class Parser {
  readonly #s: string;
  #i = 0;
  constructor(source: string) {
    this.#s = source;
  }

  #fail(message: string, at = this.#i): never {
    throw new JsonPathError(message, at + 1);
  }

  #peek(n = 0): string | undefined {
    return this.#s[this.#i + n];
  }

  #startsWith(text: string): boolean {
    return this.#s.startsWith(text, this.#i);
  }

  #skipSpaces(): void {
    while (this.#peek() === ' ' || this.#peek() === '\t') this.#i++;
  }

  /** The whole template: text and actions up to the end, with `{range}` blocks nested. */
  template(): TemplateNode[] {
    const stack: { nodes: TemplateNode[]; openedAt: number }[] = [{ nodes: [], openedAt: -1 }];
    let text = '';
    const flush = () => {
      if (text !== '') stack[stack.length - 1]!.nodes.push({ t: 'text', text });
      text = '';
    };
    while (this.#i < this.#s.length) {
      const c = this.#s[this.#i]!;
      if (c !== '{') {
        text += c;
        this.#i++;
        continue;
      }
      flush();
      const open = this.#i;
      this.#i++;
      this.#skipSpaces();
      const word = /^(range|end)(?=[\s}.[@$]|$)/.exec(this.#s.slice(this.#i))?.[1];
      if (word === 'end') {
        this.#i += 3;
        this.#closeAction(open);
        if (stack.length === 1) this.#fail('{end} closes no {range}', open);
        const done = stack.pop()!;
        const range = stack[stack.length - 1]!.nodes.at(-1) as Extract<TemplateNode, { t: 'range' }>;
        range.body = done.nodes;
        continue;
      }
      if (word === 'range') {
        this.#i += 5;
        this.#skipSpaces();
        const segments = this.#path();
        if (segments.length === 0) this.#fail('{range} needs a path such as .items[*]');
        this.#closeAction(open);
        stack[stack.length - 1]!.nodes.push({ t: 'range', segments, body: [] });
        stack.push({ nodes: [], openedAt: open });
        continue;
      }
      const operand = this.#operand(open);
      this.#closeAction(open);
      stack[stack.length - 1]!.nodes.push({ t: 'value', operand });
    }
    flush();
    if (stack.length > 1) this.#fail('{range} is not closed: add {end}', stack[stack.length - 1]!.openedAt);
    return stack[0]!.nodes;
  }

  #closeAction(open: number): void {
    this.#skipSpaces();
    if (this.#peek() === '}') {
      this.#i++;
      return;
    }
    if (this.#i >= this.#s.length || this.#peek() === '\n' || this.#peek() === '\r') {
      this.#fail('unclosed action: add "}"', open);
    }
    this.#fail(`unexpected ${JSON.stringify(this.#peek())} in action`);
  }

  /** What an action or a filter side holds: a quoted string, a number, true/false, or a path. */
  #operand(open: number): Operand {
    this.#skipSpaces();
    const c = this.#peek();
    if (c === '"' || c === "'") return { t: 'literal', value: this.#quoted() };
    const num = /^[-+]?\d+(\.\d+)?(?=[\s})\]]|$)/.exec(this.#s.slice(this.#i))?.[0];
    if (num !== undefined) {
      this.#i += num.length;
      return { t: 'literal', value: Number(num) };
    }
    const bool = /^(true|false)(?=[\s})\]]|$)/.exec(this.#s.slice(this.#i))?.[0];
    if (bool !== undefined) {
      this.#i += bool.length;
      return { t: 'literal', value: bool === 'true' };
    }
    if (c === undefined || c === '}') this.#fail('empty action: put a path such as .metadata.name', open);
    const start = this.#i;
    const segments = this.#path();
    if (this.#i === start) {
      this.#fail(`unexpected ${JSON.stringify(this.#peek() ?? '')}: a path starts with "." or "@"`);
    }
    return { t: 'path', segments };
  }

  /** A quoted string with Go-style escapes (`\t`, `\n`, `\"`, `\u00e9`). */
  #quoted(): string {
    const quote = this.#s[this.#i]!;
    const start = this.#i;
    this.#i++;
    let out = '';
    for (;;) {
      const c = this.#s[this.#i];
      if (c === undefined || c === '\n') this.#fail('unterminated quoted string', start);
      this.#i++;
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.#s[this.#i];
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (hex > 0) {
        const digits = this.#s.slice(this.#i + 1, this.#i + 1 + hex);
        if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) {
          this.#fail(`"\\${e}" needs ${hex} hex digits`, this.#i - 1);
        }
        out += String.fromCodePoint(Number.parseInt(digits, 16));
        this.#i += 1 + hex;
        continue;
      }
      const mapped = e === undefined ? undefined : ESCAPES[e];
      if (mapped === undefined) this.#fail(`unknown escape "\\${e ?? ''}" in quoted string`, this.#i - 1);
      out += mapped;
      this.#i++;
    }
  }

  /** A path: optional `@` or `$` (the current object), then `.name`, `..`, `[…]` steps. */
  #path(): Segment[] {
    const segments: Segment[] = [];
    if (this.#peek() === '@' || this.#peek() === '$') this.#i++;
    for (;;) {
      if (this.#startsWith('..')) {
        if (segments.at(-1)?.t === 'recursive') this.#fail('"..." is not a path step; use ".."');
        this.#i += 2;
        segments.push({ t: 'recursive' });
        if (this.#peek() === '*') {
          this.#i++;
          segments.push({ t: 'wildcard' });
        } else if (this.#peek() !== undefined && !FIELD_END.has(this.#peek()!)) {
          segments.push(this.#field());
        }
        continue;
      }
      const c = this.#peek();
      if (c === '.') {
        this.#i++;
        // A lone "." is the current object, as "@" is.
        if (segments.length === 0 && [undefined, '}', ' ', '\t'].includes(this.#peek())) return segments;
        if (this.#peek() === '*') {
          this.#i++;
          segments.push({ t: 'wildcard' });
          continue;
        }
        const at = this.#i;
        const f = this.#field();
        if (f.name === '') this.#fail('a field name is needed after "."', at);
        segments.push(f);
        continue;
      }
      if (c === '[') {
        segments.push(this.#bracket());
        continue;
      }
      return segments;
    }
  }

  #field(): { t: 'field'; name: string } {
    let name = '';
    while (this.#i < this.#s.length) {
      const c = this.#s[this.#i]!;
      if (c === '\\' && this.#i + 1 < this.#s.length) {
        name += this.#s[this.#i + 1];
        this.#i += 2;
        continue;
      }
      if (FIELD_END.has(c)) break;
      name += c;
      this.#i++;
    }
    return { t: 'field', name };
  }

  /** `[*]`, `[i]`, `[a:b:c]`, `['key']`, `[a,b]` and `[?(…)]`. */
  #bracket(): Segment {
    const open = this.#i;
    this.#i++;
    this.#skipSpaces();
    if (this.#startsWith('?(')) {
      this.#i += 2;
      const seg = this.#filter(open);
      this.#skipSpaces();
      if (this.#peek() !== ']') this.#fail('filter not closed: add "]"', open);
      this.#i++;
      return seg;
    }
    const alternatives: Segment[][] = [];
    for (;;) {
      this.#skipSpaces();
      alternatives.push(this.#subscript(open));
      this.#skipSpaces();
      const c = this.#peek();
      if (c === ',') {
        this.#i++;
        continue;
      }
      if (c === ']') {
        this.#i++;
        break;
      }
      if (c === undefined || c === '}') this.#fail('unterminated array subscript: add "]"', open);
      this.#fail(`unexpected ${JSON.stringify(c)} in array subscript`);
    }
    return alternatives.length === 1 && alternatives[0]!.length === 1
      ? alternatives[0]![0]!
      : { t: 'union', alternatives };
  }

  /** One member of a subscript: `*`, a number, a slice, or a quoted key (which may be a dotted path, as kubectl reads it). */
  #subscript(open: number): Segment[] {
    const c = this.#peek();
    if (c === '*') {
      this.#i++;
      return [{ t: 'wildcard' }];
    }
    if (c === "'" || c === '"') {
      const at = this.#i;
      // The key is taken raw, as kubectl does: a backslash in it escapes a path character.
      const close = this.#s.indexOf(c, at + 1);
      if (close < 0) this.#fail('unterminated quoted string', at);
      const key = this.#s.slice(at + 1, close);
      this.#i = close + 1;
      // kubectl reads ['a.b'] as the path .a.b; a backslash keeps a dot in a name: ['a\.b'].
      const inner = new Parser(`.${key}`);
      try {
        const segs = inner.#path();
        if (inner.#i !== inner.#s.length) throw new JsonPathError('', 0);
        return segs;
      } catch {
        this.#fail(`${JSON.stringify(key)} is not a key or a dotted path`, at);
      }
    }
    const m = /^(-?\d*)(?::(-?\d*))?(?::(-?\d*))?/.exec(this.#s.slice(this.#i))!;
    if (m[0] === '') this.#fail('expected an index, a slice, "*" or a quoted key in "[ ]"');
    this.#i += m[0].length;
    const num = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));
    if (m[2] === undefined && m[3] === undefined) {
      if (m[1] === '' || m[1] === '-') this.#fail('expected an index', open + 1);
      return [{ t: 'index', index: Number(m[1]) }];
    }
    const step = num(m[3]);
    if (step !== undefined && step <= 0) this.#fail('a slice step must be greater than 0', open + 1);
    const slice: Segment = { t: 'slice' };
    const start = num(m[1]);
    const end = num(m[2]);
    if (start !== undefined) slice.start = start;
    if (end !== undefined) slice.end = end;
    if (step !== undefined) slice.step = step;
    return [slice];
  }

  /** The inside of `[?( … )]`: `left OP right`, or just `left` (exists). */
  #filter(open: number): Segment {
    const left = this.#operand(open);
    this.#skipSpaces();
    const op = COMPARISONS.find((o) => this.#startsWith(o));
    let seg: Segment;
    if (op === undefined) {
      if (this.#startsWith('=~')) this.#fail('"=~" is not supported in filters; use ==, !=, <, <=, > or >=');
      seg = { t: 'filter', left };
    } else {
      this.#i += op.length;
      const right = this.#operand(open);
      seg = { t: 'filter', left, op, right };
    }
    this.#skipSpaces();
    if (this.#peek() !== ')') {
      if (this.#i >= this.#s.length) this.#fail('unterminated filter: add ")]"', open);
      this.#fail(`unexpected ${JSON.stringify(this.#peek())} in filter`);
    }
    this.#i++;
    return seg;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every child of a value: array elements, or an object's values in key order. */
const children = (v: unknown): unknown[] => (Array.isArray(v) ? v : isObject(v) ? Object.values(v) : []);

/** A value and everything below it, depth first (kubectl's `..`). */
const descendants = (v: unknown, out: unknown[]): void => {
  out.push(v);
  for (const c of children(v)) if (typeof c === 'object' && c !== null) descendants(c, out);
};

const step = (values: readonly unknown[], seg: Segment): unknown[] => {
  // kubectl takes each alternative of a union over all the values before the next alternative.
  if (seg.t === 'union') return seg.alternatives.flatMap((alt) => walk(values, alt));
  const out: unknown[] = [];
  for (const v of values) {
    switch (seg.t) {
      case 'field':
        if (isObject(v) && Object.hasOwn(v, seg.name)) out.push(v[seg.name]);
        break;
      case 'wildcard':
        out.push(...children(v));
        break;
      case 'recursive':
        descendants(v, out);
        break;
      case 'index':
        if (Array.isArray(v)) {
          const i = seg.index < 0 ? v.length + seg.index : seg.index;
          if (i >= 0 && i < v.length) out.push(v[i]);
        }
        break;
      case 'slice':
        if (Array.isArray(v)) {
          const n = v.length;
          const clamp = (x: number) => Math.min(n, Math.max(0, x < 0 ? n + x : x));
          const from = clamp(seg.start ?? 0);
          const to = clamp(seg.end ?? n);
          for (let i = from; i < to; i += seg.step ?? 1) out.push(v[i]);
        }
        break;
      case 'filter':
        for (const item of children(v)) if (passes(item, seg)) out.push(item);
        break;
    }
  }
  return out;
};

const walk = (values: readonly unknown[], segments: readonly Segment[]): unknown[] =>
  segments.reduce<unknown[]>((acc, seg) => step(acc, seg), [...values]);

const evaluate = (operand: Operand, current: unknown): unknown[] =>
  operand.t === 'literal' ? [operand.value] : walk([current], operand.segments);

const passes = (item: unknown, f: Extract<Segment, { t: 'filter' }>): boolean => {
  const lefts = evaluate(f.left, item);
  if (f.op === undefined || f.right === undefined) return lefts.length > 0;
  const rights = evaluate(f.right, item);
  if (lefts.length !== 1 || rights.length !== 1) return false;
  const [l, r] = [lefts[0], rights[0]];
  switch (f.op) {
    case '==':
      return equal(l, r);
    case '!=':
      return !equal(l, r);
    default: {
      // Ordering compares numbers with numbers and strings with strings; anything else does not match.
      if (
        !(
          (typeof l === 'number' && typeof r === 'number') ||
          (typeof l === 'string' && typeof r === 'string')
        )
      )
        return false;
      if (f.op === '<') return l < r;
      if (f.op === '<=') return l <= r;
      if (f.op === '>') return l > r;
      return l >= r;
    }
  }
};

const equal = (a: unknown, b: unknown): boolean =>
  typeof a === 'object' || typeof b === 'object' ? JSON.stringify(a) === JSON.stringify(b) : a === b;

/** One result as text: strings bare, objects and arrays as compact JSON, the rest as JSON prints them. */
const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

const render = (nodes: readonly TemplateNode[], current: unknown): string => {
  let out = '';
  for (const node of nodes) {
    if (node.t === 'text') out += node.text;
    else if (node.t === 'value') out += evaluate(node.operand, current).map(text).join(' ');
    else for (const item of walk([current], node.segments)) out += render(node.body, item);
  }
  return out;
};
