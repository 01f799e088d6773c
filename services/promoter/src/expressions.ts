/**
 * `${{ }}` expressions in step configs and `if` conditions, evaluated with jexl: a sandboxed
 * expression language (no code is run; only the functions registered here can be called) whose
 * syntax matches Kargo's expr-lang for the common cases: `outputs['update-image'].commitMessage`,
 * `ctx.stage == 'prod'`, `vars.x + '-suffix'`, `a ? b : c`, `&&`, `||`, function calls.
 *
 * Differences from Kargo worth knowing: objects have no methods, so `semverParse()` returns the
 * parts as fields (`semverParse(v).Minor`, not `.Minor()`); `and`/`or` are spelled `&&`/`||`.
 */
import type { FreightChart, FreightCommit, FreightImage } from '@ferry/contracts';
import { normalizeChart, normalizeGit } from '@ferry/kargo';
import { Jexl } from 'jexl';
import semver from 'semver';

/** An earlier step's outcome, as `success()`, `failure()` and `status()` see it. */
export interface StepOutcome {
  alias: string;
  status: string;
  /** A Failed or Errored step with `continueOnError` does not count as a failure. */
  continueOnError: boolean;
}

/** The names an expression can see. */
export interface ExpressionScope {
  ctx: Record<string, unknown>;
  vars: Record<string, unknown>;
  outputs: Record<string, unknown>;
  /** The target Freight's images, for `imageFrom()`; empty when the Freight has none. */
  images?: readonly FreightImage[];
  /** The target Freight's git commits, for `commitFrom()`; empty when the Freight has none. */
  commits?: readonly FreightCommit[];
  /** The target Freight's Helm charts, for `chartFrom()`; empty when the Freight has none. */
  charts?: readonly FreightChart[];
  /** The steps before this one, for `success()`, `failure()` and `status()`. */
  steps?: readonly StepOutcome[];
  /**
   * The Project's generic Secrets the Promotion names (`secret('name')`), by name: their data, or
   * `not-generic` for a Secret without the `kargo.akuity.io/cred-type: generic` label. A name absent
   * here has no Secret.
   */
  secrets?: Readonly<Record<string, Readonly<Record<string, string>> | 'not-generic'>>;
  /** Further names one step's own expressions may start from (the `http` step's `response`). */
  locals?: Record<string, unknown>;
}

/**
 * The Secret names a Promotion's expressions read with `secret('name')` (quoted names only; a name
 * computed at run time cannot be loaded ahead and is reported as missing).
 */
export function secretNames(value: unknown): string[] {
  const names = new Set<string>();
  for (const m of JSON.stringify(value ?? null).matchAll(/secret\(\s*\\?['"]([^'"\\]+)\\?['"]\s*\)/g)) {
    names.add(m[1]!);
  }
  return [...names].sort();
}

/** The names an expression may start from. */
const ROOTS = ['ctx', 'vars', 'outputs'] as const;

const EXPR = /\$\{\{\s*(.*?)\s*\}\}/g;
// One expression and nothing else: `${{ a }}:${{ b }}` is a template, not one expression.
const WHOLE = /^\$\{\{\s*((?:(?!\}\}).)*?)\s*\}\}$/s;

/**
 * The chart of `charts` from `repoURL` (compared after Kargo's normalisation: case, `oci://`) named `name`.
 * As Kargo's `helm-update-chart` does, an `oci://` repository with a name means the chart
 * `<repoURL>/<name>`, which Freight records with an empty name. Undefined when there is none.
 */
export function findChart(
  charts: readonly FreightChart[] | undefined,
  repoURL: string,
  name?: string,
): FreightChart | undefined {
  let repo = repoURL;
  let chart = name ?? '';
  if (repo.startsWith('oci://') && chart !== '') {
    repo = `${repo.replace(/\/$/, '')}/${chart}`;
    chart = '';
  }
  const wanted = normalizeChart(repo);
  return charts?.find((c) => c.name === chart && normalizeChart(c.repoURL) === wanted);
}

