import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiscoveredCommit, FreightCommit, GitSubscription } from '@ferry/contracts';
import {
  type GitCredentials,
  type GitCredentialsLookup,
  gitCredentialEnv,
  isGitAuthFailure,
} from '@ferry/git-credentials';
import {
  type CommitCandidate,
  normalizeGit,
  selectBranchCommits,
  selectGitTags,
  type TagCandidate,
} from '@ferry/kargo';

/** Stable codes of git discovery errors. */
export const GitDiscoveryErrorCodes = {
  command: 'FERRY_ERR_GIT_COMMAND',
  noBranch: 'FERRY_ERR_GIT_NO_BRANCH',
  /** The repository asked for credentials and none matched, or it refused the ones that did. */
  auth: 'FERRY_ERR_GIT_AUTH',
} as const;

/** A git discovery failure with a stable code. */
export class GitDiscoveryError extends Error {
  /** One of {@link GitDiscoveryErrorCodes}. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'GitDiscoveryError';
    this.code = code;
  }
}

/**
 * Runs git with `args` (in `cwd` when given, with `env` added to its environment) and resolves with its
 * stdout; rejects on a non-zero exit.
 */
export type { GitCredentials, GitCredentialsLookup };

export type GitRunner = (
  args: readonly string[],
  cwd?: string,
  env?: Readonly<Record<string, string>>,
) => Promise<string>;

/** The real git CLI, never prompting for credentials; `onCommand` sees each subcommand (for tests, metrics). */
export function gitCli(onCommand?: (args: readonly string[]) => void): GitRunner {
  return (args, cwd, env) =>
    new Promise((resolve, reject) => {
      onCommand?.(args);
      const child = spawn('git', args, {
        ...(cwd ? { cwd } : {}),
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
        const verb = args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? 'git';
        const detail = Buffer.concat(err).toString('utf8').trim().split('\n').at(-1) ?? '';
        reject(
          new GitDiscoveryError(
            GitDiscoveryErrorCodes.command,
            `git ${verb} failed (exit ${code}): ${detail}`,
          ),
        );
      });
    });
}

/** What the last discovery of one git subscription found, kept to skip work when no ref moved. */
export interface GitMemo {
  /** SHA-256 of the `git ls-remote` answer it was computed from. */
  refsHash: string;
  /** The candidates it found, best first. */
  commits: DiscoveredCommit[];
}

/** Memory between git discoveries (Redis in the service, a Map in tests), keyed per subscription. */
export interface GitMemoCache {
  get(key: string): Promise<GitMemo | undefined>;
  put(key: string, memo: GitMemo): Promise<void>;
}

/** An in-process {@link GitMemoCache}. */
export function memoryGitMemo(): GitMemoCache {
  const m = new Map<string, GitMemo>();
  return { get: async (k) => m.get(k), put: async (k, v) => void m.set(k, v) };
}

/** What a discovery of one git subscription may use besides the subscription: its Project's credentials. */
export interface GitDiscoveryContext {
  /** Credentials for the repository; anonymous when absent or when it finds none. */
  credentials?: GitCredentialsLookup;
}

/** Discovers one git subscription's candidates, best first. */
export type GitDiscoverer = (sub: GitSubscription, ctx?: GitDiscoveryContext) => Promise<DiscoveredCommit[]>;

/** Options of {@link gitDiscoverer}. */
export interface GitDiscovererOptions {
  /** Directory holding one bare clone per repository URL. */
  cacheDir: string;
  /** Memory of the last discovery per subscription. */
  memo: GitMemoCache;
  /** Runs git; the real CLI when absent. */
  git?: GitRunner;
}

/** Commits read from a branch when paths filter them: enough history without reading all of it. */
const BRANCH_SCAN = 1000;
const US = '\x1f';
const RS = '\x1e';

/**
 * Git discovery as the issue asks: a `git ls-remote` first, and nothing more when its answer equals the
 * last one; otherwise a fetch into ONE bare clone per repository URL (partial, `--filter=blob:none`: path
 * filters need trees, never file contents), shared by every Warehouse, then Kargo's selection.
 */
export function gitDiscoverer(opts: GitDiscovererOptions): GitDiscoverer {
  const git = opts.git ?? gitCli();
  // One fetch at a time per clone: two Warehouses of one repository would otherwise race on its refs.
  const locks = new Map<string, Promise<unknown>>();
  const locked = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const run = (locks.get(key) ?? Promise.resolve()).then(fn, fn);
    locks.set(
      key,
      run.catch(() => {}),
    );
    return run;
  };
  return async (sub, ctx = {}) => {
    const tls = sub.insecureSkipTLSVerify ? ['-c', 'http.sslVerify=false'] : [];
    const byTag = sub.commitSelectionStrategy !== 'NewestFromBranch';
    const credentials = await ctx.credentials?.(sub.repoURL);
    const env = gitCredentialEnv(credentials);
    const remote = (args: string[], cwd?: string) =>
      git(args, cwd, env).catch((err: unknown) => {
        throw authError(err, sub.repoURL, credentials);
      });
    const refs = await remote([
      ...tls,
      'ls-remote',
      ...(byTag
        ? ['--tags', sub.repoURL]
        : ['--symref', sub.repoURL, 'HEAD', ...(sub.branch ? [`refs/heads/${sub.branch}`] : [])]),
    ]);
    const refsHash = createHash('sha256').update(refs).digest('hex');
    const key = createHash('sha256').update(JSON.stringify(sub)).digest('hex');
    const memo = await opts.memo.get(key);
    if (memo?.refsHash === refsHash) return memo.commits;
    const branch = byTag ? undefined : (sub.branch ?? /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(refs)?.[1]);
    if (
      !byTag &&
      (branch === undefined || (!refs.includes(`\trefs/heads/${branch}`) && sub.branch !== undefined))
    ) {
      throw new GitDiscoveryError(
        GitDiscoveryErrorCodes.noBranch,
        sub.branch
          ? `the repository has no branch ${sub.branch}; push it or change the subscription's branch`
          : "the repository's HEAD names no branch; set the subscription's branch",
      );
    }
    const dir = join(
      opts.cacheDir,
      createHash('sha256').update(normalizeGit(sub.repoURL)).digest('hex').slice(0, 32),
    );
    const commits = await locked(dir, async () => {
      await fetchInto(git, dir, sub.repoURL, tls, remote);
      return byTag ? await tagCommits(git, dir, sub) : await branchCommits(git, dir, sub, branch!);
    });
    await opts.memo.put(key, { refsHash, commits });
    return commits;
  };
}

