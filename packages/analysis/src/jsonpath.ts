/**
 * The JSONPath subset the web provider reads, as Argo Rollouts users write it (Kubernetes
 * JSONPath, usually `{$.data.ok}`): optional surrounding `{…}`, a leading `$` (optional), `.name`,
 * `['name']` / `["name"]`, `[N]` (negative counts from the end), and the wildcards `[*]` / `.*`.
 * Filters (`[?(…)]`), slices and recursive descent (`..`) are not supported.
 */

type Segment = { key: string } | { index: number } | { all: true };

/** Splits a path into segments, or throws an Error naming the unsupported part. */
export function parseJsonPath(path: string): Segment[] {
  let s = path.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  const out: Segment[] = [];
  const re = /\.\*|\[\*\]|\.([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m)
      throw new Error(
        `jsonPath "${path}" is not supported at "${s.slice(at)}" (use .name, ['name'], [N] or [*])`,
      );
    if (m[0] === '.*' || m[0] === '[*]') out.push({ all: true });
    else if (m[2] !== undefined) out.push({ index: Number(m[2]) });
    else out.push({ key: m[1] ?? m[3] ?? m[4] ?? '' });
    at = re.lastIndex;
  }
  return out;
}

/**
 * The value at `path` in `doc`. A path with a wildcard gives an array of every match; one without
 * gives the single value. Throws when nothing matches, naming the path.
 */
export function evaluateJsonPath(doc: unknown, path: string): unknown {
  const segments = parseJsonPath(path);
  let current: unknown[] = [doc];
  let many = false;
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('all' in seg) {
        if (Array.isArray(v)) next.push(...v);
        else if (v !== null && typeof v === 'object') next.push(...Object.values(v));
      } else if ('index' in seg) {
        if (Array.isArray(v)) {
          const i = seg.index < 0 ? v.length + seg.index : seg.index;
          if (i >= 0 && i < v.length) next.push(v[i]);
        }
      } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, seg.key)) {
        next.push((v as Record<string, unknown>)[seg.key]);
      }
    }
    if ('all' in seg) many = true;
    current = next;
  }
  if (many) return current;
  if (current.length === 0) throw new Error(`jsonPath "${path}" matches nothing in the response`);
  return current[0];
}
