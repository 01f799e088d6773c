/**
 * Test support: a hand-written, in-process fake of the Ferry API (node:http on a random port) and
 * an io that captures what the CLI writes. Routes answer what a test tells them to; anything else
 * answers 404 `FERRY_ERR_NOT_FOUND`, as the real API does for an unknown route.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CliIo } from './context.ts';

/** A request the fake received. */
export interface FakeRequest {
  method: string;
  /** The path with its query string, as sent. */
  url: string;
  /** The JSON body, parsed; undefined when there was none. */
  body: unknown;
  /** The Authorization header, only when one was sent (so requests without one compare as before). */
  authorization?: string;
}

/** What the fake answers: a status and a JSON body (none when undefined). */
export interface FakeAnswer {
  status: number;
  body?: unknown;
}

/** Answers one request; called once per request, so it can answer differently each time. */
export type FakeHandler = (req: FakeRequest) => FakeAnswer;

/** A running fake API. */
export interface FakeApi {
  /** Its base URL, e.g. `http://127.0.0.1:43121`. */
  url: string;
  /** Every request received, in order. */
  requests: FakeRequest[];
  /** Routes `METHOD url` (url with its query string, exactly) to a handler or a fixed answer. */
  on(method: string, url: string, answer: FakeHandler | FakeAnswer): void;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Starts a fake API on a random port of 127.0.0.1. */
export const startFakeApi = async (): Promise<FakeApi> => {
  const routes = new Map<string, FakeHandler>();
  const requests: FakeRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const fr: FakeRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      body: text ? JSON.parse(text) : undefined,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    };
    requests.push(fr);
    const handler = routes.get(`${fr.method} ${fr.url}`);
    const answer: FakeAnswer = handler
      ? handler(fr)
      : { status: 404, body: apiError(404, 'FERRY_ERR_NOT_FOUND', `Route ${fr.method}:${fr.url} not found`) };
    if (answer.body === undefined) {
      res.writeHead(answer.status).end();
      return;
    }
    res
      .writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' })
      .end(JSON.stringify(answer.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (method, url, answer) =>
      routes.set(`${method} ${url}`, typeof answer === 'function' ? answer : () => answer),
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
};

/** An error body as the API sends it. */
export const apiError = (statusCode: number, code: string, message: string, details?: unknown) => {
  const error = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 503: 'Service Unavailable' }[
    statusCode
  ];
  return {
    statusCode,
    code,
    error: error ?? 'Error',
    message,
    ...(details === undefined ? {} : { details }),
  };
};

/** An io that captures stdout and stderr as strings. */
export interface CapturedIo {
  io: CliIo;
  stdout: () => string;
  stderr: () => string;
}

/** Builds a CapturedIo; `overrides` replace the defaults (env is empty unless given). */
export const captureIo = (overrides: Partial<CliIo> = {}): CapturedIo => {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    ...overrides,
  };
  return { io, stdout: () => out, stderr: () => err };
};
