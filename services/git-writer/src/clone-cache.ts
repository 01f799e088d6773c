/**
 * The git port on the git CLI (through simple-git): one persistent bare cache per repository
 * URL, temporary work trees per write.
 *
 * Layout under the cache root (`config.gitCacheDir`):
 *   repos/<sanitised-url>-<hash>.git   bare partial clone (`--filter=blob:none` when the server can)
 *   work/<pid>/<writeId>-<random>      `git worktree add --detach` of the cache, one per write
 *
 * Work trees are detached: no branch is checked out anywhere, so writes to different branches
 * of one repository run side by side. Remote branches are fetched into `refs/remotes/origin/*`
 * by explicit refspecs (a bare clone has no fetch refspec), and a push never updates local refs
 * by itself, so the only writes to a cache's refs and work-tree list are fetch, `worktree
 * add/remove` and the post-push ref update; those are serialised per cache in this process.
 * Other processes sharing the directory keep their work trees under their own pid.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmod,
  copyFile,
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import {
  type GitCredentials,
  type GitCredentialsLookup,
  gitCredentialEnv,
  isGitAuthFailure,
} from '@ferry/git-credentials';
import { type GitOperation, GitOperations, gitOperationDuration, gitPushRejections } from '@ferry/metrics';
import { Kinds, type Logger, withSpan } from '@ferry/observability';
import { simpleGit } from 'simple-git';
import { authAdvice } from './credentials.ts';
import { EditPathError, PushRejectedError, RepoAccessError, RevisionNotFoundError } from './errors.ts';
import type { Author, GitPort, RemoteState, WorkTree } from './ports.ts';
import { redactText, redactURL } from './redact.ts';

/** Options of {@link CloneCache.open}. */
export interface CloneCacheOptions {
  /** Root directory of the cache (`config.gitCacheDir`). */
  dir: string;
  log: Logger;
  /** A git command that prints nothing for this long is killed (default 120 s). */
  idleTimeoutMs?: number;
  /** Sign every commit with this key (`FERRY_GIT_SIGNING_KEY_TYPE` / `_PATH`); absent = unsigned. */
  signing?: SigningOptions;
}

/** A commit signing key: an armored GPG private key, or an SSH private key (git's `gpg.format=ssh`). */
export interface SigningOptions {
  type: 'gpg' | 'ssh';
  /** Path of the private key file (without a passphrase). */
  keyPath: string;
}

/** The signing key could not be loaded; start-up fails with this. */
export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

/** What signing adds to each commit command: `-c` settings and environment (never global config). */
interface SigningSetup {
  config: string[];
  env: Record<string, string>;
}

/** Git's empty tree: the tree of a new orphan branch before anything is written. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

// Git's messages that mean "this repository is not there for you": retrying will not help.
const ACCESS_DENIED = [
  /does not appear to be a git repository/i,
  /repository .*not found/i,
  /Repository not found/i,
  /Authentication failed/i,
  /could not read (Username|Password)/i,
  /terminal prompts disabled/i,
  /Permission denied/i,
  /returned error: 40[134]/i,
  /\[remote rejected\]/i,
  /protected branch/i,
];
const PUSH_REJECTED = [/\[rejected\]/, /non-fast-forward/i, /fetch first/i, /stale info/i];

/** The directory name of a repository's cache: readable, unique, credential-free. */
export function cacheNameFor(repoURL: string): string {
  const url = redactURL(repoURL);
  const readable = url
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+|[._]+$/g, '')
    .slice(0, 60);
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 12);
  return `${readable || 'repo'}-${hash}.git`;
}

/** A git command failed; the message is redacted and never carries the raw error (it may hold credentials). */
export class GitCommandError extends Error {
  /** What git printed, redacted. */
  readonly output: string;
  constructor(command: string, output: string) {
    super(`git ${command} failed: ${output}`);
    this.name = 'GitCommandError';
    this.output = output;
  }
}

/** The bare-cache implementation of {@link GitPort}. */
export class CloneCache implements GitPort {
  /** Root of the cache. */
  readonly root: string;
  private readonly reposDir: string;
  private readonly workDir: string;
  private readonly log: Logger;
  private readonly idleTimeoutMs: number;
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Signing settings for commits; undefined = unsigned. */
  signing: SigningSetup | undefined;

