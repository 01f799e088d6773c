import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '@ferry/contracts';
import { parseAnalysisTemplate } from './manifest.ts';

/** A valid template, as a user writes it for Argo Rollouts. */
const base = () => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AnalysisTemplate',
  metadata: { name: 'success-rate', namespace: 'shop' },
  spec: {
    args: [{ name: 'service' }, { name: 'threshold', value: '0.95' }],
    metrics: [
      {
        name: 'success-rate',
        interval: '30s',
        initialDelay: '1m',
        count: 3,
        successCondition: 'result[0] >= {{args.threshold}}',
        failureLimit: 1,
        provider: {
          prometheus: {
            address: 'http://prometheus:9090',
            query: 'sum(rate(http_requests_total{service="{{args.service}}",code!~"5.."}[5m]))',
          },
        },
      },
      {
        name: 'health',
        successCondition: 'result == "ok"',
        provider: {
          web: {
            url: 'http://{{args.service}}/health',
            headers: [{ key: 'Authorization', value: 'Bearer x' }],
            jsonPath: '{$.status}',
          },
        },
      },
    ],
  },
});

type Manifest = ReturnType<typeof base> & Record<string, unknown>;

/** Messages of the ValidationError `fn` throws, as `path: message`. */
function problems(m: unknown): string[] {
  try {
    parseAnalysisTemplate(m, 'shop/at.yaml');
  } catch (err) {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.code, 'FERRY_ERR_BAD_MANIFEST');
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a ValidationError');
}

