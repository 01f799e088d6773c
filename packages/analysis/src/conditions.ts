/**
 * `successCondition` / `failureCondition`: expr-lang expressions over `result`, evaluated with jexl
 * (the sandboxed expression library the promoter uses): no user text is ever run as code, only
 * the helpers below can be called, and names other than `result` are refused before evaluation.
 *
 * jexl reads the common expr-lang forms unchanged: `result[0] >= 0.95`, `result == "ok"`,
 * `len(result) > 0 && result[0] < 5`, `result.status == "healthy"`, `!(x)`, `a ? b : c`. The
 * closure form of `all`/`any` (`all(result, {# >= 0.9})`) is rewritten to a predicate string
 * (`all(result, "# >= 0.9")`) where `#` is the element; nested closures are not supported.
 * `and`/`or`/`not` must be spelled `&&`/`||`/`!`.
 */
import { Jexl } from 'jexl';

type Compiled = ReturnType<Jexl['compile']>;

const FORBIDDEN = new Set(['constructor', '__proto__', 'prototype']);
const CLOSURE = /\b(all|any|none|filter)\(\s*([^,()]+?)\s*,\s*\{([^{}]*)\}\s*\)/g;

const jexl = new Jexl();
const cache = new Map<string, Compiled>();

const toNumber = (v: unknown, fn: string): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (Number.isNaN(n) && !(typeof v === 'string' && v.trim() === 'NaN') && !Number.isNaN(v)) {
    throw new Error(`${fn}: ${JSON.stringify(v)} is not a number`);
  }
  return n;
};

const asArray = (v: unknown, fn: string): unknown[] => {
  if (!Array.isArray(v)) throw new Error(`${fn}: expected an array, got ${JSON.stringify(v)}`);
  return v;
};

/** Evaluates a predicate (`# >= 0.9`) for one element. */
const predicate = (text: unknown, fn: string) => {
  if (typeof text !== 'string') throw new Error(`${fn}: the predicate must be {…} or a string`);
  const compiled = compile(text.replaceAll('#', 'it'), ['it']);
  return (it: unknown) => {
    const out = compiled.evalSync({ it });
    if (typeof out !== 'boolean')
      throw new Error(`${fn}: the predicate returned ${JSON.stringify(out)}, not a boolean`);
    return out;
  };
};

const FUNCTIONS: Record<string, (...args: never[]) => unknown> = {
  len: (v: unknown) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (v !== null && typeof v === 'object') return Object.keys(v).length;
    throw new Error(`len: ${JSON.stringify(v)} has no length`);
  },
  all: (v: unknown, p: unknown) => asArray(v, 'all').every(predicate(p, 'all')),
  any: (v: unknown, p: unknown) => asArray(v, 'any').some(predicate(p, 'any')),
  none: (v: unknown, p: unknown) => !asArray(v, 'none').some(predicate(p, 'none')),
  filter: (v: unknown, p: unknown) => asArray(v, 'filter').filter(predicate(p, 'filter')),
  isNaN: (v: unknown) => Number.isNaN(toNumber(v, 'isNaN')),
  isInf: (v: unknown) => {
    const n = toNumber(v, 'isInf');
    return n === Number.POSITIVE_INFINITY || n === Number.NEGATIVE_INFINITY;
  },
  asInt: (v: unknown) => {
    const n = toNumber(v, 'asInt');
    if (!Number.isInteger(n)) throw new Error(`asInt: ${JSON.stringify(v)} is not an integer`);
    return n;
  },
  asFloat: (v: unknown) => toNumber(v, 'asFloat'),
};
for (const [name, fn] of Object.entries(FUNCTIONS)) jexl.addFunction(name, fn);

/** The names a condition may call. */
export const CONDITION_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS);

/** Refuses unknown names, transforms and prototype access before anything is evaluated. */
function check(node: unknown, roots: readonly string[]): void {
  if (node === null || typeof node !== 'object') return;
  const n = node as {
    type?: string;
    value?: unknown;
    from?: unknown;
    relative?: boolean;
    name?: string;
    pool?: string;
  };
  if ((n.type === 'Identifier' || n.type === 'Literal') && FORBIDDEN.has(String(n.value))) {
    throw new Error(`"${String(n.value)}" cannot be used in a condition`);
  }
  if (n.type === 'Identifier' && n.from === undefined && !n.relative && !roots.includes(String(n.value))) {
    throw new Error(`unknown name "${String(n.value)}" (a condition sees only ${roots.join(', ')})`);
  }
  if (n.type === 'FunctionCall') {
    if (n.pool !== 'functions') throw new Error('transforms (|) are not supported');
    if (!(String(n.name) in FUNCTIONS)) {
      throw new Error(`unknown function "${String(n.name)}" (known: ${CONDITION_FUNCTIONS.join(', ')})`);
    }
  }
  for (const v of Object.values(n)) check(v, roots);
}

/** Rewrites expr-lang closures into predicate strings jexl can carry. */
function rewrite(expr: string): string {
  return expr.replace(
    CLOSURE,
    (_w, fn: string, arg: string, body: string) => `${fn}(${arg}, ${JSON.stringify(body.trim())})`,
  );
}

/** Compiles and checks an expression; throws an Error saying what is wrong. */
function compile(expr: string, roots: readonly string[] = ['result']): Compiled {
  const key = `${roots.join(',')}\n${expr}`;
  const hit = cache.get(key);
  if (hit) return hit;
  // jexl's own grammar lookups trip over these names, so refuse them before it sees them.
  const forbidden = /\b(constructor|__proto__|prototype)\b/.exec(expr);
  if (forbidden) throw new Error(`"${forbidden[1]}" cannot be used in a condition`);
  let compiled: Compiled;
  try {
    compiled = jexl.compile(rewrite(expr));
  } catch (err) {
    throw new Error(`cannot parse: ${(err as Error).message}`);
  }
  check(compiled._getAst(), roots);
  cache.set(key, compiled);
  return compiled;
}

/**
 * Why a condition cannot be used, or undefined when it parses. `{{args.x}}` placeholders count
 * as a number here: they are replaced before the condition is evaluated.
 */
export function conditionProblem(expr: string): string | undefined {
  try {
    compile(expr.replace(/\{\{\s*args\.[^}]*\}\}/g, '0'));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Evaluates a condition for one result; throws when it fails or does not give a boolean. */
export function evaluateCondition(expr: string, result: unknown): boolean {
  let out: unknown;
  try {
    out = compile(expr).evalSync({ result });
  } catch (err) {
    throw new Error(
      `condition "${expr}" failed: ${String((err as Error).message ?? err).replace(/^Error: /, '')}`,
    );
  }
  if (typeof out !== 'boolean') {
    throw new Error(`condition "${expr}" gave ${JSON.stringify(out) ?? 'undefined'}, not true or false`);
  }
  return out;
}
