/**
 * `${{ }}` expressions in step configs. This release evaluates property paths over the
 * promotion scope (`ctx.stage`, `outputs.commit.commit`, `vars.x`) and `quote(...)`; any
 * other expression is refused with a message saying so, never evaluated as code.
 */

/** The names an expression can see. */
export interface ExpressionScope {
  ctx: Record<string, unknown>;
  vars: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

const EXPR = /\$\{\{\s*(.*?)\s*\}\}/g;
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\]|\['[^']*'\])*$/;

function lookup(path: string, scope: ExpressionScope, where: string): unknown {
  const parts: string[] = [];
  for (const m of path.matchAll(/([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['([^']*)'\]/g))
    parts.push(m[1] ?? m[2] ?? m[3]!);
  const [root, ...rest] = parts;
  if (root !== 'ctx' && root !== 'vars' && root !== 'outputs') {
    throw new Error(`${where}: unknown name "${root}" in expression (known: ctx, vars, outputs)`);
  }
  let v: unknown = scope[root];
  for (const p of rest) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

function evalExpr(expr: string, scope: ExpressionScope, where: string): unknown {
  const q = /^quote\((.*)\)$/.exec(expr);
  if (q) return JSON.stringify(String(evalExpr(q[1]!.trim(), scope, where)));
  if (PATH.test(expr)) return lookup(expr, scope, where);
  throw new Error(`${where}: expression "${expr}" is not supported yet (property paths and quote() are)`);
}

/** Evaluates every expression in a config value; a string that is one whole expression keeps its type. */
export function evaluate(value: unknown, scope: ExpressionScope, where = 'config'): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{\{\s*(.*?)\s*\}\}$/.exec(value);
    if (whole) return evalExpr(whole[1]!, scope, where);
    return value.replace(EXPR, (_m, e: string) => {
      const v = evalExpr(e, scope, where);
      return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => evaluate(v, scope, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, evaluate(v, scope, `${where}.${k}`)]),
    );
  }
  return value;
}
