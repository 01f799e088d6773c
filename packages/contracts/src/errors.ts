/**
 * The catalogue of error codes that cross a process boundary, with their HTTP statuses.
 * Codes are stable: tools and scripts match on them. docs/errors.md lists the same table.
 */
export const ErrorCodes = {
  FERRY_ERR_VALIDATION: { status: 400, summary: 'the input does not match its schema' },
  FERRY_ERR_BAD_MANIFEST: {
    status: 400,
    summary: 'a manifest is invalid; nothing from the file was applied',
  },
  FERRY_ERR_PROJECT_NOT_FOUND: { status: 404, summary: 'no such Project' },
  FERRY_ERR_WAREHOUSE_NOT_FOUND: { status: 404, summary: 'no such Warehouse in the Project' },
  FERRY_ERR_STAGE_NOT_FOUND: { status: 404, summary: 'no such Stage in the Project' },
  FERRY_ERR_FREIGHT_NOT_FOUND: { status: 404, summary: 'no such Freight (by id or alias) in the Project' },
  FERRY_ERR_PROMOTION_NOT_FOUND: { status: 404, summary: 'no such Promotion in the Project' },
  FERRY_ERR_FREIGHT_NOT_AVAILABLE: {
    status: 409,
    summary: 'the Freight is not available to the Stage (not from its sources, or not verified upstream)',
  },
  FERRY_ERR_PROMOTION_FINISHED: {
    status: 409,
    summary: 'the Promotion already finished; it cannot be aborted',
  },
  FERRY_ERR_NOTHING_TO_ROLL_BACK: {
    status: 409,
    summary: 'the Stage has no earlier Freight verified in it to roll back to',
  },
  FERRY_ERR_NOT_FOUND: { status: 404, summary: 'no such route' },
  FERRY_ERR_RESOURCE_NOT_FOUND: {
    status: 404,
    summary: 'no such PromotionTask, AnalysisTemplate, ProjectConfig or Secret in the Project',
  },
  FERRY_ERR_FREIGHT_IN_USE: {
    status: 409,
    summary:
      'the Freight is the current Freight of a Stage, or an unfinished Promotion takes it; it cannot be deleted',
  },
  FERRY_ERR_PROMOTION_NOT_FINISHED: {
    status: 409,
    summary: 'the Promotion is Pending or Running; abort it (or wait for it) before deleting it',
  },
  FERRY_ERR_PROMOTION_RUNNING: {
    status: 409,
    summary:
      'a Promotion is Running in the Stage or Project being deleted; wait, abort it, or delete with force',
  },
  FERRY_ERR_UNAUTHENTICATED: {
    status: 401,
    summary: 'no API token, or one that is unknown, revoked or expired; send Authorization: Bearer <token>',
  },
  FERRY_ERR_ALREADY_EXISTS: {
    status: 409,
    summary: 'create refused: a resource in the manifests exists already (use apply to change it)',
  },
  FERRY_ERR_TOKEN_EXISTS: { status: 409, summary: 'an API token with that name exists; pick another name' },
  FERRY_ERR_TOKEN_NOT_FOUND: { status: 404, summary: 'no API token with that name' },
  FERRY_ERR_FORBIDDEN: {
    status: 403,
    summary: 'the token lacks the role the request needs (named in the message, with the Project)',
  },
  FERRY_ERR_WEBHOOK_UNAUTHORIZED: {
    status: 401,
    summary: 'a webhook request has a missing or wrong signature or token; nothing was refreshed',
  },
  FERRY_ERR_WEBHOOK_TOO_LARGE: { status: 413, summary: 'a webhook body is larger than 2 MB' },
  FERRY_ERR_WEBHOOK_RATE_LIMITED: {
    status: 429,
    summary: 'a webhook receiver got more requests than its rate limit allows; retry later',
  },
  FERRY_ERR_ARTIFACT_NOT_DISCOVERED: {
    status: 422,
    summary:
      "a chosen artifact is not among the Warehouse's discovered artifacts; refresh the Warehouse and pick one it lists",
  },
  FERRY_ERR_ARTIFACT_UNRESOLVED: {
    status: 422,
    summary:
      'the registry could not confirm a chosen image (tag gone or moved, digest differs, platform missing)',
  },
  FERRY_ERR_UNAVAILABLE: { status: 503, summary: 'a backing server (NATS or Redis) does not answer' },
  FERRY_ERR_INTERNAL: { status: 500, summary: 'an unexpected error; the logs carry the trace id' },
} as const;

/** One of the stable error codes. */
export type ErrorCode = keyof typeof ErrorCodes;

/** Options shared by Ferry's error classes. */
export interface FerryErrorOptions {
  /** The error that caused this one, kept for logs; never shown to API clients. */
  cause?: unknown;
  /** Structured details safe to show to clients (never credentials). */
  details?: unknown;
}

/** An error with a stable code that may cross a process boundary (NATS, HTTP). */
export class FerryError extends Error {
  /** The stable code, e.g. `FERRY_ERR_STAGE_NOT_FOUND`. */
  readonly code: ErrorCode;
  /** Structured details safe to show to clients. */
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FerryError';
    this.code = code;
    this.details = options.details;
  }
  /** The HTTP status that goes with the code. */
  get status(): number {
    return ErrorCodes[this.code].status;
  }
}

/** One problem found by validation: where (a JSON-pointer-like path) and what is wrong. */
export interface Problem {
  /** Path of the offending field, e.g. `/spec/subscriptions/0/image/repoURL`; empty for the root. */
  path: string;
  /** What is wrong, in words a user can act on. */
  message: string;
}

/** Input failed validation; lists every problem found, not just the first. */
export class ValidationError extends FerryError {
  /** Every problem found, in document order. */
  readonly problems: readonly Problem[];
  constructor(what: string, problems: readonly Problem[], code: ErrorCode = 'FERRY_ERR_VALIDATION') {
    super(code, `${what}: ${problems.map((p) => `${p.path || '/'}: ${p.message}`).join('; ')}`, {
      details: { problems },
    });
    this.name = 'ValidationError';
    this.problems = problems;
  }
}
