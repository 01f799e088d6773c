/** Summary statistics of a series of durations, in milliseconds. */
export interface Summary {
  /** Number of samples. */
  n: number;
  /** Median (nearest-rank). */
  p50: number;
  /** 90th percentile (nearest-rank). */
  p90: number;
  /** Largest sample. */
  max: number;
}

/**
 * Nearest-rank percentile of `samples` (`p` in 0–100): the smallest sample with at least p % of the
 * samples at or below it. Nearest-rank, not interpolation, so every figure printed was really measured.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('percentile of no samples: measure at least once');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** p50, p90 and max of `samples`. */
export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p90: percentile(samples, 90),
    max: percentile(samples, 100),
  };
}

/**
 * `a / b` as text with a trailing `×`, two significant decimals below 10; `–` when `b` is 0 (a ratio
 * to nothing means nothing).
 */
export function ratio(a: number, b: number): string {
  if (b === 0) return '–';
  const r = a / b;
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;
}

/** Milliseconds as text: one decimal below 10 ms, whole milliseconds above. */
export function ms(value: number): string {
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}

/**
 * A Markdown table (GitHub flavour, so the output pastes into docs/benchmarks.md as is), columns padded
 * to line up in a terminal; numeric-looking cells are right-aligned.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[\d.–×-]+[×%]?$/.test(r[i] ?? '')),
  );
  const cell = (text: string, i: number) =>
    numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => cell(c, i)).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map((r) => line(r.map((c) => c ?? '')))].join('\n');
}
