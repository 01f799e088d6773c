import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import type { Freight } from '@ferry/contracts';
import { http, nodeHttp, parseTimeout } from './http.ts';
import type { HttpPort, HttpRequest, HttpResponse, StepContext } from './types.ts';

const context = (config: Record<string, unknown>, port?: HttpPort): StepContext => ({
  project: 'demo',
  stage: 'prod',
  promotion: 'prod.01j',
  stepIndex: 0,
  alias: 'check',
  freight: { alias: 'wild-otter', metadata: { name: 'f' } } as Freight,
  config,
  outputs: { push: { commit: 'abc' } },
  workspace: { checkouts: [], edits: [], messages: {} },
  results: { gitWrite: async () => undefined, argocdOp: async () => undefined },
  defaults: { argocdTimeoutSeconds: 300 },
  elapsedMs: 0,
  ...(port ? { http: port } : {}),
});

/** A fake port answering one fixed response and recording requests. */
const answering =
  (res: HttpResponse, seen: HttpRequest[] = []): HttpPort =>
  async (req) => {
    seen.push(req);
    return res;
  };

const JSON_OK = (body: unknown, status = 200): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(body),
});

test('http: outcomes by expressions and status (table)', async () => {
  const URL = 'https://ci.example/api/status';
  const cases: Array<{ name: string; config: Record<string, unknown>; res: HttpResponse; want: unknown }> = [
    {
      name: 'success expression true, outputs from the JSON body',
      config: {
        successExpression: "response.status == 200 && response.body.state == 'done'",
        outputs: [
          { name: 'build', fromExpression: 'response.body.build' },
          { name: 'commit', fromExpression: 'outputs.push.commit' },
          { name: 'type', fromExpression: "response.headers['content-type']" },
        ],
      },
      res: JSON_OK({ state: 'done', build: 42 }),
      want: {
        status: 'Succeeded',
        outputs: { build: 42, commit: 'abc', type: 'application/json; charset=utf-8' },
        message: 'GET https://ci.example/api/status answered 200',
      },
    },
    {
      name: 'neither true: Running (polled again)',
      config: {
        successExpression: "response.body.state == 'done'",
        failureExpression: "response.body.state == 'error'",
      },
      res: JSON_OK({ state: 'pending' }),
      want: {
        status: 'Running',
        message: 'GET https://ci.example/api/status answered 200; successExpression is not true yet',
      },
    },
    {
      name: 'failure expression true',
      config: {
        successExpression: "response.body.state == 'done'",
        failureExpression: "response.body.state == 'error'",
      },
      res: JSON_OK({ state: 'error' }),
      want: {
        status: 'Failed',
        message: 'GET https://ci.example/api/status answered 200; failureExpression is true',
      },
    },
    {
      name: 'only a failure expression, false: Succeeded',
      config: { failureExpression: 'response.status >= 500' },
      res: JSON_OK({}, 404),
      want: { status: 'Succeeded', outputs: {}, message: 'GET https://ci.example/api/status answered 404' },
    },
    {
      name: 'no expressions, 2xx',
      config: {},
      res: { status: 204, headers: {}, body: '' },
      want: { status: 'Succeeded', outputs: {}, message: 'GET https://ci.example/api/status answered 204' },
    },
    {
      name: 'no expressions, not 2xx',
      config: {},
      res: { status: 503, headers: {}, body: 'busy' },
      want: { status: 'Failed', message: 'GET https://ci.example/api/status answered 503, not 2xx' },
    },
    {
      name: 'text body stays text',
      config: { successExpression: "response.body == 'ok'" },
      res: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' },
      want: { status: 'Succeeded', outputs: {}, message: 'GET https://ci.example/api/status answered 200' },
    },
  ];
  for (const c of cases) {
    assert.deepEqual(await http.run(context({ url: URL, ...c.config }, answering(c.res))), c.want, c.name);
  }
});

test('http: builds the request from method, headers, query params, body and timeout', async () => {
  const seen: HttpRequest[] = [];
  await http.run(
    context(
      {
        method: 'POST',
        url: 'https://hooks.example/x?a=1',
        headers: [{ name: 'Authorization', value: 'Bearer t' }],
        queryParams: [{ name: 'stage', value: 'prod env' }],
        body: '{"ok":true}',
        timeout: '1m30s',
        insecureSkipTLSVerify: true,
      },
      answering({ status: 200, headers: {}, body: '' }, seen),
    ),
  );
  assert.deepEqual(seen, [
    {
      method: 'POST',
      url: 'https://hooks.example/x?a=1&stage=prod+env',
      headers: { Authorization: 'Bearer t' },
      body: '{"ok":true}',
      timeoutMs: 90_000,
      insecureSkipTLSVerify: true,
    },
  ]);
});

test('http: bad expressions and durations are errors that name the key', async () => {
  const port = answering(JSON_OK({}));
  await assert.rejects(
    http.run(context({ url: 'https://x.example', successExpression: 'response.status' }, port)),
    {
      message: 'successExpression: "response.status" must be true or false; it came out 200',
    },
  );
  await assert.rejects(http.run(context({ url: 'https://x.example', successExpression: 'env.HOME' }, port)), {
    message: 'successExpression: unknown name "env" in expression (known: ctx, vars, outputs, response)',
  });
  assert.throws(() => parseTimeout('10 seconds'), {
    message: 'http config: timeout: "10 seconds" is not a duration like 500ms, 10s or 1m30s',
  });
  assert.equal(parseTimeout('500ms'), 500);
  await assert.rejects(http.run(context({ url: 'https://x.example' })), {
    message: 'http: this promoter has no HTTP client',
  });
});

test('nodeHttp: the real port sends and reads a request', async () => {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-seen': String(req.headers['x-test']) });
      res.end(JSON.stringify({ method: req.method, url: req.url, body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    const res = await nodeHttp({
      method: 'PUT',
      url: `http://127.0.0.1:${port}/p?q=1`,
      headers: { 'x-test': 'yes' },
      body: 'hi',
      timeoutMs: 5000,
      insecureSkipTLSVerify: false,
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers['x-seen'], 'yes');
    assert.deepEqual(JSON.parse(res.body), { method: 'PUT', url: '/p?q=1', body: 'hi' });
  } finally {
    server.close();
  }
});
