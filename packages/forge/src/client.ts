import { ForgeError, ForgeErrorCode } from './errors.ts';

/** The forges Ferry speaks to. */
export const Provider = { GitHub: 'github', GitLab: 'gitlab', Gitea: 'gitea' } as const;
/** One of {@link Provider}. */
export type Provider = (typeof Provider)[keyof typeof Provider];

/** A pull (merge) request as Ferry needs it, the same for every provider. */
export interface PullRequest {
  /** The number users see (GitHub/Gitea `number`, GitLab `iid`). */
  number: number;
  /** The web page of the pull request. */
  url: string;
  /** `open`, `merged`, or `closed` (closed without merging). */
  state: 'open' | 'merged' | 'closed';
  /** The merge commit; empty until merged. */
  mergeCommit: string | undefined;
  /** Source branch. */
  head: string;
  /** Target branch. */
  base: string;
}

/** Which repository, on which forge. */
export interface RepoRef {
  /** The repository's git URL (`https://github.com/org/repo.git`). */
  repoURL: string;
  /** The provider; inferred from the host when absent. */
  provider?: Provider | undefined;
}

/** What a new pull request carries. */
export interface NewPullRequest {
  head: string;
  base: string;
  title: string;
  description: string;
  labels: readonly string[];
}

/** The outcome of a merge attempt. */
export type MergeResult = { merged: true; commit: string } | { merged: false; reason: string };

/** The pull-request operations steps use: the `forge` port. */
export interface Forge {
  /** The open pull request from `head` into `base`, if there is one. */
  findOpen(repo: RepoRef, head: string, base: string): Promise<PullRequest | undefined>;
  /** Opens a pull request. */
  create(repo: RepoRef, pr: NewPullRequest): Promise<PullRequest>;
  /** Reads a pull request; throws NotFound when it does not exist. */
  get(repo: RepoRef, number: number): Promise<PullRequest>;
  /** Merges with the provider's default method; `merged: false` when the forge says it cannot yet. */
  merge(repo: RepoRef, number: number): Promise<MergeResult>;
}

/** A `fetch` (the global one, or a fake). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Settings of {@link createForge}. */
export interface ForgeOptions {
  /** API token by forge host (`github.com`); never logged nor put in errors. */
  tokens: Readonly<Record<string, string>>;
  /** API base URL by host, overriding the provider's default (tests, unusual installs). */
  apiUrls?: Readonly<Record<string, string>>;
  fetch?: FetchLike;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
}

/** Host and path (`org/repo`, or `group/sub/repo` on GitLab) of a repository URL. */
export function parseRepoURL(repoURL: string): { host: string; path: string } {
  let host: string;
  let path: string;
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.+)$/.exec(repoURL);
  if (scp && !/^[a-z]+:\/\//i.test(repoURL)) {
    host = scp[1]!;
    path = scp[2]!;
  } else {
    let u: URL;
    try {
      u = new URL(repoURL);
    } catch (cause) {
      throw new ForgeError(ForgeErrorCode.InvalidRepo, `repoURL "${repoURL}" is not a URL`, { cause });
    }
    host = u.host;
    path = u.pathname;
  }
  path = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  if (!path.includes('/')) {
    throw new ForgeError(ForgeErrorCode.InvalidRepo, `repoURL "${repoURL}" names no owner/repository`);
  }
  return { host, path };
}

/** The provider a host belongs to, by its name; throws asking for `provider` when it cannot tell. */
export function inferProvider(host: string): Provider {
  const h = host.toLowerCase();
  for (const p of Object.values(Provider)) if (h.includes(p)) return p;
  throw new ForgeError(
    ForgeErrorCode.InvalidRepo,
    `cannot tell the forge of host ${host}; set provider to github, gitlab or gitea`,
  );
}