  private constructor(opts: CloneCacheOptions) {
    this.root = resolve(opts.dir);
    this.reposDir = join(this.root, 'repos');
    this.workDir = join(this.root, 'work', String(process.pid));
    this.log = opts.log;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 120_000;
  }

  /** Opens (creating) the cache and removes what crashed writers left behind. */
  static async open(opts: CloneCacheOptions): Promise<CloneCache> {
    const cache = new CloneCache(opts);
    await cache.cleanStale();
    if (opts.signing) cache.signing = await prepareSigning(join(cache.root, 'signing'), opts.signing);
    return cache;
  }

  /** The bare cache directory of a repository. */
  cacheDirFor(repoURL: string): string {
    return join(this.reposDir, cacheNameFor(repoURL));
  }

  /**
   * The same cache, with every clone, fetch and push carrying the credentials `lookup` finds for the
   * repository (one Project's Secrets); an authentication failure says which Secret to apply or fix.
   */
  withCredentials(lookup: GitCredentialsLookup): GitPort {
    return {
      sync: async (repoURL, branches) => {
        const credentials = await lookup(repoURL);
        return await explainAuth(repoURL, credentials, () => this.sync(repoURL, branches, credentials));
      },
      findCommitWithTrailer: (repoURL, head, trailer, depth) =>
        this.findCommitWithTrailer(repoURL, head, trailer, depth),
      checkout: async (repoURL, commit, label) =>
        this.checkout(repoURL, commit, label, await lookup(repoURL)),
      checkoutEmpty: async (repoURL, label) => this.checkoutEmpty(repoURL, label, await lookup(repoURL)),
      resolveRevision: async (repoURL, rev) => {
        const credentials = await lookup(repoURL);
        return await explainAuth(repoURL, credentials, () => this.resolveRevision(repoURL, rev, credentials));
      },
      remoteTag: async (repoURL, tag) => {
        const credentials = await lookup(repoURL);
        return await explainAuth(repoURL, credentials, () => this.remoteTag(repoURL, tag, credentials));
      },
      pushTag: async (repoURL, tag, commit) => {
        const credentials = await lookup(repoURL);
        return await explainAuth(repoURL, credentials, () => this.pushTag(repoURL, tag, commit, credentials));
      },
    };
  }