describe('parseAnalysisTemplate', () => {
  it('reads a valid template with Argo Rollouts defaults', () => {
    const t = parseAnalysisTemplate(base(), 'shop/at.yaml');
    assert.deepEqual(t, {
      kind: 'AnalysisTemplate',
      name: 'success-rate',
      namespace: 'shop',
      args: [{ name: 'service' }, { name: 'threshold', value: '0.95' }],
      metrics: [
        {
          name: 'success-rate',
          intervalMs: 30_000,
          initialDelayMs: 60_000,
          count: 3,
          successCondition: 'result[0] >= {{args.threshold}}',
          failureLimit: 1,
          inconclusiveLimit: 0,
          consecutiveErrorLimit: 4,
          provider: {
            type: 'prometheus',
            address: 'http://prometheus:9090',
            query: 'sum(rate(http_requests_total{service="{{args.service}}",code!~"5.."}[5m]))',
            headers: [],
          },
        },
        {
          name: 'health',
          initialDelayMs: 0,
          count: 1,
          successCondition: 'result == "ok"',
          failureLimit: 0,
          inconclusiveLimit: 0,
          consecutiveErrorLimit: 4,
          provider: {
            type: 'web',
            url: 'http://{{args.service}}/health',
            method: 'GET',
            headers: [{ key: 'Authorization', value: 'Bearer x' }],
            jsonPath: '{$.status}',
            timeoutSeconds: 10,
          },
        },
      ],
    });
  });

  it('reads a ClusterAnalysisTemplate, string counts, POST with jsonBody', () => {
    const m: Manifest = base();
    m.kind = 'ClusterAnalysisTemplate';
    const metric = m.spec.metrics[1] as Record<string, unknown>;
    metric.consecutiveErrorLimit = '2';
    metric.provider = { web: { url: 'http://x', method: 'POST', jsonBody: { a: 1 }, timeoutSeconds: 3 } };
    const t = parseAnalysisTemplate(m, 'x');
    assert.equal(t.kind, 'ClusterAnalysisTemplate');
    assert.equal(t.metrics[1]?.consecutiveErrorLimit, 2);
    assert.deepEqual(t.metrics[1]?.provider, {
      type: 'web',
      url: 'http://x',
      method: 'POST',
      headers: [],
      body: '{"a":1}',
      timeoutSeconds: 3,
    });
  });

  const cases: Array<{ name: string; edit: (m: Manifest) => unknown; want: string[] }> = [
    {
      name: 'not an object',
      edit: () => 'hello',
      want: [': must be an object (an AnalysisTemplate manifest)'],
    },
    {
      name: 'wrong apiVersion and kind, no spec',
      edit: (m) => ({ ...m, apiVersion: 'v1', kind: 'Rollout', spec: undefined }),
      want: [
        '/apiVersion: must be argoproj.io/v1alpha1, not "v1"',
        '/kind: must be AnalysisTemplate or ClusterAnalysisTemplate, not "Rollout"',
        '/spec: is required: an object with metrics',
      ],
    },
    {
      name: 'no metrics, bad name',
      edit: (m) => ({ ...m, metadata: { name: 'Bad_Name' }, spec: { metrics: [] } }),
      want: [
        '/metadata/name: "Bad_Name" is not a valid name (lowercase letters, digits, - and .)',
        '/spec/metrics: must list at least one metric',
      ],
    },
    {
      name: 'unsupported and unknown providers',
      edit: (m) => {
        (m.spec.metrics[0] as Record<string, unknown>).provider = { datadog: { query: 'x' } };
        (m.spec.metrics[1] as Record<string, unknown>).provider = { carrierPigeon: {} };
        return m;
      },
      want: [
        '/spec/metrics/0/provider/datadog: provider datadog is not supported yet; supported: web, prometheus',
        '/spec/metrics/1/provider/carrierPigeon: unknown provider carrierPigeon; supported: web, prometheus',
      ],
    },
    {
      name: 'two providers, none',
      edit: (m) => {
        (m.spec.metrics[0] as Record<string, unknown>).provider = { web: { url: 'u' }, prometheus: {} };
        (m.spec.metrics[1] as Record<string, unknown>).provider = {};
        return m;
      },
      want: [
        '/spec/metrics/0/provider: names 2 providers (web, prometheus); a metric has exactly one',
        '/spec/metrics/1/provider: names no provider; supported: web, prometheus',
      ],
    },
    {
      name: 'interval without count; count > 1 without interval',
      edit: (m) => {
        delete (m.spec.metrics[0] as Record<string, unknown>).count;
        (m.spec.metrics[1] as Record<string, unknown>).count = 5;
        return m;
      },
      want: [
        '/spec/metrics/0/count: is required when interval is set: a verification must end, so say how many measurements to take',
        '/spec/metrics/1/interval: is required when count is more than 1 (count is 5)',
      ],
    },
    {
      name: 'bad durations, limits and conditions',
      edit: (m) => {
        Object.assign(m.spec.metrics[0] as Record<string, unknown>, {
          interval: '5 minutes',
          initialDelay: '3x',
          failureLimit: -1,
          successCondition: 'result >',
          failureCondition: 'exec(result)',
        });
        return m;
      },
      want: [
        '/spec/metrics/0/interval: "5 minutes" is not a valid duration: write it as 30s, 5m, 1h or 1h30m',
        '/spec/metrics/0/initialDelay: "3x" is not a valid duration: unknown unit "x" (use ms, s, m or h)',
        '/spec/metrics/0/successCondition: "result >" is not a valid expression: cannot parse: Unexpected end of expression: result >',
        '/spec/metrics/0/failureCondition: "exec(result)" is not a valid expression: unknown function "exec" (known: len, all, any, none, filter, isNaN, isInf, asInt, asFloat)',
        '/spec/metrics/0/failureLimit: must be a whole number of 0 or more, not -1',
      ],
    },
    {
      name: 'web: missing url, bad method, body with GET',
      edit: (m) => {
        (m.spec.metrics[1] as Record<string, unknown>).provider = {
          web: { method: 'DELETE', body: 'x', headers: [{ value: 'v' }] },
        };
        return m;
      },
      want: [
        '/spec/metrics/1/provider/web/url: is required',
        '/spec/metrics/1/provider/web/method: must be GET, POST or PUT, not "DELETE"',
        '/spec/metrics/1/provider/web/headers/0/key: is required',
      ],
    },
    {
      name: 'prometheus: missing address and query',
      edit: (m) => {
        (m.spec.metrics[0] as Record<string, unknown>).provider = { prometheus: { timeout: 'soon' } };
        return m;
      },
      want: [
        '/spec/metrics/0/provider/prometheus/address: is required',
        '/spec/metrics/0/provider/prometheus/query: is required',
        '/spec/metrics/0/provider/prometheus/timeout: must be a whole number of 0 or more, not "soon"',
      ],
    },
    {
      name: 'undeclared and duplicate args, duplicate metric',
      edit: (m) => {
        m.spec.args = [{ name: 'threshold' }, { name: 'threshold', value: '1' }];
        (m.spec.metrics[1] as Record<string, unknown>).name = 'success-rate';
        return m;
      },
      want: [
        '/spec/args/1/name: "threshold" is declared twice',
        '/spec/metrics/0: uses {{args.service}} but spec.args does not declare "service"',
        '/spec/metrics/1/name: "success-rate" is used by another metric',
        '/spec/metrics/1: uses {{args.service}} but spec.args does not declare "service"',
      ],
    },
    {
      name: 'valueFrom with value, empty valueFrom',
      edit: (m) => {
        m.spec.args = [
          { name: 'service', value: 'a', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          { name: 'threshold', valueFrom: {} },
        ] as never;
        return m;
      },
      want: [
        '/spec/args/0/valueFrom: cannot be set together with value; use one',
        '/spec/args/1/valueFrom: must hold secretKeyRef {name, key} or fieldRef {fieldPath}',
      ],
    },
  ];
  for (const c of cases) {
    it(`lists every problem: ${c.name}`, () => {
      assert.deepEqual(problems(c.edit(base())), c.want);
    });
  }

  it('names the source in the error message', () => {
    assert.throws(() => parseAnalysisTemplate({ ...base(), apiVersion: 'v1' }, 'shop/at.yaml'), {
      message: 'shop/at.yaml: invalid analysis template: /apiVersion: must be argoproj.io/v1alpha1, not "v1"',
    });
  });
});