/** How a Freight's charts are listed in errors: `repo` for OCI, `repo name` for a classic repository. */
export const describeCharts = (charts: readonly FreightChart[] | undefined): string =>
  charts?.map((c) => (c.name ? `${c.repoURL} ${c.name}` : c.repoURL)).join(', ') || 'none';

/** True when a step outcome counts against `success()`. */
const failed = (s: StepOutcome) => (s.status === 'Failed' || s.status === 'Errored') && !s.continueOnError;

/** The functions an expression can call, bound to a scope. */
function functions(scope: ExpressionScope): Record<string, (...args: unknown[]) => unknown> {
  const version = (v: unknown, fn: string) => {
    const parsed = semver.parse(String(v));
    if (!parsed) throw new Error(`${fn}: "${String(v)}" is not a semantic version`);
    return parsed;
  };
  return {
    quote: (v) => JSON.stringify(String(v)),
    imageFrom: (repoURL) => {
      const image = scope.images?.find((i) => i.repoURL === repoURL);
      if (!image) {
        const known = scope.images?.map((i) => i.repoURL).join(', ') || 'none';
        throw new Error(`imageFrom: the Freight has no image ${String(repoURL)} (it has: ${known})`);
      }
      // Kargo's field names, and Ferry's own, so both spellings work.
      return { ...image, RepoURL: image.repoURL, Tag: image.tag, Digest: image.digest };
    },
    commitFrom: (repoURL) => {
      // Kargo matches the repository after normalizing it (case, `.git`, trailing slash).
      const wanted = normalizeGit(String(repoURL));
      const commit = scope.commits?.find((c) => normalizeGit(c.repoURL) === wanted);
      if (!commit) {
        const known = scope.commits?.map((c) => c.repoURL).join(', ') || 'none';
        throw new Error(`commitFrom: the Freight has no commit from ${String(repoURL)} (it has: ${known})`);
      }
      return {
        ...commit,
        RepoURL: commit.repoURL,
        ID: commit.id,
        Tag: commit.tag ?? '',
        Branch: commit.branch ?? '',
        Message: commit.message ?? '',
        Author: commit.author ?? '',
      };
    },
    chartFrom: (repoURL, name) => {
      // Kargo's optional second argument may be the Freight origin (`warehouse(...)`), not a name.
      const chartName = typeof name === 'string' ? name : undefined;
      const chart = findChart(scope.charts, String(repoURL), chartName);
      if (!chart) {
        const which = chartName ? `chart ${chartName} from ${String(repoURL)}` : `chart ${String(repoURL)}`;
        throw new Error(`chartFrom: the Freight has no ${which} (it has: ${describeCharts(scope.charts)})`);
      }
      return { ...chart, RepoURL: chart.repoURL, Name: chart.name, Version: chart.version };
    },
    warehouse: (name) => ({ kind: 'Warehouse', name: String(name) }),
    secret: (name) => {
      const found = scope.secrets?.[String(name)];
      if (found === 'not-generic') {
        throw new Error(
          `secret: Secret "${String(name)}" is not labelled kargo.akuity.io/cred-type: generic; only such Secrets are readable by expressions`,
        );
      }
      if (found === undefined) {
        throw new Error(
          `secret: no Secret "${String(name)}" in this Project; apply one labelled kargo.akuity.io/cred-type: generic with ferry apply (the name must be a quoted string)`,
        );
      }
      return found;
    },
    semverParse: (v) => {
      const p = version(v, 'semverParse');
      return {
        Major: p.major,
        Minor: p.minor,
        Patch: p.patch,
        Prerelease: p.prerelease.join('.'),
        Metadata: p.build.join('.'),
        String: p.version,
      };
    },
    semverDiff: (a, b) => {
      const pa = semver.parse(String(a));
      const pb = semver.parse(String(b));
      if (!pa || !pb) return 'Incomparable';
      const d = semver.diff(pa, pb);
      if (d === 'major' || d === 'premajor') return 'Major';
      if (d === 'minor' || d === 'preminor') return 'Minor';
      if (d) return 'Patch';
      return pa.build.join('.') === pb.build.join('.') ? 'None' : 'Metadata';
    },
    success: () => !(scope.steps ?? []).some(failed),
    failure: () => (scope.steps ?? []).some(failed),
    always: () => true,
    status: (alias) => scope.steps?.find((s) => s.alias === alias)?.status ?? '',
  };
}

