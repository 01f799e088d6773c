import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** The forges a double can play. */
export type ForgeKind = 'github' | 'gitlab' | 'gitea';

/** One pull request as the double keeps it. */
export interface FakePullRequest {
  number: number;
  /** `owner/repo` (GitLab: the project path). */
  repo: string;
  head: string;
  base: string;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
  merged: boolean;
  mergeCommit: string | null;
  /** When false, merge attempts answer "not mergeable" (405) as the forge does. */
  mergeable: boolean;
}

/** One request the double received (the token header is not kept). */
export interface ForgeRequest {
  method: string;
  path: string;
  /** Whether the request carried the expected token, in the provider's header. */
  authorized: boolean;
}

/** A stand-in for one provider's pull-request REST endpoints. */
export interface TestForge {
  kind: ForgeKind;
  /** The API base (`FERRY_FORGE_API_URLS` value). */
  url: string;
  /** Every pull request, by number. */
  prs: Map<number, FakePullRequest>;
  requests: ForgeRequest[];
  /** Merges a pull request out of band (as a person on the web page would). */
  mergePR(number: number): string;
  /** Closes a pull request without merging it. */
  closePR(number: number): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body?: unknown) => {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
};

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * Starts a double of GitHub REST v3, GitLab v4 or Gitea v1 for pull requests: create, list open,
 * get, merge, with each provider's paths, field names, status codes and token header
 * (GitHub `Authorization: Bearer`, GitLab `PRIVATE-TOKEN` or Bearer, Gitea `Authorization: token`).
 */
