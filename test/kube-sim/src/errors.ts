import { qualifiedResource, type ResourceKind } from './kinds.ts';

/** `metav1.StatusReason` values this server answers with. */
export const StatusReason = {
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  BadRequest: 'BadRequest',
  Invalid: 'Invalid',
  UnsupportedMediaType: 'UnsupportedMediaType',
  MethodNotAllowed: 'MethodNotAllowed',
  Unauthorized: 'Unauthorized',
  Expired: 'Expired',
  InternalError: 'InternalError',
  RequestEntityTooLarge: 'RequestEntityTooLarge',
} as const;
/** One of {@link StatusReason}. */
export type StatusReasonCode = (typeof StatusReason)[keyof typeof StatusReason];

/** `metav1.StatusCause`: one field-level problem inside an Invalid status. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** `metav1.StatusDetails`; `kind` holds the plural resource for most reasons, as apimachinery does. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

/** `metav1.Status`, with fields declared in the order Go encodes them. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReasonCode;
  details?: StatusDetails;
  code?: number;
}

/** A request failure carrying the Status body and HTTP code a real API server would answer. */
export class ApiError extends Error {
  /** The body to send. */
  readonly status: Status;
  /** The HTTP status code. */
  readonly code: number;

  constructor(status: Status, options?: ErrorOptions) {
    super(status.message, options);
    this.name = 'ApiError';
    this.status = status;
    this.code = status.code ?? 500;
  }
}

function failure(code: number, reason: StatusReasonCode, message: string, details?: StatusDetails): ApiError {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
  };
  if (details !== undefined) status.details = details;
  status.code = code;
  return new ApiError(status);
}

function resourceDetails(kind: ResourceKind, name: string): StatusDetails {
  return { name, group: kind.group, kind: kind.plural };
}

/** 404 `applications.argoproj.io "x" not found`. */
export function notFound(kind: ResourceKind, name: string): ApiError {
  return failure(
    404,
    StatusReason.NotFound,
    `${qualifiedResource(kind)} "${name}" not found`,
    resourceDetails(kind, name),
  );
}

/** 404 for a path no route serves, as the API server's not-found handler answers. */
export function pathNotFound(): ApiError {
  return failure(404, StatusReason.NotFound, 'the server could not find the requested resource', {});
}

/** 409 `applications.argoproj.io "x" already exists`. */
export function alreadyExists(kind: ResourceKind, name: string): ApiError {
  return failure(
    409,
    StatusReason.AlreadyExists,
    `${qualifiedResource(kind)} "${name}" already exists`,
    resourceDetails(kind, name),
  );
}

/** The cause text of a failed optimistic-concurrency check, from the registry's update path. */
export const OBJECT_MODIFIED =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 409 `Operation cannot be fulfilled on applications.argoproj.io "x": <why>`. */
export function conflict(kind: ResourceKind, name: string, why: string = OBJECT_MODIFIED): ApiError {
  return failure(
    409,
    StatusReason.Conflict,
    `Operation cannot be fulfilled on ${qualifiedResource(kind)} "${name}": ${why}`,
    resourceDetails(kind, name),
  );
}

/** 400 with a free-form message and no details. */
export function badRequest(message: string): ApiError {
  return failure(400, StatusReason.BadRequest, message);
}

/** One field validation error, in `field.Error` terms. */
export interface FieldError {
  field: string;
  /** `FieldValueRequired` or `FieldValueInvalid`. */
  type: 'FieldValueRequired' | 'FieldValueInvalid';
  /** The offending value, quoted in the message for `FieldValueInvalid`. */
  value?: string;
  detail: string;
}

function fieldErrorText(e: FieldError): string {
  return e.type === 'FieldValueRequired'
    ? `Required value: ${e.detail}`
    : `Invalid value: ${JSON.stringify(e.value ?? '')}: ${e.detail}`;
}

/** 422 `Application.argoproj.io "x" is invalid: metadata.name: ...`; details name the Kind, not the plural. */
export function invalid(kind: ResourceKind, name: string, errors: readonly FieldError[]): ApiError {
  const texts = errors.map((e) => `${e.field}: ${fieldErrorText(e)}`);
  const aggregate = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return failure(422, StatusReason.Invalid, `${kind.kind}.${kind.group} "${name}" is invalid: ${aggregate}`, {
    name,
    group: kind.group,
    kind: kind.kind,
    causes: errors.map((e) => ({ reason: e.type, message: fieldErrorText(e), field: e.field })),
  });
}

/** 422 for a JSON patch that does not apply (failed `test`, missing path), as the patch handler wraps it. */
export function patchNotApplicable(detail: string): ApiError {
  return failure(
    422,
    StatusReason.Invalid,
    'the server rejected our request due to an error in our request',
    {
      causes: [{ reason: 'UnexpectedServerResponse', message: detail }],
    },
  );
}

/** 415 listing the media types the endpoint accepts, worded as apiserver's content negotiation does. */
export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return failure(
    415,
    StatusReason.UnsupportedMediaType,
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 405 for a verb the route does not serve. */
export function methodNotAllowed(): ApiError {
  return failure(
    405,
    StatusReason.MethodNotAllowed,
    'the server does not allow this method on the requested resource',
  );
}

/** 413 for a body over the API server's 3 MiB limit. */
export function requestEntityTooLarge(limit: number): ApiError {
  return failure(413, StatusReason.RequestEntityTooLarge, `Request entity too large: limit is ${limit}`);
}

/** 401, as the authentication filter answers a missing or wrong bearer token. */
export function unauthorized(): ApiError {
  return failure(401, StatusReason.Unauthorized, 'Unauthorized');
}

/** 410 Expired, sent as a watch ERROR event when the requested resourceVersion left the history. */
export function expired(resourceVersion: number, lastDropped: number): ApiError {
  return failure(410, StatusReason.Expired, `too old resource version: ${resourceVersion} (${lastDropped})`);
}

/** 500 for a bug in this server, so a client sees a Status rather than a dropped connection. */
export function internalError(message: string): ApiError {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ reason: '', message }] },
    code: 500,
  };
  return new ApiError(status);
}
