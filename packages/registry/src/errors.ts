/** Stable codes of the registry client's errors; they cross process boundaries and are listed in the docs. */
export const RegistryErrorCode = {
  /** The image repository URL, tag or digest cannot be parsed. */
  InvalidReference: 'FERRY_ERR_REGISTRY_INVALID_REFERENCE',
  /** A credentials configuration (Docker `config.json`) is malformed. */
  InvalidConfig: 'FERRY_ERR_REGISTRY_INVALID_CONFIG',
  /** The registry refused the request: no, wrong or insufficient credentials. */
  Unauthorized: 'FERRY_ERR_REGISTRY_UNAUTHORIZED',
  /** The repository, tag, manifest or platform does not exist. */
  NotFound: 'FERRY_ERR_REGISTRY_NOT_FOUND',
  /** The registry (or its token service) could not be reached or did not answer in time. */
  Unreachable: 'FERRY_ERR_REGISTRY_UNREACHABLE',
  /** The registry answered 429 Too Many Requests. */
  RateLimited: 'FERRY_ERR_REGISTRY_RATE_LIMITED',
  /** The registry answered something this client cannot use (5xx, malformed JSON, wrong digest...). */
  BadResponse: 'FERRY_ERR_REGISTRY_BAD_RESPONSE',
  /** The TLS certificate of the registry (or its token service) could not be verified. */
  TlsUnverified: 'FERRY_ERR_REGISTRY_TLS_UNVERIFIED',
} as const;
/** One of {@link RegistryErrorCode}. */
export type RegistryErrorCode = (typeof RegistryErrorCode)[keyof typeof RegistryErrorCode];

/** One entry of the `errors` array a registry puts in an error body (distribution spec). */
export interface RegistryErrorDetail {
  /** Registry error code, e.g. `MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, `UNAUTHORIZED`, `TOOMANYREQUESTS`. */
  code: string;
  /** Human-readable message from the registry; empty when it sent none. */
  message: string;
}

/** What every registry error carries besides its message. */
export interface RegistryErrorInit {
  /** Registry host (`docker.io`, `127.0.0.1:5000`); absent when the reference could not be parsed. */
  registry?: string;
  /** Repository path within the registry (`library/nginx`); absent when unknown. */
  repository?: string;
  /** HTTP status of the answer that caused the error; absent for network errors. */
  status?: number;
  /** The registry's own `errors[]`, parsed from the body when present. */
  details?: RegistryErrorDetail[];
  /** The underlying error (network failure, JSON syntax error...). */
  cause?: unknown;
}

/**
 * Base class of the registry client's errors. Messages name the registry, the repository and what to do
 * next, and never contain credentials or tokens.
 */
export class RegistryError extends Error {
  /** Stable machine-readable code. */
  readonly code: RegistryErrorCode;
  /** Registry host, when known. */
  readonly registry: string | undefined;
  /** Repository path, when known. */
  readonly repository: string | undefined;
  /** HTTP status, when the error came from an answer. */
  readonly status: number | undefined;
  /** The registry's `errors[]` entries, empty when the body had none. */
  readonly details: RegistryErrorDetail[];

  constructor(code: RegistryErrorCode, message: string, init: RegistryErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.registry = init.registry;
    this.repository = init.repository;
    this.status = init.status;
    this.details = init.details ?? [];
  }
}

/** An image repository URL that is not a valid reference. */
export class InvalidImageRepoError extends RegistryError {
  constructor(message: string, init: RegistryErrorInit = {}) {
    super(RegistryErrorCode.InvalidReference, message, init);
    this.name = 'InvalidImageRepoError';
  }
}

/** A Docker `config.json` that cannot be read as registry credentials. */
export class RegistryConfigError extends RegistryError {
  constructor(message: string, init: RegistryErrorInit = {}) {
    super(RegistryErrorCode.InvalidConfig, message, init);
    this.name = 'RegistryConfigError';
  }
}

/** The registry or its token service refused the credentials (or their absence). */
export class RegistryAuthError extends RegistryError {
  constructor(message: string, init: RegistryErrorInit = {}) {
    super(RegistryErrorCode.Unauthorized, message, init);
    this.name = 'RegistryAuthError';
  }
}

/** The repository, tag, manifest or requested platform does not exist. */
export class RegistryNotFoundError extends RegistryError {
  constructor(message: string, init: RegistryErrorInit = {}) {
    super(RegistryErrorCode.NotFound, message, init);
    this.name = 'RegistryNotFoundError';
  }
}

/** The registry or its token service could not be reached, or timed out. */
export class RegistryUnreachableError extends RegistryError {
  constructor(message: string, init: RegistryErrorInit = {}) {
    super(RegistryErrorCode.Unreachable, message, init);
    this.name = 'RegistryUnreachableError';
  }
}

/** The registry answered 429; `retryAfterSeconds` says when to try again if it said. */
export class RegistryRateLimitedError extends RegistryError {
  /** Seconds from `Retry-After` (number or HTTP date), undefined when the header was absent or invalid. */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, init: RegistryErrorInit & { retryAfterSeconds?: number } = {}) {
    super(RegistryErrorCode.RateLimited, message, init);
    this.name = 'RegistryRateLimitedError';
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** The registry answered with an unexpected status or a body this client cannot use. */
export class RegistryBadResponseError extends RegistryError {
  constructor(message: string, init: RegistryErrorInit = {}) {
    super(RegistryErrorCode.BadResponse, message, init);
    this.name = 'RegistryBadResponseError';
  }
}

/**
 * The TLS certificate of the registry or its token service could not be verified (self-signed, private CA,
 * expired, another name); `tlsCode` is the TLS error code. Retrying does not help: trust the CA or skip
 * verification for the subscription.
 */
export class RegistryTlsError extends RegistryError {
  /** The TLS error code, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT` or `SELF_SIGNED_CERT_IN_CHAIN`. */
  readonly tlsCode: string;

  constructor(message: string, init: RegistryErrorInit & { tlsCode: string }) {
    super(RegistryErrorCode.TlsUnverified, message, init);
    this.name = 'RegistryTlsError';
    this.tlsCode = init.tlsCode;
  }
}
