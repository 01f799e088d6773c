/** Stable codes of the forge client's errors; they cross process boundaries and are listed in the docs. */
export const ForgeErrorCode = {
  /** The repository URL cannot be parsed, or the provider cannot be told from its host. */
  InvalidRepo: 'FERRY_ERR_FORGE_INVALID_REPO',
  /** No token is configured for the forge host (`FERRY_FORGE_TOKENS`). */
  NoToken: 'FERRY_ERR_FORGE_NO_TOKEN',
  /** The forge refused the token (401/403). */
  Unauthorized: 'FERRY_ERR_FORGE_UNAUTHORIZED',
  /** The repository or pull request does not exist. */
  NotFound: 'FERRY_ERR_FORGE_NOT_FOUND',
  /** The pull request cannot be merged now (conflicts, checks pending, closed). */
  NotMergeable: 'FERRY_ERR_FORGE_NOT_MERGEABLE',
  /** The forge could not be reached. */
  Unreachable: 'FERRY_ERR_FORGE_UNREACHABLE',
  /** The forge answered something this client cannot use. */
  BadResponse: 'FERRY_ERR_FORGE_BAD_RESPONSE',
} as const;
/** One of {@link ForgeErrorCode}. */
export type ForgeErrorCode = (typeof ForgeErrorCode)[keyof typeof ForgeErrorCode];

/** An error talking to a forge. Messages name the host and never contain a token. */
export class ForgeError extends Error {
  /** Stable machine-readable code. */
  readonly code: ForgeErrorCode;
  /** HTTP status of the answer that caused it; absent for network and config errors. */
  readonly status: number | undefined;
  constructor(code: ForgeErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ForgeError';
    this.code = code;
    this.status = options.status;
  }
}
