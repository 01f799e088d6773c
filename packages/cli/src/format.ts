/**
 * Output formatting: kubectl-style tables and ages, JSON and YAML printing. Pure functions; the
 * clock is passed in.
 */
import YAML from 'yaml';

/** The output formats of `ferry get -o`. */
export const OutputFormat = { Table: 'table', Json: 'json', Yaml: 'yaml' } as const;
/** One of the output formats. */
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

/** What a table cell shows when the value is missing. */
export const NONE = '<none>';

/** Gap between table columns, as kubectl's tabwriter leaves. */
const COLUMN_GAP = '   ';

/**
 * Renders rows under headers as aligned columns, like kubectl: each column padded to its widest
 * cell, three spaces between columns, no trailing spaces, a newline after every line.
 */
export const renderTable = (headers: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    widths
      .map((w, i) => (cells[i] ?? '').padEnd(w))
      .join(COLUMN_GAP)
      .trimEnd();
  return [headers, ...rows].map((r) => `${line(r)}\n`).join('');
};

/**
 * The age of something created at `timestamp` (RFC 3339), as kubectl's short form: `5s`, `3m`,
 * `2h`, `4d`, `1y`. `<unknown>` when there is no valid timestamp, `<invalid>` when it lies more than a
 * second in the future (clock skew).
 */
export const formatAge = (timestamp: string | undefined, nowMs: number): string => {
  if (!timestamp) return '<unknown>';
  const then = Date.parse(timestamp);
  if (Number.isNaN(then)) return '<unknown>';
  const seconds = Math.floor((nowMs - then) / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 365) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
};

/** A duration in ms as a step or promotion time: `0.12s`, `1.84s`, `2m5s`. */
export const formatSeconds = (ms: number): string => {
  if (ms < 60_000) return `${(Math.max(0, ms) / 1000).toFixed(2)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms - minutes * 60_000) / 1000);
  return `${minutes}m${seconds}s`;
};

/** The short form of a Freight id, as git shortens commits: the first 7 characters. */
export const shortId = (id: string | undefined): string => (id ? id.slice(0, 7) : NONE);

/** A value as `-o json` prints it: indented by two spaces, newline-terminated. */
export const toJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** A value as `-o yaml` prints it: block style, long strings never folded. */
export const toYaml = (value: unknown): string => YAML.stringify(value, { lineWidth: 0 });

/** Parses a duration like Go's `time.ParseDuration` does for `ms`, `s`, `m` and `h` (`10m`, `1m30s`, `1.5h`); undefined when invalid. */
export const parseDuration = (text: string): number | undefined => {
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * (unitMs[m[2]!] ?? 0);
  return total;
};
