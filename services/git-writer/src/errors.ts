/**
 * Errors of git-writer. Two families matter to the handler: permanent ones (retrying cannot
 * help; the write is recorded `Failed` and the fact published) and everything else, which is
 * thrown so JetStream delivers the command again later.
 */

/** Base of the errors that end a write as `Failed`: the message is shown to users as is. */
export class WriteFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WriteFailedError';
  }
}

/** The repository does not exist or refuses Ferry's credentials (read or push). */
export class RepoAccessError extends WriteFailedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RepoAccessError';
  }
}

/** An edit's path is not a plain path inside the repository, or its file is missing or unusable. */
export class EditPathError extends WriteFailedError {
  constructor(message: string) {
    super(message);
    this.name = 'EditPathError';
  }
}

/** A commit or tag a checkout names is not in the repository (a Freight's commit, a tag). */
export class RevisionNotFoundError extends WriteFailedError {
  constructor(message: string) {
    super(message);
    this.name = 'RevisionNotFoundError';
  }
}

/** The remote branch moved since the cache fetched it (non-fast-forward); fetch and redo. */
export class PushRejectedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PushRejectedError';
  }
}

/** Another writer holds the branch's lease for longer than this handler may wait; retried later. */
export class LeaseBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseBusyError';
  }
}

/** The lease was lost (expired and taken by another writer) before the push; retried later. */
export class LeaseLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}
