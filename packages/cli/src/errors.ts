/**
 * The CLI's error classes. Each maps to an exit code in `run`: a UsageError to 2 (the usage text
 * follows it), an ApiError or an UnreachableError to 1.
 */

/** One problem the API found in the input, as `details.problems[]` carries it. */
export interface ApiProblem {
  /** Path of the offending field, e.g. `/spec/subscriptions/0/image/repoURL`; empty for the root. */
  path: string;
  /** What is wrong, in words a user can act on. */
  message: string;
}

/** The body of every error answer of the Ferry API. */
export interface ApiErrorBody {
  /** The HTTP status, repeated. */
  statusCode: number;
  /** The stable code, e.g. `FERRY_ERR_STAGE_NOT_FOUND`; a newer server may send codes this CLI does not know. */
  code: string;
  /** The HTTP reason phrase, e.g. `Not Found`. */
  error: string;
  /** What went wrong, in words. */
  message: string;
  /** Structured details; `problems` lists every validation problem. */
  details?: { problems?: ApiProblem[] } & Record<string, unknown>;
}

/** The command line is wrong: a missing argument, an unknown option. Exit code 2. */
export class UsageError extends Error {
  /** The usage text of the command that was misused, printed after the message. */
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

/** The API answered with an error status. Exit code 1. */
export class ApiError extends Error {
  /** The HTTP status of the answer. */
  readonly status: number;
  /** The stable error code; `FERRY_ERR_HTTP_<status>` when the answer was not a Ferry error body. */
  readonly code: string;
  /** Structured details from the answer; empty when there were none. */
  readonly details: ApiErrorBody['details'];
  constructor(status: number, code: string, message: string, details?: ApiErrorBody['details']) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The validation problems the API listed, or an empty array. */
  get problems(): ApiProblem[] {
    const problems = this.details?.problems;
    return Array.isArray(problems) ? problems : [];
  }
}

/** The API could not be reached at all (connection refused, unknown host). Exit code 1. */
export class UnreachableError extends Error {
  /** The server URL that was tried. */
  readonly server: string;
  constructor(server: string, options?: { cause?: unknown }) {
    super(
      `cannot reach the Ferry API at ${server}: is it running? start it with "pnpm start" or set --server / FERRY_SERVER`,
      options,
    );
    this.name = 'UnreachableError';
    this.server = server;
  }
}
