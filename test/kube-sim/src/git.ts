import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A git command that failed for a reason other than "no such revision or path"; the message has git's stderr. */
export class GitError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GitError';
  }
}

/**
 * Bare mirror clones of source repos under one directory, one per repo URL, fetched before every use
 * as Argo CD's repo server does. Runs the `git` CLI with no user or system config and no prompts.
 */
export class GitCache {
  readonly #dir: string;
  readonly #timeoutMs: number;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(dir: string, timeoutMs = 60_000) {
    this.#dir = dir;
    this.#timeoutMs = timeoutMs;
  }

  #git(args: readonly string[], cwd?: string): Promise<string> {
    const env = {
      PATH: process.env.PATH,
      HOME: this.#dir,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
    };
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        [...args],
        { cwd, env, timeout: this.#timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (err) reject(new GitError(stderr.trim() || err.message, { cause: err }));
          else resolve(stdout);
        },
      );
    });
  }

  /** Serialises work per repo so two syncs never run git in the same clone at once. */
  async #locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.#locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.#locks.get(key) === next) this.#locks.delete(key);
    }
  }

  /** Clones `repoURL` on first use, fetches it afterwards; resolves with the bare clone's directory. */
  async fetch(repoURL: string): Promise<string> {
    const clone = join(this.#dir, createHash('sha256').update(repoURL).digest('hex').slice(0, 16));
    return await this.#locked(clone, async () => {
      const exists = await access(clone).then(
        () => true,
        () => false,
      );
      if (exists) {
        await this.#git(['fetch', '--prune', '--force', '--quiet', 'origin'], clone);
        return clone;
      }
      await mkdir(this.#dir, { recursive: true });
      try {
        await this.#git(['clone', '--mirror', '--quiet', '--', repoURL, clone]);
      } catch (err) {
        await rm(clone, { recursive: true, force: true });
        throw err;
      }
      return clone;
    });
  }

  /**
   * The full commit sha `revision` names in a fetched clone: `HEAD`, a branch, a tag (peeled), a
   * `refs/...` name, or a full or abbreviated commit sha; undefined when it names nothing.
   */
  async resolve(clone: string, revision: string): Promise<string | undefined> {
    const rev = revision.trim() === '' ? 'HEAD' : revision.trim();
    // Only ref names and shas, never rev-parse expressions such as main~1 or options such as --all.
    if (rev.startsWith('-') || /\s|\.\.|[~^:\\]|@\{/.test(rev)) return undefined;
    const candidates =
      rev === 'HEAD' || rev.startsWith('refs/') ? [rev] : [`refs/heads/${rev}`, `refs/tags/${rev}`];
    if (/^[0-9a-f]{4,40}$/i.test(rev)) candidates.push(rev);
    for (const candidate of candidates) {
      try {
        const out = await this.#git(
          ['rev-parse', '--verify', '--quiet', '--end-of-options', `${candidate}^{commit}`],
          clone,
        );
        return out.trim();
      } catch {
        // Not this candidate; try the next.
      }
    }
    return undefined;
  }

  /** `tree`, `blob`, or undefined when `path` (relative, '' for the root) does not exist at `sha`. */
  async typeOf(clone: string, sha: string, path: string): Promise<'tree' | 'blob' | undefined> {
    try {
      const type = (await this.#git(['cat-file', '-t', `${sha}:${path}`], clone)).trim();
      return type === 'tree' || type === 'blob' ? type : undefined;
    } catch {
      return undefined;
    }
  }

  /** The text of the file at `path` in commit `sha`, or undefined when there is no such file. */
  async readFile(clone: string, sha: string, path: string): Promise<string | undefined> {
    if ((await this.typeOf(clone, sha, path)) !== 'blob') return undefined;
    return await this.#git(['cat-file', 'blob', `${sha}:${path}`], clone);
  }
}
