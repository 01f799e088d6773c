/**
 * Repository URL normalisation exactly as Kargo does it (`pkg/urls`), because normalised URLs
 * feed the Freight id: a different normal form would give a different id than Kargo's.
 */

/**
 * Kargo's SanitizeURL: drops non-printable runes anywhere and trims surrounding white space. Printable
 * ASCII, what nearly every URL is, has nothing to drop: it skips the Unicode-property pattern, whose
 * first use loads ICU's character data.
 */
const sanitize = (s: string) => (/^[\x20-\x7e]*$/.test(s) ? s : s.replace(/(?! )[\p{C}\p{Z}]/gu, '')).trim();

/** go-containerregistry's weak parse of an image reference into registry and repository. */
function parseImageRef(s: string): { registry: string; repository: string } | undefined {
  const repo = (name: string) => {
    if (name === '') return undefined;
    const [first = '', ...rest] = name.split('/');
    const hasRegistry = rest.length > 0 && (first === 'localhost' || /[.:]/.test(first));
    const repository = hasRegistry ? rest.join('/') : name;
    if (!/^[a-z0-9_\-./]{1,255}$/.test(repository)) return undefined;
    let registry = hasRegistry ? first : '';
    // Go requires url.Parse("//"+registry).Host to equal the registry: an authority with an optional port.
    if (!/^(\[[0-9a-f:.]*\]|[^:/?#@[\]\s%]*)(:\d*)?$/.test(registry)) return undefined;
    if (registry === '' || registry === 'docker.io') registry = 'index.docker.io';
    const implicit = registry === 'index.docker.io' && !repository.includes('/');
    return { registry, repository: implicit ? `library/${repository}` : repository };
  };
  const tagged = (name: string) => {
    const parts = name.split(':');
    const last = parts.at(-1)!;
    if (parts.length > 1 && !last.includes('/')) {
      if (!/^[\w.-]{1,128}$/.test(last)) return undefined;
      return repo(parts.slice(0, -1).join(':'));
    }
    return repo(name);
  };
  const byTag = tagged(s);
  if (byTag) return byTag;
  const at = s.split('@');
  if (at.length !== 2 || !/^sha256:[a-f0-9]{64}$/.test(at[1]!)) return undefined;
  const base = tagged(at[0]!);
  return base ? repo(`${base.registry}/${base.repository}`) : repo(at[0]!);
}

/**
 * Kargo's NormalizeImage: lowercases, drops Docker Hub hosts (`docker.io`, `index.docker.io`,
 * `registry-1.docker.io`) and the `library/` prefix; returns the input unchanged if it does not parse.
 */
export function normalizeImage(repoURL: string): string {
  const ref = parseImageRef(sanitize(repoURL.toLowerCase()));
  if (!ref) return repoURL;
  if (ref.registry === 'index.docker.io' || ref.registry === 'registry-1.docker.io') {
    return ref.repository.replace(/^library\//, '');
  }
  return `${ref.registry}/${ref.repository}`;
}

/** Kargo's NormalizeChart: lowercases, drops `oci://`, then normalises as an image repository. */
export function normalizeChart(repoURL: string): string {
  const s = sanitize(repoURL);
  // Go's url.Parse fails on a leading colon or a bad percent escape; Kargo then keeps the input.
  if (s.startsWith(':') || /%(?![0-9a-fA-F]{2})/.test(s)) return repoURL;
  return normalizeImage(s.toLowerCase().replace(/^oci:\/\//, ''));
}

/**
 * Kargo's NormalizeGit: lowercases; for http(s) and ssh URLs drops a trailing `/` and `.git` (and
 * http(s) user info); turns SCP-style `git@host:path` into `ssh://git@host/path`. A URL it cannot
 * normalise (query parameters, bad port) is returned unchanged.
 */
export function normalizeGit(repoURL: string): string {
  const s = sanitize(repoURL.toLowerCase());
  const trimPath = (p: string) => p.replace(/\/$/, '').replace(/\.git$/, '');
  const url = /^(https?|ssh):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/.exec(s);
  if (url) {
    const [, scheme = '', authority = '', path = '', query = '', fragment = ''] = url;
    if (
      query
        .slice(1)
        .split(/[&;]/)
        .some((q) => q !== '')
    )
      return repoURL;
    if (/%(?![0-9a-f]{2})/.test(s)) return repoURL;
    const host = scheme === 'ssh' ? authority : authority.slice(authority.lastIndexOf('@') + 1);
    if (!/^(\[[^\]]*\]|[^:\s]*)(:\d*)?$/.test(host.slice(host.lastIndexOf('@') + 1))) return repoURL;
    return `${scheme}://${host}${trimPath(path)}${query}${fragment}`;
  }
  const scp = /^((?:[\w-]+@)?[\w-]+(?:\.[\w-]+)*)(?::(.*))?$/.exec(s);
  if (!scp) return repoURL;
  const path = trimPath(scp[2] ?? '');
  return path === '' ? `ssh://${scp[1]}` : `ssh://${scp[1]}/${path}`;
}

/**
 * The repository a git URL names, for matching a push webhook to git subscriptions: host and path,
 * lower-cased, without scheme, user, port, trailing `/` or `.git`. Broader than {@link normalizeGit},
 * which keeps `https://host/p` and `git@host:p` apart (they feed Freight ids): a sender names one
 * form (`clone_url`, `git_http_url`, ...) while a Warehouse may subscribe with another, and a wrong
 * match costs only one extra re-check. So `git@host:acme/app.git`, `ssh://git@host:22/acme/app`,
 * `git://host/acme/app` and `https://host/Acme/App/` all give `host/acme/app`.
 */
export function gitRepoKey(repoURL: string): string {
  const s = sanitize(repoURL).toLowerCase();
  const url = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]*)([^?#]*)/.exec(s);
  const scp = url ? undefined : /^(?:[^@/:]+@)?(\[[^\]]*\]|[^:/]+):(?!\/\/)(.*)$/.exec(s);
  const found = url ?? scp;
  if (!found) return s.replace(/\/+$/, '').replace(/\.git$/, '');
  const host = (found[1] ?? '').replace(/:\d*$/, '');
  const path = (found[2] ?? '')
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
  return path === '' ? host : `${host}/${path}`;
}