/** The REST API root for a host: api.github.com, `/api/v3` (GitHub Enterprise), `/api/v4`, `/api/v1`. */
export function apiBase(host: string, provider: Provider, overrides: Readonly<Record<string, string>> = {}) {
  const o = overrides[host];
  if (o) return o.replace(/\/+$/, '');
  if (provider === Provider.GitHub)
    return host === 'github.com' ? 'https://api.github.com' : `https://${host}/api/v3`;
  return `https://${host}/api/${provider === Provider.GitLab ? 'v4' : 'v1'}`;
}

interface Call {
  method: string;
  path: string;
  body?: unknown;
  /** Statuses that are answers, not errors. */
  ok?: readonly number[];
}

/** Creates the real `forge` port over the providers' REST APIs. */
export function createForge(options: ForgeOptions): Forge {
  const doFetch = options.fetch ?? ((url, init) => fetch(url, init));
  const timeoutMs = options.timeoutMs ?? 30_000;

  const target = (repo: RepoRef) => {
    const { host, path } = parseRepoURL(repo.repoURL);
    const provider = repo.provider ?? inferProvider(host);
    const token = options.tokens[host];
    if (!token) {
      throw new ForgeError(
        ForgeErrorCode.NoToken,
        `no API token for forge host ${host}; add "${host}=<token>" to FERRY_FORGE_TOKENS`,
      );
    }
    const auth: Record<string, string> =
      provider === Provider.GitHub
        ? { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' }
        : provider === Provider.GitLab
          ? { 'private-token': token }
          : { authorization: `token ${token}` };
    const base = apiBase(host, provider, options.apiUrls);
    const call = async (c: Call): Promise<{ status: number; json: unknown }> => {
      let res: Response;
      try {
        res = await doFetch(base + c.path, {
          method: c.method,
          headers: { ...auth, ...(c.body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (cause) {
        throw new ForgeError(
          ForgeErrorCode.Unreachable,
          `${provider} at ${host} cannot be reached: ${(cause as Error).message}`,
          { cause },
        );
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (res.ok || c.ok?.includes(res.status)) return { status: res.status, json };
      const said = (json as { message?: unknown } | undefined)?.message;
      const detail = typeof said === 'string' ? `: ${said}` : '';
      const what = `${provider} at ${host} answered ${res.status} to ${c.method} ${c.path}${detail}`;
      if (res.status === 401 || res.status === 403)
        throw new ForgeError(
          ForgeErrorCode.Unauthorized,
          `${what}; check the token for ${host} in FERRY_FORGE_TOKENS`,
          { status: res.status },
        );
      if (res.status === 404) throw new ForgeError(ForgeErrorCode.NotFound, what, { status: res.status });
      throw new ForgeError(ForgeErrorCode.BadResponse, what, { status: res.status });
    };
    return { host, path, provider, call };
  };

  const bad = (host: string, what: string) =>
    new ForgeError(ForgeErrorCode.BadResponse, `forge at ${host} answered a pull request without ${what}`);

  // GitHub and Gitea share field names; GitLab names them differently.
  const normalize = (provider: Provider, host: string, raw: unknown): PullRequest => {
    const r = (raw ?? {}) as Record<string, unknown>;
    if (provider === Provider.GitLab) {
      if (typeof r.iid !== 'number') throw bad(host, 'iid');
      return {
        number: r.iid,
        url: String(r.web_url ?? ''),
        state: r.state === 'merged' ? 'merged' : r.state === 'opened' ? 'open' : 'closed',
        mergeCommit: typeof r.merge_commit_sha === 'string' ? r.merge_commit_sha : undefined,
        head: String(r.source_branch ?? ''),
        base: String(r.target_branch ?? ''),
      };
    }
    if (typeof r.number !== 'number') throw bad(host, 'number');
    const ref = (v: unknown) => String((v as { ref?: unknown } | undefined)?.ref ?? '');
    return {
      number: r.number,
      url: String(r.html_url ?? ''),
      state: r.merged === true ? 'merged' : r.state === 'open' ? 'open' : 'closed',
      mergeCommit:
        typeof r.merge_commit_sha === 'string' && r.merged === true ? r.merge_commit_sha : undefined,
      head: ref(r.head),
      base: ref(r.base),
    };
  };

  const repoPath = (t: { provider: Provider; path: string }) =>
    t.provider === Provider.GitLab ? `/projects/${encodeURIComponent(t.path)}` : `/repos/${t.path}`;
  const q = encodeURIComponent;

  const forge: Forge = {
    async findOpen(repo, head, base) {
      const t = target(repo);
      const path =
        t.provider === Provider.GitLab
          ? `${repoPath(t)}/merge_requests?state=opened&source_branch=${q(head)}&target_branch=${q(base)}`
          : t.provider === Provider.GitHub
            ? `${repoPath(t)}/pulls?state=open&head=${q(`${t.path.split('/')[0]}:${head}`)}&base=${q(base)}`
            : // Gitea's list has no head filter: filter here.
              `${repoPath(t)}/pulls?state=open&limit=50`;
      const { json } = await t.call({ method: 'GET', path });
      if (!Array.isArray(json)) throw bad(t.host, 'a list');
      return json
        .map((p) => normalize(t.provider, t.host, p))
        .find((p) => p.state === 'open' && p.head === head && p.base === base);
    },
    async create(repo, pr) {
      const t = target(repo);
      if (t.provider === Provider.GitLab) {
        const { json } = await t.call({
          method: 'POST',
          path: `${repoPath(t)}/merge_requests`,
          body: {
            source_branch: pr.head,
            target_branch: pr.base,
            title: pr.title,
            description: pr.description,
            ...(pr.labels.length ? { labels: pr.labels.join(',') } : {}),
          },
        });
        return normalize(t.provider, t.host, json);
      }
      const { json } = await t.call({
        method: 'POST',
        path: `${repoPath(t)}/pulls`,
        body: { head: pr.head, base: pr.base, title: pr.title, body: pr.description },
      });
      const created = normalize(t.provider, t.host, json);
      if (pr.labels.length && t.provider === Provider.GitHub) {
        // GitHub takes labels on the issue behind the pull request, not on create.
        await t.call({
          method: 'POST',
          path: `${repoPath(t)}/issues/${created.number}/labels`,
          body: { labels: pr.labels },
        });
      }
      return created;
    },
    async get(repo, number) {
      const t = target(repo);
      const path =
        t.provider === Provider.GitLab
          ? `${repoPath(t)}/merge_requests/${number}`
          : `${repoPath(t)}/pulls/${number}`;
      return normalize(t.provider, t.host, (await t.call({ method: 'GET', path })).json);
    },
    async merge(repo, number) {
      const t = target(repo);
      // 405 and 409 (and GitLab's 422) mean "not now", which a waiting step retries.
      const notNow = [405, 409, 422];
      const res =
        t.provider === Provider.GitLab
          ? await t.call({ method: 'PUT', path: `${repoPath(t)}/merge_requests/${number}/merge`, ok: notNow })
          : t.provider === Provider.GitHub
            ? await t.call({
                method: 'PUT',
                path: `${repoPath(t)}/pulls/${number}/merge`,
                body: {},
                ok: notNow,
              })
            : await t.call({
                method: 'POST',
                path: `${repoPath(t)}/pulls/${number}/merge`,
                body: { Do: 'merge' },
                ok: notNow,
              });
      if (notNow.includes(res.status)) {
        const said = (res.json as { message?: unknown } | undefined)?.message;
        return { merged: false, reason: typeof said === 'string' && said ? said : `answered ${res.status}` };
      }
      // GitHub answers the sha; GitLab the merged request; Gitea nothing: read it back.
      const sha = (res.json as { sha?: unknown } | undefined)?.sha;
      if (t.provider === Provider.GitHub && typeof sha === 'string') return { merged: true, commit: sha };
      const pr =
        t.provider === Provider.GitLab
          ? normalize(t.provider, t.host, res.json)
          : await forge.get(repo, number);
      if (!pr.mergeCommit) throw bad(t.host, 'a merge commit after merging');
      return { merged: true, commit: pr.mergeCommit };
    },
  };
  return forge;
}
