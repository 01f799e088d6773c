/** One challenge of a `WWW-Authenticate` header. */
export interface AuthChallenge {
  /** Auth scheme, lowercased: `bearer`, `basic`. */
  scheme: string;
  /** Auth parameters with lowercased names: `realm`, `service`, `scope`, `error`. */
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header (RFC 7235) into its challenges, e.g.
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull"`.
 * Quoted values may hold commas (`scope="repository:a:pull,push"`) and backslash escapes.
 */
export function parseWwwAuthenticate(header: string | null | undefined): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  if (!header) return challenges;
  let i = 0;
  const n = header.length;
  const isDelimiter = (c: string): boolean => c === ',' || c === '=' || c === '"' || /\s/.test(c);
  const skip = (also: string): void => {
    while (i < n && (/\s/.test(header[i]!) || also.includes(header[i]!))) i++;
  };
  let current: AuthChallenge | undefined;
  while (i < n) {
    skip(',');
    const start = i;
    while (i < n && !isDelimiter(header[i]!)) i++;
    const word = header.slice(start, i);
    if (word === '') {
      i++;
      continue;
    }
    skip('');
    if (header[i] === '=') {
      i++;
      skip('');
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const valueStart = i;
        while (i < n && header[i] !== ',' && !/\s/.test(header[i]!)) i++;
        value = header.slice(valueStart, i);
      }
      // A parameter before any scheme has nowhere to go; it is dropped rather than guessed.
      if (current) current.params[word.toLowerCase()] = value;
    } else {
      current = { scheme: word.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

/**
 * Finds the `rel="next"` target of a `Link` header (RFC 8288), as the distribution spec uses for tag list
 * pagination (`</v2/app/tags/list?last=b&n=2>; rel="next"`), and resolves it against `baseURL`, since
 * registries send relative and absolute targets alike. Returns undefined when there is no next page.
 */
export function parseLinkNext(header: string | null | undefined, baseURL: string): string | undefined {
  if (!header) return undefined;
  for (const match of header.matchAll(/<([^>]*)>([^<]*)/g)) {
    const params = match[2]!;
    for (const param of params.split(';')) {
      const eq = param.indexOf('=');
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'rel') continue;
      const rels = param
        .slice(eq + 1)
        .trim()
        .replace(/,\s*$/, '')
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase()
        .split(/\s+/);
      if (rels.includes('next')) return new URL(match[1]!, baseURL).toString();
    }
  }
  return undefined;
}

/**
 * Reads a `Retry-After` header as whole seconds from `nowMs`: either delay-seconds or an HTTP date.
 * Returns undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}
