/** `{{args.name}}` placeholders: finding them, resolving arg values and substituting them. */
import type { AnalysisTemplate, Metric, ProviderSpec, StageArg } from './types.ts';

const PLACEHOLDER = /\{\{\s*args\.([A-Za-z0-9_.-]+?)\s*\}\}/g;

/** The arg names a text refers to, in order of appearance (repeats kept). */
export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/** Replaces every `{{args.x}}` with its value; a name without a value is left as written. */
export function substitute(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => values.get(name) ?? whole);
}

/** The metric with every placeholder replaced. */
export function substituteMetric(metric: Metric, values: ReadonlyMap<string, string>): Metric {
  const s = (t: string | undefined) => (t === undefined ? undefined : substitute(t, values));
  const p: ProviderSpec = metric.provider;
  const headers = p.headers.map((h) => ({ key: h.key, value: substitute(h.value, values) }));
  const provider: ProviderSpec =
    p.type === 'web'
      ? { ...p, url: substitute(p.url, values), body: s(p.body), jsonPath: s(p.jsonPath), headers }
      : { ...p, address: substitute(p.address, values), query: substitute(p.query, values), headers };
  const out: Metric = { ...metric, provider };
  if (metric.successCondition !== undefined) out.successCondition = s(metric.successCondition);
  if (metric.failureCondition !== undefined) out.failureCondition = s(metric.failureCondition);
  if (provider.type === 'web') {
    if (provider.body === undefined) delete provider.body;
    if (provider.jsonPath === undefined) delete provider.jsonPath;
  }
  return out;
}

/**
 * The value of every arg the templates declare: the Stage's value wins over the template default.
 * Returns the values, or the problems (an arg with no value, one that needs `valueFrom`). Stage
 * args no template declares are ignored, as Kargo passes the same list to every template.
 */
export function resolveArgs(
  templates: readonly AnalysisTemplate[],
  stageArgs: readonly StageArg[],
): { values: Map<string, string>; problems: string[] } {
  const fromStage = new Map(stageArgs.map((a) => [a.name, a.value]));
  const values = new Map<string, string>();
  const problems: string[] = [];
  for (const t of templates) {
    for (const arg of t.args) {
      if (values.has(arg.name)) continue;
      const given = fromStage.get(arg.name) ?? arg.value;
      if (given !== undefined) {
        values.set(arg.name, given);
      } else if (arg.valueFrom) {
        const from = arg.valueFrom.secretKeyRef ? 'secretKeyRef' : 'fieldRef';
        problems.push(
          `arg "${arg.name}" of ${t.kind} ${t.name} takes its value from valueFrom.${from}, which Ferry does not resolve yet; set it in the Stage's spec.verification.args`,
        );
      } else if (!problems.some((p) => p.startsWith(`arg "${arg.name}" `))) {
        problems.push(
          `arg "${arg.name}" of ${t.kind} ${t.name} has no value; set it in the Stage's spec.verification.args or give it a default value in the template`,
        );
      }
    }
  }
  // A later template may give a value an earlier one lacked.
  return { values, problems: problems.filter((p) => !values.has(/^arg "([^"]+)"/.exec(p)?.[1] ?? '')) };
}
