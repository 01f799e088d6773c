import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { closeServer } from './token-server.ts';
import { freePort, type RunResult, run, tempDir } from './util.ts';

const GIT_HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

/** Options for {@link startGitServer}. */
export interface StartGitServerOptions {
  /** When set, every request needs these basic-auth credentials (401 with `WWW-Authenticate` otherwise). */
  auth?: { username: string; password: string };
}

/** One commit as {@link TestGitServer.commits} reports it. */
export interface GitCommit {
  /** Full commit id. */
  sha: string;
  /** Full commit message, trailing newline trimmed. */
  message: string;
  /** `Name <email>` of the author. */
  author: string;
}

/** A smart-HTTP git server (git-http-backend behind a CGI bridge) over bare repos in a temp dir. */
export interface TestGitServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Clone URL of a repo, `http://127.0.0.1:PORT/<name>.git`; with `withAuth`, credentials in the URL. */
  repoURL(name: string, opts?: { withAuth?: boolean }): string;
  /** Creates a bare repo whose branch (`main` by default) holds one commit with `files`; resolves with its URL. */
  createRepo(
    name: string,
    files: Record<string, string>,
    opts?: { branch?: string; message?: string },
  ): Promise<string>;
  /** Commits reachable from `branch` (HEAD by default), newest first. */
  commits(name: string, branch?: string): Promise<GitCommit[]>;
  /** Contents of `path` at `ref` in the bare repo. */
  readFile(name: string, ref: string, path: string): Promise<string>;
  /** Number of `git-receive-pack` POSTs (pushes) served for the repo. */
  pushCount(name: string): number;
  /** Stops the server and removes the temp dir. */
  close(): Promise<void>;
}

/** Identity and isolation for git child processes: no system or user config leaks into tests. */
export function gitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Ferry Test',
    GIT_AUTHOR_EMAIL: 'test@ferry.invalid',
    GIT_COMMITTER_NAME: 'Ferry Test',
    GIT_COMMITTER_EMAIL: 'test@ferry.invalid',
  };
}

/** Runs the git CLI with {@link gitEnv}; `home` defaults to the working directory. */
export async function git(args: readonly string[], opts: { cwd: string; home?: string }): Promise<RunResult> {
  return await run('git', args, { cwd: opts.cwd, env: gitEnv(opts.home ?? opts.cwd) });
}

/**
 * Starts a node:http server on a free 127.0.0.1 port that hands every request to git-http-backend as a
 * CGI program, streaming the request body to its stdin and its stdout (after the CGI headers) back.
 */
