/**
 * Output formatting: kubectl-style tables and ages, JSON and YAML printing. Pure functions; the
 * clock is passed in.
 */
import YAML from 'yaml';
import { UsageError } from './errors.ts';
import { JsonPathError, type JsonPathTemplate, parseJsonPath } from './jsonpath.ts';

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

/**
 * Every `-o` format a command may offer, as kubectl names them. `jsonpath` stands for
 * `jsonpath=TEMPLATE` and `jsonpath-file=FILE`; `text` is a command's own prose output.
 */
export const OutputKind = {
  Table: 'table',
  Wide: 'wide',
  Json: 'json',
  Yaml: 'yaml',
  Name: 'name',
  JsonPath: 'jsonpath',
  Text: 'text',
} as const;
/** One of the `-o` formats. */
export type OutputKind = (typeof OutputKind)[keyof typeof OutputKind];

/** A parsed `-o` value: the format, and for jsonpath the parsed template. */
export type Output =
  | { kind: Exclude<OutputKind, 'jsonpath'> }
  | { kind: 'jsonpath'; template: JsonPathTemplate };

/** How `parseOutput` checks a command's `-o`. */
export interface OutputOptions {
  /** The formats the command offers, in the order its error message lists them. */
  allowed: readonly OutputKind[];
  /** The format when `-o` is not given. */
  fallback: Exclude<OutputKind, 'jsonpath'>;
  /** The command's usage text, shown after a usage error. */
  usage: string;
  /** Reads a file for `jsonpath-file=FILE`; without it that form is refused. */
  readFile?: (file: string) => Promise<string>;
}

const describeAllowed = (allowed: readonly OutputKind[]): string => {
  const names = allowed.map((k) => (k === 'jsonpath' ? 'jsonpath=TEMPLATE' : k));
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
};

/**
 * Parses a command's `-o` value: `table`, `wide`, `json`, `yaml`, `name`, `text`,
 * `jsonpath=TEMPLATE` or `jsonpath-file=FILE` (kubectl's spellings), among those the command allows.
 * Throws a UsageError naming what is wrong: an unknown format, or the column of a bad template.
 */
export const parseOutput = async (value: string | undefined, opts: OutputOptions): Promise<Output> => {
  const v = value?.replace(/^=/, '');
  if (v?.startsWith('jsonpath-file=') && opts.allowed.includes('jsonpath') && opts.readFile !== undefined) {
    const file = v.slice('jsonpath-file='.length);
    if (file === '') {
      throw new UsageError('-o jsonpath-file needs a file, e.g. -o jsonpath-file=names.tmpl', opts.usage);
    }
    return {
      kind: 'jsonpath',
      template: compile(await opts.readFile(file), `-o jsonpath-file=${file}`, opts.usage),
    };
  }
  return parseOutputSync(value, opts);
};

/** `parseOutput` for commands that parse their arguments synchronously: `jsonpath-file=` is not offered. */
export const parseOutputSync = (value: string | undefined, opts: OutputOptions): Output => {
  if (value === undefined) return { kind: opts.fallback };
  // `-o=json` reaches here as "=json" (parseArgs keeps the "=" of a short option); kubectl takes it.
  const v = value.replace(/^=/, '');
  const eq = v.indexOf('=');
  const name = eq < 0 ? v : v.slice(0, eq);
  if (name === 'jsonpath' && opts.allowed.includes('jsonpath')) {
    const template = eq < 0 ? '' : v.slice(eq + 1);
    if (template === '') {
      throw new UsageError(
        `-o jsonpath needs a template, e.g. -o jsonpath='{.items[*].metadata.name}'`,
        opts.usage,
      );
    }
    return { kind: 'jsonpath', template: compile(template, '-o jsonpath', opts.usage) };
  }
  if (eq < 0 && opts.allowed.includes(name as OutputKind) && name !== 'jsonpath') {
    return { kind: name as Exclude<OutputKind, 'jsonpath'> };
  }
  throw new UsageError(`unknown output format "${v}": use ${describeAllowed(opts.allowed)}`, opts.usage);
};

const compile = (source: string, label: string, usage: string): JsonPathTemplate => {
  try {
    return parseJsonPath(source);
  } catch (err) {
    if (!(err instanceof JsonPathError)) throw err;
    throw new UsageError(`${label}: ${err.message} of ${JSON.stringify(source)}`, usage);
  }
};

/**
 * The API's answer printed as `-o json`, `-o yaml` or `-o jsonpath=…` ask (a jsonpath result gets no
 * newline added, as in kubectl); undefined for the other formats, which each command renders itself.
 */
export const renderData = (output: Output, body: unknown): string | undefined => {
  if (output.kind === 'json') return toJson(body);
  if (output.kind === 'yaml') return toYaml(body);
  if (output.kind === 'jsonpath') return output.template.execute(body);
  return undefined;
};