/** Refuses names and calls outside the scope before anything is evaluated. */
function check(
  node: unknown,
  known: ReadonlySet<string>,
  expr: string,
  where: string,
  roots: readonly string[] = ROOTS,
): void {
  if (node === null || typeof node !== 'object') return;
  const n = node as {
    type?: string;
    value?: unknown;
    from?: unknown;
    relative?: boolean;
    name?: string;
    pool?: string;
  };
  if (n.type === 'Identifier' && n.from === undefined && !n.relative) {
    if (!roots.includes(String(n.value))) {
      throw new Error(
        `${where}: unknown name "${String(n.value)}" in expression (known: ${roots.join(', ')})`,
      );
    }
  }
  if (n.type === 'FunctionCall') {
    if (n.pool !== 'functions') {
      throw new Error(`${where}: expression "${expr}" uses a transform (|), which Ferry does not support`);
    }
    if (!known.has(String(n.name))) {
      throw new Error(
        `${where}: unknown function "${String(n.name)}" in expression (known: ${[...known].join(', ')})`,
      );
    }
  }
  for (const v of Object.values(n)) check(v, known, expr, where, roots);
}

/** One expression evaluator for one scope. */
function evaluator(scope: ExpressionScope) {
  const jexl = new Jexl();
  const fns = functions(scope);
  for (const [name, fn] of Object.entries(fns)) jexl.addFunction(name, fn);
  const known = new Set(Object.keys(fns));
  const context = { ...scope.locals, ctx: scope.ctx, vars: scope.vars, outputs: scope.outputs };
  const roots = [...ROOTS, ...Object.keys(scope.locals ?? {})];
  return (expr: string, where: string): unknown => {
    let compiled: ReturnType<Jexl['compile']>;
    try {
      compiled = jexl.compile(expr);
    } catch (err) {
      throw new Error(`${where}: expression "${expr}" is not valid: ${(err as Error).message}`);
    }
    check(compiled._getAst(), known, expr, where, roots);
    try {
      return compiled.evalSync(context);
    } catch (err) {
      throw new Error(`${where}: expression "${expr}" failed: ${(err as Error).message}`);
    }
  };
}

function render(v: unknown): string {
  return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function walk(value: unknown, run: (expr: string, where: string) => unknown, where: string): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return run(whole[1]!, where);
    return value.replace(EXPR, (_m, e: string) => render(run(e, where)));
  }
  if (Array.isArray(value)) return value.map((v, i) => walk(v, run, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, run, `${where}.${k}`)]));
  }
  return value;
}

/** Evaluates every expression in a config value; a string that is one whole expression keeps its type. */
export function evaluate(value: unknown, scope: ExpressionScope, where = 'config'): unknown {
  return walk(value, evaluator(scope), where);
}

/**
 * Evaluates a step's `if`: `${{ expr }}` or a bare expression, which must come out a boolean.
 * An empty condition means `success()`, as in Kargo.
 */
export function evaluateCondition(
  condition: string | undefined,
  scope: ExpressionScope,
  where: string,
): boolean {
  const text = condition?.trim() ? condition.trim() : 'success()';
  const expr = WHOLE.exec(text)?.[1] ?? text;
  const v = evaluator(scope)(expr, where);
  if (typeof v !== 'boolean') {
    throw new Error(
      `${where}: "${condition}" must be true or false; it came out ${JSON.stringify(v) ?? 'undefined'}`,
    );
  }
  return v;
}

/**
 * Evaluates `vars` in order: each value may use the variables before it (`vars.<name>`) and
 * the other names of the scope. Later entries replace earlier ones of the same name.
 */
export function evaluateVars(
  vars: ReadonlyArray<{ name: string; value: unknown }> | undefined,
  scope: ExpressionScope,
  where: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...scope.vars };
  for (const [i, v] of (vars ?? []).entries()) {
    out[v.name] = evaluate(v.value, { ...scope, vars: { ...out } }, `${where}[${i}].value`);
  }
  return out;
}