  /** {@link GitPort.resolveRevision}; fetches the tag, or the commit (by id, else every branch), when missing. */
  async resolveRevision(
    repoURL: string,
    rev: { commit?: string; tag?: string },
    credentials?: GitCredentials,
  ): Promise<string> {
    const dir = this.cacheDirFor(repoURL);
    const env = gitCredentialEnv(credentials);
    const repo = redactURL(repoURL);
    return timedGit(GitOperations.fetch, { repo: repoURL, revision: rev.commit ?? rev.tag ?? '' }, () =>
      this.locked(dir, async () => {
        await this.ensureCache(repoURL, dir, env);
        const local = (spec: string) =>
          this.git(dir, ['rev-parse', '--verify', '--quiet', `${spec}^{commit}`]).then(
            (out) => out.trim() || undefined,
            () => undefined,
          );
        if (rev.tag !== undefined) {
          const problem = refNameProblem(rev.tag);
          if (problem) throw new RevisionNotFoundError(`tag name "${rev.tag}" ${problem}`);
          try {
            await this.remote(
              dir,
              ['fetch', '--no-tags', 'origin', `+refs/tags/${rev.tag}:refs/tags/${rev.tag}`],
              [],
              env,
            );
          } catch (err) {
            if (err instanceof RepoAccessError) throw err;
            if (!/couldn't find remote ref|no such remote ref|not our ref/i.test((err as Error).message))
              throw err;
            throw new RevisionNotFoundError(
              `tag "${rev.tag}" does not exist in ${repo}; check the git-clone step's checkout tag`,
            );
          }
          const sha = await local(`refs/tags/${rev.tag}`);
          if (!sha) throw new RevisionNotFoundError(`tag "${rev.tag}" of ${repo} does not point at a commit`);
          return sha;
        }
        const commit = rev.commit ?? '';
        if (!/^[0-9a-f]{4,64}$/i.test(commit)) {
          throw new RevisionNotFoundError(
            `"${commit}" is not a commit id (4 to 64 hex digits); check the git-clone step's checkout commit`,
          );
        }
        const have = await local(commit);
        if (have) return have;
        if (/^[0-9a-f]{40}$|^[0-9a-f]{64}$/i.test(commit)) {
          // Servers allow fetching a reachable commit by id (protocol v2); older ones refuse: then all branches.
          await this.remote(dir, ['fetch', '--no-tags', 'origin', commit], [], env).catch((err: unknown) => {
            if (err instanceof RepoAccessError) throw err;
          });
          const got = await local(commit);
          if (got) return got;
        }
        await this.remote(dir, ['fetch', '--no-tags', 'origin', '+refs/heads/*:refs/ferry/heads/*'], [], env);
        const found = await local(commit);
        if (found) return found;
        throw new RevisionNotFoundError(
          `commit ${commit} is not in any branch of ${repo}; check the git-clone step's checkout commit (or the Freight's commit)`,
        );
      }),
    );
  }

  /** {@link GitPort.remoteTag}. */
  async remoteTag(repoURL: string, tag: string, credentials?: GitCredentials): Promise<string | undefined> {
    const dir = this.cacheDirFor(repoURL);
    const env = gitCredentialEnv(credentials);
    return this.locked(dir, async () => {
      await this.ensureCache(repoURL, dir, env);
      const out = await this.remote(
        dir,
        ['ls-remote', 'origin', `refs/tags/${tag}`, `refs/tags/${tag}^{}`],
        [],
        env,
      );
      let plain: string | undefined;
      let peeled: string | undefined;
      for (const line of out.split('\n')) {
        const [sha, ref] = line.split('\t');
        if (ref === `refs/tags/${tag}`) plain = sha;
        else if (ref === `refs/tags/${tag}^{}`) peeled = sha;
      }
      return peeled ?? plain;
    });
  }

  /** {@link GitPort.pushTag}: pushes from the bare cache, which holds the commit. */
  async pushTag(repoURL: string, tag: string, commit: string, credentials?: GitCredentials): Promise<void> {
    const dir = this.cacheDirFor(repoURL);
    try {
      await timedGit(
        GitOperations.push,
        { repo: repoURL, branch: `refs/tags/${tag}`, revision: commit },
        () =>
          this.git(
            dir,
            ['push', '--no-verify', 'origin', `${commit}:refs/tags/${tag}`],
            [],
            gitCredentialEnv(credentials),
          ),
      );
    } catch (err) {
      const message = (err as Error).message;
      if (/\[rejected\]|already exists/i.test(message) && !/\[remote rejected\]/.test(message)) {
        throw new PushRejectedError(message);
      }
      throw classify(err as GitCommandError);
    }
  }

  /** {@link GitPort.checkoutEmpty}: a work tree at a parentless commit of the empty tree. */
  async checkoutEmpty(repoURL: string, label: string, credentials?: GitCredentials): Promise<WorkTree> {
    const dir = this.cacheDirFor(repoURL);
    const env = gitCredentialEnv(credentials);
    await this.locked(dir, () => this.ensureCache(repoURL, dir, env));
    // A placeholder the work tree can stand on; the first commit replaces it (no parent), it is never pushed.
    const identity = {
      GIT_AUTHOR_NAME: 'Ferry',
      GIT_AUTHOR_EMAIL: 'ferry@localhost',
      GIT_COMMITTER_NAME: 'Ferry',
      GIT_COMMITTER_EMAIL: 'ferry@localhost',
    };
    const empty = (
      await this.git(
        dir,
        ['commit-tree', EMPTY_TREE, '-m', 'empty orphan start'],
        ['commit.gpgsign=false'],
        identity,
      )
    ).trim();
    return this.checkout(repoURL, empty, label, credentials, true);
  }

  /** {@link GitPort.sync}; `credentials` go to git through its environment only (see `gitCredentialEnv`). */
  async sync(
    repoURL: string,
    branches: readonly string[],
    credentials?: GitCredentials,
  ): Promise<RemoteState> {
    const dir = this.cacheDirFor(repoURL);
    return timedGit(GitOperations.fetch, { repo: repoURL, branch: branches.join(',') }, () =>
      this.#sync(repoURL, dir, branches, gitCredentialEnv(credentials)),
    );
  }

  async #sync(
    repoURL: string,
    dir: string,
    branches: readonly string[],
    env: Record<string, string>,
  ): Promise<RemoteState> {
    return this.locked(dir, async () => {
      await this.ensureCache(repoURL, dir, env);
      const listed = await this.remote(
        dir,
        ['ls-remote', '--symref', 'origin', 'HEAD', ...branches.map((b) => `refs/heads/${b}`)],
        [],
        env,
      );
      const heads = new Map<string, string>();
      let defaultBranch: string | undefined;
      let headSha: string | undefined;
      for (const line of listed.split('\n')) {
        const [left, ref] = line.split('\t');
        if (!left || !ref) continue;
        if (left.startsWith('ref: ') && ref === 'HEAD')
          defaultBranch = left.slice(5).replace(/^refs\/heads\//, '');
        else if (ref === 'HEAD') headSha = left;
        // ls-remote patterns match ref tails; keep exact names only.
        else if (ref.startsWith('refs/heads/') && branches.includes(ref.slice(11)))
          heads.set(ref.slice(11), left);
      }
      if (defaultBranch && headSha && !heads.has(defaultBranch)) heads.set(defaultBranch, headSha);

      const local = await this.localRemoteRefs(dir);
      const stale = [...heads].filter(([b, sha]) => local.get(b) !== sha).map(([b]) => b);
      if (stale.length > 0) {
        await this.remote(
          dir,
          ['fetch', '--no-tags', 'origin', ...stale.map((b) => `+refs/heads/${b}:refs/remotes/origin/${b}`)],
          [],
          env,
        );
        // The branch may have moved between ls-remote and fetch; what was fetched is what we have.
        const fetched = await this.localRemoteRefs(dir);
        for (const b of stale) {
          const sha = fetched.get(b);
          if (sha) heads.set(b, sha);
        }
      }
      for (const b of branches) {
        if (!heads.has(b) && local.has(b))
          await this.git(dir, ['update-ref', '-d', `refs/remotes/origin/${b}`]);
      }
      return { heads, defaultBranch };
    });
  }

  async findCommitWithTrailer(
    repoURL: string,
    head: string,
    trailer: string,
    depth: number,
  ): Promise<string | undefined> {
    const out = await this.git(this.cacheDirFor(repoURL), [
      'log',
      `-n${depth}`,
      '--format=%H%x00%B%x1e',
      head,
    ]);
    for (const entry of out.split('\x1e')) {
      const [sha, body] = entry.replace(/^\n/, '').split('\0');
      if (sha && body?.split('\n').some((l) => l.trimEnd() === trailer)) return sha;
    }
    return undefined;
  }

  /** {@link GitPort.checkout}; the work tree pushes with `credentials` (through git's environment). */
  async checkout(
    repoURL: string,
    commit: string,
    label: string,
    credentials?: GitCredentials,
    orphan = false,
  ): Promise<WorkTree> {
    const dir = this.cacheDirFor(repoURL);
    await mkdir(this.workDir, { recursive: true });
    const name = `${label.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40)}-${randomBytes(4).toString('hex')}`;
    const path = join(this.workDir, name);
    await timedGit(GitOperations.worktree, { repo: repoURL, revision: commit }, () =>
      // Credentials too: a partial clone fetches the files' contents as the work tree is made.
      this.locked(dir, () =>
        this.remote(dir, ['worktree', 'add', '--detach', path, commit], [], gitCredentialEnv(credentials)),
      ),
    );
    return new GitWorkTree(this, dir, path, await realpath(path), repoURL, credentials, orphan);
  }

  /**
   * Runs a git command in `baseDir`; errors come back redacted. `env` adds to (and wins over)
   * this process's environment.
   */
  async git(
    baseDir: string,
    args: string[],
    config: string[] = [],
    env: Record<string, string> = {},
  ): Promise<string> {
    // The credential helper of `gitCredentialEnv` is ours, a constant that only prints git's own
    // environment; simple-git refuses GIT_CONFIG_* helpers unless told they are intended.
    const unsafe =
      env.GIT_CONFIG_COUNT === undefined
        ? {}
        : { unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeCredentialHelper: true } };
    const git = simpleGit({ baseDir, config, timeout: { block: this.idleTimeoutMs }, ...unsafe }).env({
      ...process.env,
      // Never wait for a password on a terminal; English messages, which errors are matched on.
      GIT_TERMINAL_PROMPT: '0',
      LC_ALL: 'C',
      LANG: 'C',
      ...env,
    });
    try {
      return await git.raw(args);
    } catch (err) {
      throw new GitCommandError(args[0] ?? '', redactText((err as Error).message).trim());
    }
  }