export async function startGitServer(opts: StartGitServerOptions = {}): Promise<TestGitServer> {
  const dir = await tempDir('git');
  const root = join(dir, 'repos');
  const home = join(dir, 'home');
  await mkdir(root);
  await mkdir(home);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const pushes = new Map<string, number>();
  const env = gitEnv(home);

  const server = createServer((req, res) => {
    const user = authorise(req, opts.auth);
    if (user === false) {
      res.writeHead(401, {
        'WWW-Authenticate': 'Basic realm="ferry-test-git"',
        'Content-Type': 'text/plain',
      });
      res.end('authentication required\n');
      return;
    }
    const target = new URL(req.url ?? '/', url);
    const push = /^\/(.+)\.git\/git-receive-pack$/.exec(target.pathname);
    if (req.method === 'POST' && push) pushes.set(push[1]!, (pushes.get(push[1]!) ?? 0) + 1);
    cgi(req, res, {
      ...env,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(target.pathname),
      QUERY_STRING: target.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      ...(user === undefined ? {} : { REMOTE_USER: user }),
      ...(req.headers['content-length'] === undefined
        ? {}
        : { CONTENT_LENGTH: req.headers['content-length'] }),
      // git-http-backend inflates a gzip'd body itself when told the encoding.
      ...(req.headers['content-encoding'] === undefined
        ? {}
        : { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }),
      ...(typeof req.headers['git-protocol'] === 'string'
        ? { HTTP_GIT_PROTOCOL: req.headers['git-protocol'] }
        : {}),
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

  const bare = (name: string): string => join(root, `${name}.git`);
  const repoURL = (name: string, urlOpts: { withAuth?: boolean } = {}): string => {
    if (!urlOpts.withAuth || !opts.auth) return `${url}/${name}.git`;
    const u = new URL(`${url}/${name}.git`);
    u.username = opts.auth.username;
    u.password = opts.auth.password;
    return u.toString();
  };

  return {
    url,
    repoURL,
    async createRepo(name, files, repoOpts = {}) {
      const branch = repoOpts.branch ?? 'main';
      await mkdir(dirname(bare(name)), { recursive: true });
      await git(['init', '--quiet', '--bare', `--initial-branch=${branch}`, bare(name)], { cwd: root, home });
      await git(['config', 'http.receivepack', 'true'], { cwd: bare(name), home });
      const work = await tempDir('git-work');
      try {
        await git(['init', '--quiet', `--initial-branch=${branch}`], { cwd: work, home });
        for (const [path, content] of Object.entries(files)) {
          await mkdir(dirname(join(work, path)), { recursive: true });
          await writeFile(join(work, path), content);
        }
        await git(['add', '--all'], { cwd: work, home });
        await git(['commit', '--quiet', '--allow-empty', '-m', repoOpts.message ?? 'initial commit'], {
          cwd: work,
          home,
        });
        // Pushed by path, not over HTTP, so that seeding never counts as a push.
        await git(['push', '--quiet', bare(name), branch], { cwd: work, home });
      } finally {
        await rm(work, { recursive: true, force: true });
      }
      return repoURL(name);
    },
    async commits(name, branch = 'HEAD') {
      const { stdout } = await git(['log', '-z', '--format=%H%x1f%an <%ae>%x1f%B', branch], {
        cwd: bare(name),
        home,
      });
      return stdout
        .split('\0')
        .filter((entry) => entry !== '')
        .map((entry) => {
          const [sha = '', author = '', message = ''] = entry.split('\x1f');
          return { sha, author, message: message.trimEnd() };
        });
    },
    async readFile(name, ref, path) {
      return (await git(['show', `${ref}:${path}`], { cwd: bare(name), home })).stdout;
    },
    pushCount: (name) => pushes.get(name) ?? 0,
    async close() {
      await closeServer(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// undefined: no auth configured; false: missing or wrong credentials; string: the user.
function authorise(req: IncomingMessage, auth: StartGitServerOptions['auth']): string | undefined | false {
  if (!auth) return undefined;
  const match = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const expected = `${auth.username}:${auth.password}`;
  return Buffer.from(match[1]!, 'base64').toString('utf8') === expected ? auth.username : false;
}

function cgi(req: IncomingMessage, res: ServerResponse, env: NodeJS.ProcessEnv): void {
  const child = spawn(GIT_HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.on('error', (err) => fail(res, `cannot run git-http-backend: ${err.message}`));
  req.pipe(child.stdin);
  // A client that hangs up mid-body must not crash the server with EPIPE.
  child.stdin.on('error', () => {});

  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf('\r\n\r\n');
    const lf = head.indexOf('\n\n');
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
    if (end < 0) return;
    const sepLength = end === crlf ? 4 : 2;
    headersDone = true;
    let status = 200;
    const headers: [string, string][] = [];
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
      else headers.push([key, value]);
    }
    res.writeHead(status, headers.flat());
    const rest = head.subarray(end + sepLength);
    if (rest.length > 0) res.write(rest);
  });
  child.on('close', (code) => {
    if (!headersDone) {
      fail(res, `git-http-backend exited ${code} without headers: ${stderr.trim()}`);
      return;
    }
    res.end();
  });
}

function fail(res: ServerResponse, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, { 'Content-Type': 'text/plain' });
  res.end(`${message}\n`);
}