/**
 * Turns git's "authentication failed" into an error that says what to do: apply a credentials Secret, or
 * fix the one that was used. Other errors pass unchanged.
 */
function authError(err: unknown, repoURL: string, credentials: GitCredentials | undefined): unknown {
  if (!(err instanceof Error) || !isGitAuthFailure(err.message)) return err;
  return new GitDiscoveryError(
    GitDiscoveryErrorCodes.auth,
    credentials
      ? `${repoURL} refused the credentials of ${credentials.secret ? `Secret "${credentials.secret}"` : 'the subscription'}; check its username and password (or token) and that they may read the repository`
      : `${repoURL} asks for credentials and none matched; apply a Secret labelled kargo.akuity.io/cred-type: git with repoURL ${repoURL}`,
  );
}

async function fetchInto(
  git: GitRunner,
  dir: string,
  url: string,
  tls: string[],
  remote: (args: string[], cwd?: string) => Promise<string>,
): Promise<void> {
  const exists = await access(join(dir, 'HEAD')).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await mkdir(dir, { recursive: true });
    await git(['init', '--bare', '--quiet'], dir);
  }
  await remote(
    [
      ...tls,
      'fetch',
      '--quiet',
      '--force',
      '--prune',
      '--filter=blob:none',
      url,
      '+refs/heads/*:refs/heads/*',
      '+refs/tags/*:refs/tags/*',
    ],
    dir,
  );
}

async function branchCommits(
  git: GitRunner,
  dir: string,
  sub: GitSubscription,
  branch: string,
): Promise<DiscoveredCommit[]> {
  const filtering = sub.includePaths.length > 0 || sub.excludePaths.length > 0;
  const out = await git(
    [
      'log',
      `--max-count=${filtering ? BRANCH_SCAN : sub.discoveryLimit}`,
      `--format=${RS}%H${US}%an <%ae>${US}%cI${US}%s`,
      ...(filtering ? ['--name-only', '--no-renames', '--diff-merges=first-parent'] : []),
      `refs/heads/${branch}`,
      '--',
    ],
    dir,
  );
  const info = new Map<string, DiscoveredCommit>();
  const candidates: CommitCandidate[] = [];
  for (const record of out.split(RS).slice(1)) {
    const [head = '', ...files] = record.split('\n');
    const [id = '', author = '', date = '', subject = ''] = head.split(US);
    info.set(id, { id, branch, subject, author, creatorDate: date });
    candidates.push({ id, paths: files.filter(Boolean) });
  }
  return selectBranchCommits(candidates, sub).map((c) => info.get(c.id)!);
}

async function tagCommits(git: GitRunner, dir: string, sub: GitSubscription): Promise<DiscoveredCommit[]> {
  const format = [
    '%(refname:strip=2)',
    '%(objectname)',
    '%(*objectname)',
    '%(objecttype)',
    '%(*objecttype)',
    '%(creatordate:iso-strict)',
    '%(subject)',
    '%(*subject)',
    '%(authorname) %(authoremail)',
    '%(*authorname) %(*authoremail)',
  ].join('%1f');
  const out = await git(['for-each-ref', `--format=${format}`, 'refs/tags'], dir);
  const info = new Map<string, DiscoveredCommit>();
  const tags: TagCandidate[] = [];
  for (const line of out.split('\n').filter(Boolean)) {
    const [
      tag = '',
      obj = '',
      peeled = '',
      type = '',
      peeledType = '',
      date = '',
      subject = '',
      pSubject = '',
      author = '',
      pAuthor = '',
    ] = line.split(US);
    const annotated = type === 'tag';
    // A tag of a tree or blob names no commit; Kargo skips it too.
    if ((annotated ? peeledType : type) !== 'commit') continue;
    const id = annotated ? peeled : obj;
    info.set(tag, {
      id,
      tag,
      subject: annotated ? pSubject : subject,
      author: (annotated ? pAuthor : author).trim(),
      creatorDate: date,
    });
    tags.push({ tag, id, creatorDate: date });
  }
  if (sub.includePaths.length > 0 || sub.excludePaths.length > 0) {
    for (const t of tags) {
      const files = await git(['diff-tree', '--no-commit-id', '--name-only', '-r', '--root', t.id], dir);
      t.paths = files.split('\n').filter(Boolean);
    }
  }
  return selectGitTags(tags, sub).map((t) => info.get(t.tag)!);
}

/** The Freight part of a discovered commit (what FreightDiscovered carries and the Freight id covers). */
export function freightCommit(repoURL: string, c: DiscoveredCommit): FreightCommit {
  return {
    repoURL,
    id: c.id,
    ...(c.tag ? { tag: c.tag } : {}),
    ...(c.branch ? { branch: c.branch } : {}),
    ...(c.subject ? { message: c.subject } : {}),
    ...(c.author ? { author: c.author } : {}),
  };
}
