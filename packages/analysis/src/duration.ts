/** Argo Rollouts duration strings (`30s`, `5m`, `1h30m`, `250ms`), as Go's `time.ParseDuration` reads them. */

const MS_PER: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Milliseconds in a Go duration string, or an Error message saying what is wrong. Signs are not
 * accepted: an analysis never waits a negative time.
 */
export function parseDuration(input: string): number | { error: string } {
  if (input === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)([a-zµ]+)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(input); m; m = re.exec(input)) {
    const per = MS_PER[m[2] ?? ''];
    if (per === undefined) return { error: `unknown unit "${m[2]}" (use ms, s, m or h)` };
    total += Number(m[1]) * per;
    at = re.lastIndex;
  }
  if (input === '' || at !== input.length) return { error: 'write it as 30s, 5m, 1h or 1h30m' };
  return total;
}
