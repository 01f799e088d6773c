import { ErrorCodes, FerryError, ValidationError } from '@ferry/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';

/** The body of every error answer. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
  details?: unknown;
}

const reason = (status: number) =>
  ({
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    413: 'Payload Too Large',
    422: 'Unprocessable Entity',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  })[status] ?? 'Error';

/** Maps thrown errors to the catalogue's codes and statuses; never leaks internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | FerryError | Error, req, reply) => {
    let body: ErrorBody;
    if (err instanceof FerryError) {
      body = { statusCode: err.status, code: err.code, error: reason(err.status), message: err.message };
      if (err.details !== undefined) body.details = err.details;
    } else if ((err as FastifyError).validation) {
      const fe = err as FastifyError;
      const problems = (fe.validation ?? []).map((v) => ({
        path: `${fe.validationContext ?? ''}${v.instancePath || ''}`,
        message: v.message ?? 'invalid',
      }));
      const ve = new ValidationError(`${req.method} ${req.routeOptions.url ?? req.url}`, problems);
      body = {
        statusCode: 400,
        code: ve.code,
        error: reason(400),
        message: ve.message,
        details: { problems },
      };
    } else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) {
      const status = (err as FastifyError).statusCode!;
      body = {
        statusCode: status,
        code: 'FERRY_ERR_VALIDATION',
        error: reason(status),
        message: err.message,
      };
    } else {
      req.log.error({ err }, 'request failed');
      const code = /ECONNREFUSED|Connection is closed|CONNECTION_REFUSED/.test(String(err.message))
        ? 'FERRY_ERR_UNAVAILABLE'
        : 'FERRY_ERR_INTERNAL';
      const status = ErrorCodes[code].status;
      body = {
        statusCode: status,
        code,
        error: reason(status),
        message: `${ErrorCodes[code].summary} (request ${req.id})`,
      };
    }
    void reply.status(body.statusCode).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({
      statusCode: 404,
      code: 'FERRY_ERR_NOT_FOUND',
      error: 'Not Found',
      message: `no route ${req.method} ${req.url}`,
    } satisfies ErrorBody);
  });
}
