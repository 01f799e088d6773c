/**
 * The ports the write procedure needs. `clone-cache.ts` implements the git ones with the git
 * CLI; tests may hand in fakes.
 */
import type { Store } from '@ferry/store';

/** Branch heads of a remote, as of the last sync. */
export interface RemoteState {
  /** The sha of each asked-for branch that exists on the remote (absent = no such branch). */
  heads: ReadonlyMap<string, string>;
  /** The remote's default branch (what its HEAD points at); undefined for an empty repository. */
  defaultBranch: string | undefined;
}

/** A commit author. */
export interface Author {
  name: string;
  email: string;
}

/** A repository's local cache, kept across writes. */
export interface GitPort {
  /**
   * Brings the cache of `repoURL` up to date for `branches` and the default branch, cloning it
   * the first time. Throws `RepoAccessError` when the repository is missing or refuses access;
   * other errors are transient.
   */
  sync(repoURL: string, branches: readonly string[]): Promise<RemoteState>;
  /**
   * The newest of the last `depth` commits reachable from `head` whose message has a line equal
   * to `trailer`, or undefined.
   */
  findCommitWithTrailer(
    repoURL: string,
    head: string,
    trailer: string,
    depth: number,
  ): Promise<string | undefined>;
  /** Makes a temporary work tree of the cache at `commit`; `label` names it for people. */
  checkout(repoURL: string, commit: string, label: string): Promise<WorkTree>;
  /**
   * Makes a temporary work tree with no files and no history, for a new orphan branch: its first
   * commit has no parent.
   */
  checkoutEmpty(repoURL: string, label: string): Promise<WorkTree>;
  /**
   * The full sha of a commit (`commit`, full or abbreviated) or of what a tag points at (`tag`),
   * fetched into the cache when missing. Throws `RevisionNotFoundError` when the remote has neither,
   * `RepoAccessError` when the repository is missing or refuses access.
   */
  resolveRevision(repoURL: string, rev: { commit?: string; tag?: string }): Promise<string>;
  /** The commit a tag of the remote points at (peeled), or undefined when there is no such tag. */
  remoteTag(repoURL: string, tag: string): Promise<string | undefined>;
  /**
   * Creates the tag on the remote at `commit` (a lightweight tag; never moves an existing one).
   * Throws `PushRejectedError` when the tag exists already.
   */
  pushTag(repoURL: string, tag: string, commit: string): Promise<void>;
}

/** A temporary work tree; always `dispose()` it. */
export interface WorkTree {
  /**
   * A file's text by repository-relative path; undefined when there is no such file. Throws
   * `EditPathError` when the path resolves outside the work tree (through a symlink).
   */
  readFile(path: string): Promise<string | undefined>;
  /** Writes a file's text, making the file and its missing directories when needed. */
  writeFile(path: string, text: string): Promise<void>;
  /** What is at a path: a file, a directory, or nothing (undefined). */
  kind(path: string): Promise<'file' | 'dir' | undefined>;
  /** The names in a directory (`.git` left out), sorted; empty when it is missing. */
  list(dir: string): Promise<string[]>;
  /** Removes a file or a directory with everything in it; a missing path is no error. */
  remove(path: string): Promise<void>;
  /**
   * Copies a file or a directory tree to `to`, replacing what is there. With `source`, `from` is a
   * path of that other work tree (a read-only checkout), checked against its own root.
   */
  copy(from: string, to: string, source?: WorkTree): Promise<void>;
  /** A unified diff of every change in the work tree against the checked-out commit ('' for none). */
  diff(): Promise<string>;
  /** Commits every change in the work tree on top of the checked-out commit; returns the new sha. */
  commit(message: string, author: Author): Promise<string>;
  /**
   * Points the remote `branch` at `commit` (creating the branch when missing). Throws
   * `PushRejectedError` when the branch moved on the remote, `RepoAccessError` when the remote
   * refuses the push for good. `force` overwrites the branch whatever it points at.
   */
  push(commit: string, branch: string, force?: boolean): Promise<void>;
  /** Removes the work tree. */
  dispose(): Promise<void>;
}

/** The part of the store git-writer uses: write records and leases. */
export type WriteStore = Pick<
  Store,
  'getGitWrite' | 'putGitWrite' | 'acquireLease' | 'renewLease' | 'releaseLease' | 'currentFence'
>;