export async function startForge(kind: ForgeKind, token: string): Promise<TestForge> {
  const prs = new Map<number, FakePullRequest>();
  const requests: ForgeRequest[] = [];
  let next = 1;
  const sha = (pr: FakePullRequest) =>
    createHash('sha1').update(`${pr.repo}#${pr.number}:${pr.head}->${pr.base}`).digest('hex');
  const doMerge = (pr: FakePullRequest) => {
    pr.merged = true;
    pr.state = 'closed';
    pr.mergeCommit = sha(pr);
    return pr.mergeCommit;
  };
  let port = 0;
  const web = (pr: FakePullRequest) =>
    `http://127.0.0.1:${port}/${pr.repo}/${kind === 'gitlab' ? '-/merge_requests' : 'pull'}/${pr.number}`;
  const view = (pr: FakePullRequest) =>
    kind === 'gitlab'
      ? {
          id: 1000 + pr.number,
          iid: pr.number,
          title: pr.title,
          description: pr.body,
          state: pr.merged ? 'merged' : pr.state === 'open' ? 'opened' : 'closed',
          source_branch: pr.head,
          target_branch: pr.base,
          labels: pr.labels,
          merge_commit_sha: pr.mergeCommit,
          web_url: web(pr),
        }
      : {
          id: 1000 + pr.number,
          number: pr.number,
          title: pr.title,
          body: pr.body,
          state: pr.state,
          merged: pr.merged,
          merge_commit_sha: pr.mergeCommit,
          html_url: web(pr),
          head: { ref: pr.head, label: `${pr.repo.split('/')[0]}:${pr.head}` },
          base: { ref: pr.base },
          labels: pr.labels.map((name) => ({ name })),
        };

  const authorized = (req: IncomingMessage) => {
    const a = req.headers.authorization;
    if (kind === 'github') return a === `Bearer ${token}`;
    if (kind === 'gitea') return a === `token ${token}`;
    return req.headers['private-token'] === token || a === `Bearer ${token}`;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const ok = authorized(req);
    requests.push({ method: req.method ?? '', path: u.pathname + u.search, authorized: ok });
    if (!ok) {
      return json(
        res,
        401,
        kind === 'gitlab' ? { message: '401 Unauthorized' } : { message: 'Bad credentials' },
      );
    }
    const notFound = () =>
      json(res, 404, kind === 'gitlab' ? { message: '404 Not found' } : { message: 'Not Found' });
    let m: RegExpExecArray | null;
    let repo: string;
    let rest: string;
    if (kind === 'gitlab') {
      // The project id is the URL-encoded path; the raw pathname keeps it encoded.
      m = /^\/projects\/([^/]+)\/merge_requests(?:\/(\d+)(\/merge)?)?$/.exec(u.pathname);
      if (!m) return notFound();
      repo = decodeURIComponent(m[1]!);
      rest = m[2] ? `/${m[2]}${m[3] ?? ''}` : '';
    } else {
      m = /^\/repos\/([^/]+\/[^/]+)\/(pulls|issues)(?:\/(\d+)(\/merge|\/labels)?)?$/.exec(u.pathname);
      if (!m) return notFound();
      repo = m[1]!;
      rest = m[3] ? `/${m[3]}${m[4] ?? ''}` : '';
      if (m[2] === 'issues') {
        const pr = prs.get(Number(m[3]));
        if (!pr || m[4] !== '/labels' || req.method !== 'POST') return notFound();
        const body = await readBody(req);
        pr.labels.push(...((body.labels as string[]) ?? []));
        return json(
          res,
          200,
          pr.labels.map((name) => ({ name })),
        );
      }
    }
    const num = /^\/(\d+)/.exec(rest)?.[1];
    const pr = num ? prs.get(Number(num)) : undefined;
    if (num && (!pr || pr.repo !== repo)) return notFound();
    if (!num && req.method === 'GET') {
      const state = u.searchParams.get('state');
      const want =
        kind === 'gitlab' ? (state === 'opened' ? 'open' : undefined) : state === 'open' ? 'open' : undefined;
      let list = [...prs.values()].filter(
        (p) => p.repo === repo && (!want || (p.state === want && !p.merged)),
      );
      if (kind === 'github') {
        const head = u.searchParams.get('head');
        const base = u.searchParams.get('base');
        if (head) list = list.filter((p) => `${p.repo.split('/')[0]}:${p.head}` === head);
        if (base) list = list.filter((p) => p.base === base);
      } else if (kind === 'gitlab') {
        const s = u.searchParams.get('source_branch');
        const t = u.searchParams.get('target_branch');
        list = list.filter((p) => (!s || p.head === s) && (!t || p.base === t));
      }
      return json(res, 200, list.map(view));
    }
    if (!num && req.method === 'POST') {
      const b = await readBody(req);
      const head = String(kind === 'gitlab' ? b.source_branch : b.head);
      const base = String(kind === 'gitlab' ? b.target_branch : b.base);
      if (!b.title || !head || !base) return json(res, 422, { message: 'Validation Failed' });
      const dup = [...prs.values()].find(
        (p) => p.repo === repo && p.head === head && p.base === base && p.state === 'open',
      );
      if (dup) {
        if (kind === 'github')
          return json(res, 422, {
            message: 'Validation Failed',
            errors: [{ message: `A pull request already exists for ${head}.` }],
          });
        if (kind === 'gitlab')
          return json(res, 409, {
            message: ['Another open merge request already exists for this source branch'],
          });
        return json(res, 409, { message: 'pull request already exists for these targets' });
      }
      const created: FakePullRequest = {
        number: next++,
        repo,
        head,
        base,
        title: String(b.title),
        body: String((kind === 'gitlab' ? b.description : b.body) ?? ''),
        labels: kind === 'gitlab' && typeof b.labels === 'string' ? b.labels.split(',') : [],
        state: 'open',
        merged: false,
        mergeCommit: null,
        mergeable: true,
      };
      prs.set(created.number, created);
      return json(res, 201, view(created));
    }
    if (pr && rest.endsWith('/merge')) {
      const method = kind === 'gitea' ? 'POST' : 'PUT';
      if (req.method !== method) return json(res, 405, { message: 'Method Not Allowed' });
      await readBody(req);
      if (pr.state !== 'open' || !pr.mergeable) {
        return json(res, 405, {
          message: kind === 'github' ? 'Pull Request is not mergeable' : '405 Method Not Allowed',
        });
      }
      const commit = doMerge(pr);
      if (kind === 'github')
        return json(res, 200, { sha: commit, merged: true, message: 'Pull Request successfully merged' });
      if (kind === 'gitlab') return json(res, 200, view(pr));
      return json(res, 200);
    }
    if (pr && req.method === 'GET') return json(res, 200, view(pr));
    return notFound();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => json(res, 500, { message: err.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const must = (n: number) => {
    const pr = prs.get(n);
    if (!pr) throw new Error(`forge double: no pull request #${n}`);
    return pr;
  };
  return {
    kind,
    url: `http://127.0.0.1:${port}`,
    prs,
    requests,
    mergePR: (n: number) => doMerge(must(n)),
    closePR: (n: number) => {
      must(n).state = 'closed';
    },
    close: stop,
  };
}
