import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type ExpressionScope, evaluate, evaluateCondition } from '../expressions.ts';
import { stepConfig, Type } from './schema.ts';
import type { HttpPort, StepRunner } from './types.ts';

const Pair = Type.Object(
  { name: Type.String({ minLength: 1 }), value: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);

const Schema = Type.Object(
  {
    method: Type.Optional(
      Type.Union(['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'].map((m) => Type.Literal(m))),
    ),
    url: Type.String({ minLength: 1 }),
    headers: Type.Optional(Type.Array(Pair)),
    queryParams: Type.Optional(Type.Array(Pair)),
    body: Type.Optional(Type.String()),
    insecureSkipTLSVerify: Type.Optional(Type.Boolean()),
    timeout: Type.Optional(Type.String()),
    successExpression: Type.Optional(Type.String()),
    failureExpression: Type.Optional(Type.String()),
    outputs: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String({ minLength: 1 }), fromExpression: Type.String({ minLength: 1 }) },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration as Kargo writes `timeout` (`10s`, `500ms`, `1m30s`); throws naming the key. */
export function parseTimeout(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!text || parts.map((p) => p[0]).join('') !== text) {
    throw new Error(`http config: timeout: "${text}" is not a duration like 500ms, 10s or 1m30s`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}

/** Wraps a bare expression (Kargo writes them without `${{ }}`) so the evaluator keeps its type. */
const whole = (expr: string) => (/^\s*\$\{\{[\s\S]*\}\}\s*$/.test(expr) ? expr : `\${{ ${expr} }}`);

/**
 * `http`: makes one request and judges the answer with `failureExpression` (true → Failed) and
 * `successExpression` (true → Succeeded, false → Running: asked again on a later pass, which is
 * how Kargo polls). Without a success expression, a false failure expression means Succeeded;
 * with neither, a 2xx status does. Expressions see `response.status`, `response.headers`
 * (names lower-cased) and `response.body` (parsed when it is JSON), and `outputs`.
 */
export const http: StepRunner = {
  uses: 'http',
  defaultTimeoutMs: 10 * 60_000,
  async run(ctx) {
    const cfg = stepConfig(Schema, this.uses, ctx.config);
    if (!ctx.http) throw new Error('http: this promoter has no HTTP client');
    const url = new URL(cfg.url);
    for (const q of cfg.queryParams ?? []) url.searchParams.append(q.name, q.value);
    const method = cfg.method ?? 'GET';
    const res = await ctx.http({
      method,
      url: url.toString(),
      headers: Object.fromEntries((cfg.headers ?? []).map((h) => [h.name, h.value])),
      ...(cfg.body === undefined ? {} : { body: cfg.body }),
      timeoutMs: cfg.timeout ? parseTimeout(cfg.timeout) : 10_000,
      insecureSkipTLSVerify: cfg.insecureSkipTLSVerify === true,
    });
    let body: unknown = res.body;
    if (res.body && /json/i.test(res.headers['content-type'] ?? 'application/json')) {
      try {
        body = JSON.parse(res.body);
      } catch {
        // Not JSON after all: expressions see the text.
      }
    }
    const scope: ExpressionScope = {
      ctx: {},
      vars: {},
      outputs: ctx.outputs as Record<string, unknown>,
      locals: { response: { status: res.status, headers: res.headers, body } },
    };
    const answered = `${method} ${url.origin}${url.pathname} answered ${res.status}`;
    if (cfg.failureExpression && evaluateCondition(cfg.failureExpression, scope, 'failureExpression')) {
      return { status: 'Failed', message: `${answered}; failureExpression is true` };
    }
    const ok = cfg.successExpression
      ? evaluateCondition(cfg.successExpression, scope, 'successExpression')
      : cfg.failureExpression
        ? true
        : res.status >= 200 && res.status < 300;
    if (!ok) {
      if (!cfg.successExpression) return { status: 'Failed', message: `${answered}, not 2xx` };
      return { status: 'Running', message: `${answered}; successExpression is not true yet` };
    }
    const outputs: Record<string, unknown> = {};
    for (const [i, o] of (cfg.outputs ?? []).entries()) {
      outputs[o.name] = evaluate(whole(o.fromExpression), scope, `outputs[${i}].fromExpression`);
    }
    return { status: 'Succeeded', outputs, message: answered };
  },
};

/** The real `http` port, on node:http and node:https (which can skip TLS verification when asked). */
export const nodeHttp: HttpPort = (req) =>
  new Promise((resolve, reject) => {
    const u = new URL(req.url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const r = send(
      u,
      {
        method: req.method,
        headers: req.headers,
        timeout: req.timeoutMs,
        ...(u.protocol === 'https:' ? { rejectUnauthorized: !req.insecureSkipTLSVerify } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          }
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${req.timeoutMs} ms`)));
    r.on('error', (err) =>
      reject(new Error(`${req.method} ${u.origin}${u.pathname}: ${err.message}`, { cause: err })),
    );
    r.end(req.body);
  });
