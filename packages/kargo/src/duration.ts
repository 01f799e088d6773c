/**
 * Go `time.Duration` strings, as Kargo writes them (`spec.interval: 5m0s`). Parsing follows
 * `time.ParseDuration`; formatting follows `Duration.String()`, so `5m` normalises to `5m0s`.
 */

const NS_PER: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const UNITS = 'ns, us, ms, s, m or h';
const MAX_NS = (1n << 63n) - 1n;

/** Parses a Go duration to nanoseconds; throws an Error naming what is wrong. */
export function parseGoDurationNs(input: string): bigint {
  const bad = (why: string) => new Error(`invalid duration ${JSON.stringify(input)}: ${why}`);
  let s = input;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw bad('empty');
  let total = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [whole = '', int = '', frac] = m;
    if (int === '' && (frac === undefined || frac === ''))
      throw bad(`expected a number at ${JSON.stringify(s)}`);
    s = s.slice(whole.length);
    const unit = /^[^\d.]*/.exec(s)![0];
    if (unit === '') throw bad(`missing unit after ${whole} (use ${UNITS})`);
    const per = NS_PER[unit];
    if (per === undefined) throw bad(`unknown unit ${JSON.stringify(unit)} (use ${UNITS})`);
    s = s.slice(unit.length);
    let v = BigInt(int || '0') * per;
    if (frac) v += (BigInt(frac) * per) / 10n ** BigInt(frac.length);
    total += v;
    if (total > MAX_NS) throw bad('out of range');
  }
  return negative ? -total : total;
}

/**
 * Parses a Go duration string (`1h2m3.5s`, `300ms`, `5m0s`, `0`) and returns milliseconds.
 * Throws an Error such as `invalid duration "5x": unknown unit "x" (use ns, us, ms, s, m or h)`.
 */
export function parseGoDuration(s: string): number {
  return Number(parseGoDurationNs(s)) / 1e6;
}

/** `v` with its last `prec` decimal digits as a trimmed fraction (`1.5`), as Go prints them. */
function withFraction(v: bigint, prec: number): string {
  const scale = 10n ** BigInt(prec);
  const frac = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return `${v / scale}${frac ? `.${frac}` : ''}`;
}

/** Formats nanoseconds exactly as Go's `Duration.String()` does (`1h0m0s`, `1.5s`, `300ms`). */
export function formatGoDurationNs(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;
  if (u === 0n) return '0s';
  if (u < 1_000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${withFraction(u, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${withFraction(u, 6)}ms`;
  const secs = u / 1_000_000_000n;
  const sec = `${withFraction((secs % 60n) * 1_000_000_000n + (u % 1_000_000_000n), 9)}s`;
  const mins = secs / 60n;
  if (mins === 0n) return sign + sec;
  const hours = mins / 60n;
  return `${sign}${hours > 0n ? `${hours}h` : ''}${mins % 60n}m${sec}`;
}
