// Just enough PromQL reading to list the metric names an expression selects: no full parser,
// because dashboards use a small, regular subset and the test only needs the selectors.

/** PromQL keywords and aggregation modifiers that look like identifiers. */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/** Suffixes Prometheus adds to a histogram's (or summary's) name for its series. */
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/**
 * The metric names an expression selects, in order of appearance, duplicates removed. Grafana
 * variables (`$__rate_interval`, `$project`) sit inside strings, matchers or ranges and are dropped
 * with them.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery windows
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\b\d[\w.]*/g, ' '); // numbers and durations (`1h` after offset)
  const names: string[] = [];
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const after = stripped.slice((m.index ?? 0) + word.length).trimStart();
    if (after.startsWith('(')) continue; // a function or aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    if (!names.includes(word)) names.push(word);
  }
  return names;
}

/** The metric a Grafana `label_values(metric{...}, label)` variable query reads; undefined for other queries. */
export function metricOfLabelValues(query: string): string | undefined {
  const m = /^\s*label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)/.exec(query);
  return m?.[1];
}

/**
 * The exported metric a series name belongs to: itself when exported, else, for a histogram's
 * `_bucket`/`_sum`/`_count` series, the histogram; undefined when Ferry exports no such metric.
 */
export function exportedMetricOf(series: string, exported: ReadonlyMap<string, string>): string | undefined {
  if (exported.has(series)) return series;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (!series.endsWith(suffix)) continue;
    const base = series.slice(0, -suffix.length);
    const type = exported.get(base);
    if (type === 'histogram' || type === 'summary') return base;
  }
  return undefined;
}