  /** Runs a command that talks to the remote; access problems become {@link RepoAccessError}. */
  async remote(
    baseDir: string,
    args: string[],
    config: string[] = [],
    env: Record<string, string> = {},
  ): Promise<string> {
    try {
      return await this.git(baseDir, args, config, env);
    } catch (err) {
      throw classify(err as GitCommandError);
    }
  }

  /** Serialises mutations of one cache in this process. */
  async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  private async ensureCache(repoURL: string, dir: string, env: Record<string, string>): Promise<void> {
    if (await exists(join(dir, 'HEAD'))) {
      // The same repository may come with other (rotated) credentials; the cache follows.
      const current = (await this.git(dir, ['config', '--get', 'remote.origin.url']).catch(() => '')).trim();
      if (current !== repoURL) await this.git(dir, ['remote', 'set-url', 'origin', repoURL]);
      return;
    }
    await mkdir(this.reposDir, { recursive: true });
    await rm(dir, { recursive: true, force: true });
    // Clone beside the final place and rename, so a crash never leaves a half cache behind.
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const log = this.log.child({ repo: redactURL(repoURL) });
    try {
      try {
        await this.remote(
          this.reposDir,
          ['clone', '--bare', '--no-tags', '--filter=blob:none', '--', repoURL, tmp],
          [],
          env,
        );
      } catch (err) {
        if (err instanceof RepoAccessError) throw err;
        log.warn({ err }, 'partial clone failed; cloning in full');
        await rm(tmp, { recursive: true, force: true });
        await this.remote(this.reposDir, ['clone', '--bare', '--no-tags', '--', repoURL, tmp], [], env);
      }
      await rename(tmp, dir);
      log.info({ dir }, 'cloned repository into the cache');
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  private async localRemoteRefs(dir: string): Promise<Map<string, string>> {
    const out = await this.git(dir, [
      'for-each-ref',
      '--format=%(objectname) %(refname)',
      'refs/remotes/origin/',
    ]);
    const refs = new Map<string, string>();
    for (const line of out.split('\n')) {
      const [sha, ref] = line.split(' ');
      if (sha && ref) refs.set(ref.slice('refs/remotes/origin/'.length), sha);
    }
    return refs;
  }

  /** Records a pushed commit as the remote branch's head, so the next sync need not fetch it. */
  async notePushed(dir: string, branch: string, commit: string): Promise<void> {
    await this.locked(dir, () => this.git(dir, ['update-ref', `refs/remotes/origin/${branch}`, commit]));
  }

  /** Removes a work tree (and its entry in the cache). */
  async removeWorkTree(dir: string, path: string): Promise<void> {
    await this.locked(dir, async () => {
      try {
        await this.git(dir, ['worktree', 'remove', '--force', path]);
      } catch (err) {
        this.log.warn({ err, path }, 'worktree remove failed; deleting the directory');
        await rm(path, { recursive: true, force: true });
        await this.git(dir, ['worktree', 'prune']).catch(() => '');
      }
    });
  }

  private async cleanStale(): Promise<void> {
    await mkdir(this.reposDir, { recursive: true });
    const workRoot = join(this.root, 'work');
    await mkdir(workRoot, { recursive: true });
    for (const entry of await readdir(workRoot)) {
      const pid = Number(entry);
      // Our own pid's directory is stale too: a restarted container may reuse the pid.
      if (!Number.isInteger(pid) || pid === process.pid || !alive(pid)) {
        await rm(join(workRoot, entry), { recursive: true, force: true });
        this.log.info({ dir: join(workRoot, entry) }, 'removed stale work trees');
      }
    }
    for (const entry of await readdir(this.reposDir)) {
      const dir = join(this.reposDir, entry);
      if (entry.includes('.tmp-')) await rm(dir, { recursive: true, force: true });
      else
        await this.git(dir, ['worktree', 'prune']).catch((err: unknown) =>
          this.log.warn({ err, dir }, 'worktree prune failed'),
        );
    }
  }
}

/** A temporary work tree of a cache, detached at one commit. */
class GitWorkTree implements WorkTree {
  private readonly cache: CloneCache;
  private readonly cacheDir: string;
  private readonly path: string;
  private readonly realRoot: string;

  private readonly repoURL: string;
  private readonly credentials: GitCredentials | undefined;
  /** True until the first commit of a new orphan branch: that commit gets no parent. */
  private orphan: boolean;

  constructor(
    cache: CloneCache,
    cacheDir: string,
    path: string,
    realRoot: string,
    repoURL: string,
    credentials?: GitCredentials,
    orphan = false,
  ) {
    this.orphan = orphan;
    this.repoURL = repoURL;
    this.credentials = credentials;
    this.cache = cache;
    this.cacheDir = cacheDir;
    this.path = path;
    this.realRoot = realRoot;
  }

  /** The real path of a repository-relative path, refusing any that leaves the work tree. */
  private async resolve(rel: string): Promise<string | undefined> {
    let real: string;
    try {
      real = await realpath(join(this.path, rel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      // A missing file's directory may still lead outside; that is the error to report.
      const parent = posix.dirname(rel);
      if (parent !== '.' && parent !== rel) await this.resolve(parent);
      return undefined;
    }
    if (real !== this.realRoot && !real.startsWith(this.realRoot + sep)) {
      throw new EditPathError(
        `"${rel}" resolves outside the repository through a symlink; edit a path inside the repository`,
      );
    }
    if (relative(this.realRoot, real).split(sep).includes('.git')) {
      throw new EditPathError(`"${rel}" resolves into git's own data; edit a path inside the repository`);
    }
    return real;
  }

  async readFile(rel: string): Promise<string | undefined> {
    const real = await this.resolve(rel);
    if (!real || !(await stat(real)).isFile()) return undefined;
    return readFile(real, 'utf8');
  }

  /** The real path of a path that may not exist yet (its nearest existing parent is checked). */
  private async target(rel: string): Promise<string> {
    const real = await this.resolve(rel);
    if (real) return real;
    const parent = posix.dirname(rel);
    const base = parent === '.' || parent === rel ? this.realRoot : await this.target(parent);
    return join(base, posix.basename(rel));
  }

  async writeFile(rel: string, text: string): Promise<void> {
    const real = await this.target(rel);
    await mkdir(dirname(real), { recursive: true });
    await writeFile(real, text, 'utf8');
  }

  async kind(rel: string): Promise<'file' | 'dir' | undefined> {
    const real = await this.resolve(rel);
    if (!real) return undefined;
    const s = await stat(real);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  }

  async list(rel: string): Promise<string[]> {
    const real = await this.resolve(rel);
    if (!real || !(await stat(real)).isDirectory()) return [];
    return (await readdir(real)).filter((n) => n !== '.git').sort();
  }

  async remove(rel: string): Promise<void> {
    // The link itself is removed, never what it points at; its parent must still be inside.
    const parent = posix.dirname(rel);
    const base = parent === '.' || parent === rel ? this.realRoot : await this.resolve(parent);
    if (!base) return;
    const path = join(base, posix.basename(rel));
    const st = await lstat(path).catch(() => undefined);
    if (st) await rm(path, { recursive: true, force: true });
  }

  async copy(from: string, to: string, source?: WorkTree): Promise<void> {
    if (source !== undefined && !(source instanceof GitWorkTree))
      throw new Error('copy: the source work tree is not a git work tree');
    const src = await (source ?? this).resolve(from);
    if (!src) throw new EditPathError(`"${from}" does not exist`);
    const dst = await this.target(to);
    await rm(dst, { recursive: true, force: true });
    await mkdir(dirname(dst), { recursive: true });
    // Links are copied as links; git stores them as links, so nothing outside is read.
    await cp(src, dst, { recursive: true, verbatimSymlinks: true });
  }

  async diff(): Promise<string> {
    // Staged, so new files show as well; the index of a throwaway work tree is nobody else's.
    await this.cache.git(this.path, ['add', '--all', '--', '.']);
    return this.cache.git(this.path, ['diff', '--cached', '--no-color', '--no-ext-diff', '--find-renames']);
  }

  async commit(message: string, author: Author): Promise<string> {
    return timedGit(GitOperations.commit, { repo: this.repoURL }, () => this.#commit(message, author));
  }

  async #commit(message: string, author: Author): Promise<string> {
    // A fresh work tree at one commit: every change in it is the edits' own.
    await this.cache.git(this.path, ['add', '--all', '--', '.']);
    // gc runs from fetch, under the cache lock; never from a commit beside other writers.
    const signing = this.cache.signing;
    const config = [...(signing?.config ?? ['commit.gpgsign=false']), 'gc.auto=0'];
    // The identity goes in the environment, which beats any GIT_AUTHOR_* the process inherited.
    const identity = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
      ...signing?.env,
    };
    if (this.orphan) {
      // The first commit of a new orphan branch: the tree as it is, no parent.
      const tree = (await this.cache.git(this.path, ['write-tree'])).trim();
      const sign = signing ? ['-S'] : [];
      const sha = (
        await this.cache.git(this.path, ['commit-tree', ...sign, tree, '-m', message], config, identity)
      ).trim();
      await this.cache.git(this.path, ['update-ref', '--no-deref', 'HEAD', sha]);
      this.orphan = false;
      return sha;
    }
    await this.cache.git(this.path, ['commit', '--no-verify', '--quiet', '-m', message], config, identity);
    return (await this.cache.git(this.path, ['rev-parse', 'HEAD'])).trim();
  }

  async push(commit: string, branch: string, force = false): Promise<void> {
    try {
      await timedGit(GitOperations.push, { repo: this.repoURL, branch, revision: commit }, () =>
        this.cache.git(
          this.path,
          ['push', '--no-verify', 'origin', `${force ? '+' : ''}${commit}:refs/heads/${branch}`],
          [],
          gitCredentialEnv(this.credentials),
        ),
      );
    } catch (err) {
      const message = (err as Error).message;
      if (PUSH_REJECTED.some((re) => re.test(message)) && !/\[remote rejected\]/.test(message)) {
        gitPushRejections.inc();
        throw new PushRejectedError(message);
      }
      const classified = classify(err as GitCommandError);
      if (classified instanceof RepoAccessError && isGitAuthFailure(classified.message)) {
        throw new RepoAccessError(
          `${classified.message}; ${authAdvice(redactURL(this.repoURL), this.credentials)}`,
        );
      }
      throw classified;
    }
    await this.cache.notePushed(this.cacheDir, branch, commit);
  }

  async dispose(): Promise<void> {
    await this.cache.removeWorkTree(this.cacheDir, this.path);
  }
}

/** Where a git operation works, for its span. */
interface GitSpanTarget {
  /** The repository URL; credentials are redacted before it goes on the span. */
  repo: string;
  branch?: string;
  revision?: string;
}

/**
 * Runs one git operation in a CLIENT span `git <operation>` (repository redacted, branch, revision),
 * timing it in `ferry_git_operation_duration_seconds` (failures included).
 */
function timedGit<T>(operation: GitOperation, target: GitSpanTarget, fn: () => Promise<T>): Promise<T> {
  const attributes: Record<string, string> = {
    'git.operation': operation,
    'ferry.repository': redactURL(target.repo),
  };
  if (target.branch !== undefined) attributes['ferry.branch'] = target.branch;
  if (target.revision !== undefined) attributes['ferry.revision'] = target.revision;
  return withSpan(`git ${operation}`, { attributes, kind: Kinds.client }, () => {
    const end = gitOperationDuration.startTimer({ operation });
    return fn().finally(end);
  });
}

/** Runs `fn`; an authentication failure gains advice on which Secret to apply or fix. */
async function explainAuth<T>(
  repoURL: string,
  credentials: GitCredentials | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RepoAccessError && isGitAuthFailure(err.message)) {
      throw new RepoAccessError(`${err.message}; ${authAdvice(redactURL(repoURL), credentials)}`, {
        cause: err,
      });
    }
    throw err;
  }
}

/** Turns git's "no such repository / not for you" into a permanent error; others stay transient. */
function classify(err: GitCommandError): Error {
  if (!ACCESS_DENIED.some((re) => re.test(err.message))) return err;
  const reason = err.output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(fatal|error|remote|!):?/i.test(l) || /rejected/.test(l))
    .map((l) => l.replace(/^(fatal|error):\s*/i, ''))
    .join('; ');
  return new RepoAccessError(reason || err.output);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why a tag or branch name cannot be used in a refspec, or undefined (a subset of check-ref-format). */
function refNameProblem(name: string): string | undefined {
  if (name === '' || name.startsWith('-')) return 'is empty or starts with "-"';
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(name) || name.includes('..') || name.includes('@{'))
    return 'contains a character git does not allow in ref names';
  return undefined;
}

const execFileText = (cmd: string, args: string[], env: Record<string, string>): Promise<string> =>
  new Promise((resolveRun, reject) => {
    execFile(cmd, args, { env: { ...process.env, ...env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args[0] ?? ''} failed: ${String(stderr).trim() || err.message}`));
      else resolveRun(String(stdout));
    });
  });

/**
 * Loads the signing key into a directory of the cache's own: an SSH key is copied with mode 0600
 * (ssh-keygen refuses readable keys); a GPG key is imported into a private GNUPGHOME. The result
 * goes on each commit as `-c` settings and environment, so no global git or gpg config is touched.
 */
async function prepareSigning(dir: string, opts: SigningOptions): Promise<SigningSetup> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const where = `FERRY_GIT_SIGNING_KEY_PATH (${opts.keyPath})`;
  if (opts.type === 'ssh') {
    const key = join(dir, 'ssh-signing-key');
    await copyFile(opts.keyPath, key).catch((err: unknown) => {
      throw new SigningKeyError(
        `cannot read ${where}: ${(err as Error).message}; mount the SSH private key there`,
      );
    });
    await chmod(key, 0o600);
    await execFileText('ssh-keygen', ['-y', '-P', '', '-f', key], {}).catch((err: unknown) => {
      throw new SigningKeyError(
        `${where} is not an SSH private key without a passphrase (${(err as Error).message}); give one made by ssh-keygen -N ''`,
      );
    });
    return {
      config: ['gpg.format=ssh', `user.signingkey=${key}`, 'commit.gpgsign=true'],
      env: {},
    };
  }
  const home = join(dir, 'gnupg');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const env = { GNUPGHOME: home };
  await execFileText('gpg', ['--batch', '--import', opts.keyPath], env).catch((err: unknown) => {
    throw new SigningKeyError(
      `cannot import ${where} into gpg: ${(err as Error).message}; give an armored private key without a passphrase (gpg --armor --export-secret-keys)`,
    );
  });
  const listed = await execFileText('gpg', ['--batch', '--with-colons', '--list-secret-keys'], env);
  const lines = listed.split('\n');
  const sec = lines.findIndex((l) => l.startsWith('sec:'));
  const fpr = lines
    .slice(sec + 1)
    .find((l) => l.startsWith('fpr:'))
    ?.split(':')[9];
  if (sec < 0 || !fpr)
    throw new SigningKeyError(
      `${where} holds no GPG private key; export one with gpg --armor --export-secret-keys`,
    );
  return {
    config: ['gpg.format=openpgp', `user.signingkey=${fpr}`, 'commit.gpgsign=true'],
    env,
  };
}
