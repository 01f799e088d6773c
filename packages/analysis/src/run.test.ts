import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAnalysisTemplate } from './manifest.ts';
import { abortAnalysis, advanceAnalysis, type MeasureFn, startAnalysis, startVerification } from './run.ts';
import type { AnalysisRun, AnalysisTemplate, MeasurementResult, ProviderSpec } from './types.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);
const iso = (s: number) => at(s).toISOString();

/** A template with the given metrics (each a web metric on http://svc/<name> unless it says otherwise). */
function template(
  metrics: Record<string, unknown>[],
  args: unknown[] = [],
  name = 'checks',
): AnalysisTemplate {
  return parseAnalysisTemplate(
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name },
      spec: {
        args,
        metrics: metrics.map((m) => ({ provider: { web: { url: `http://svc/${String(m.name)}` } }, ...m })),
      },
    },
    'test',
  );
}

/** A fake measure function: plays each metric's results in order and logs every call. */
function fakeMeasure(results: Record<string, Array<MeasurementResult | 'throw'>>) {
  const calls: Array<{ metric: string; provider: ProviderSpec }> = [];
  const measure: MeasureFn = async (metric, provider) => {
    calls.push({ metric: metric.name, provider });
    const next = results[metric.name]?.shift();
    if (next === undefined) throw new Error(`no more results for ${metric.name}`);
    if (next === 'throw') throw new Error('connection refused');
    return next;
  };
  return { measure, calls };
}

/** Advances at each given second, returning the run and the nextAt of every step. */
async function drive(run: AnalysisRun, seconds: number[], measure: MeasureFn) {
  const nexts: Array<string | undefined> = [];
  for (const s of seconds) {
    const out = await advanceAnalysis(run, at(s), measure);
    run = out.run;
    nexts.push(out.nextAt);
  }
  return { run, nexts };
}

describe('startAnalysis: args', () => {
  const t = template(
    [
      {
        name: 'rate',
        successCondition: 'result >= {{args.min}}',
        provider: { prometheus: { address: 'http://{{args.prom}}', query: 'up{job="{{ args.job }}"}' } },
      },
    ],
    [{ name: 'prom', value: 'prometheus:9090' }, { name: 'job' }, { name: 'min', value: '0.9' }],
  );

  it('substitutes Stage args over template defaults', () => {
    const run = startAnalysis(
      [t],
      [
        { name: 'job', value: 'shop' },
        { name: 'min', value: '0.99' },
        { name: 'unused', value: 'x' },
      ],
      at(0),
    );
    assert.equal(run.phase, 'Running');
    assert.deepEqual(run.args, [
      { name: 'prom', value: 'prometheus:9090' },
      { name: 'job', value: 'shop' },
      { name: 'min', value: '0.99' },
    ]);
    assert.equal(run.metrics[0]?.metric.successCondition, 'result >= 0.99');
    assert.deepEqual(run.metrics[0]?.metric.provider, {
      type: 'prometheus',
      address: 'http://prometheus:9090',
      query: 'up{job="shop"}',
      headers: [],
    });
    assert.equal(run.nextAt, iso(0));
  });

  const errors: Array<{
    name: string;
    templates: AnalysisTemplate[];
    args: { name: string; value: string }[];
    want: string;
  }> = [
    {
      name: 'a required arg without a value',
      templates: [t],
      args: [],
      want: 'arg "job" of AnalysisTemplate checks has no value; set it in the Stage\'s spec.verification.args or give it a default value in the template',
    },
    {
      name: 'an arg from a Secret',
      templates: [
        template(
          [{ name: 'a', provider: { web: { url: 'http://x/{{args.token}}' } } }],
          [{ name: 'token', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
          'secret',
        ),
      ],
      args: [],
      want: 'arg "token" of AnalysisTemplate secret takes its value from valueFrom.secretKeyRef, which Ferry does not resolve yet; set it in the Stage\'s spec.verification.args',
    },
    {
      name: 'no templates',
      templates: [],
      args: [],
      want: 'the Stage names no analysis templates to verify with',
    },
    {
      name: 'one metric name in two templates',
      templates: [template([{ name: 'a' }], [], 'one'), template([{ name: 'a' }], [], 'two')],
      args: [],
      want: 'metric "a" is in both AnalysisTemplate/one and AnalysisTemplate/two; metric names must be unique across a Stage\'s templates',
    },
  ];
  for (const c of errors) {
    it(`ends in Error for ${c.name}`, () => {
      const run = startAnalysis(c.templates, c.args, at(0));
      assert.equal(run.phase, 'Error');
      assert.equal(run.message, c.want);
      assert.equal(run.finishedAt, iso(0));
      assert.deepEqual(run.metrics, []);
    });
  }

  it('lets a Stage value satisfy a Secret arg', () => {
    const s = template(
      [{ name: 'a', provider: { web: { url: 'http://x/{{args.token}}' } } }],
      [{ name: 'token', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
    );
    const run = startAnalysis([s], [{ name: 'token', value: 't0k' }], at(0));
    assert.equal(
      run.metrics[0]?.metric.provider.type === 'web' && run.metrics[0].metric.provider.url,
      'http://x/t0k',
    );
  });
});

describe('advanceAnalysis', () => {
  it('succeeds after count measurements, one per interval, saying when to call again', async () => {
    const t = template([{ name: 'rate', interval: '10s', count: 3, successCondition: 'result > 0.9' }]);
    const { measure, calls } = fakeMeasure({ rate: [{ value: 0.95 }, { value: 0.99 }, { value: 0.97 }] });
    const run0 = startAnalysis([t], [], at(0));
    // 5s is early: nothing is due, nothing is measured.
    const { run, nexts } = await drive(run0, [0, 5, 10, 20], measure);
    assert.deepEqual(nexts, [iso(10), iso(10), iso(20), undefined]);
    assert.equal(calls.length, 3);
    assert.equal(run.phase, 'Successful');
    assert.equal(run.message, 'metric "rate": 3 of 3 measurements succeeded');
    assert.equal(run.finishedAt, iso(20));
    assert.deepEqual(
      run.metrics[0]?.measurements.map((m) => [m.phase, m.value, m.startedAt]),
      [
        ['Successful', '0.95', iso(0)],
        ['Successful', '0.99', iso(10)],
        ['Successful', '0.97', iso(20)],
      ],
    );
    // A finished run does not move.
    const again = await advanceAnalysis(run, at(100), measure);
    assert.equal(again.run, run);
    assert.equal(again.nextAt, undefined);
  });

  it('waits for initialDelay before the first measurement', async () => {
    const t = template([{ name: 'late', initialDelay: '1m', successCondition: 'result == "ok"' }]);
    const { measure, calls } = fakeMeasure({ late: [{ value: 'ok' }] });
    const run0 = startAnalysis([t], [], at(0));
    assert.equal(run0.nextAt, iso(60));
    const { run, nexts } = await drive(run0, [0, 59, 60], measure);
    assert.deepEqual(nexts, [iso(60), iso(60), undefined]);
    assert.equal(calls.length, 1);
    assert.equal(run.metrics[0]?.phase, 'Successful');
    assert.equal(run.phase, 'Successful');
  });

  it('fails once failures exceed failureLimit, without waiting for count', async () => {
    const t = template([
      { name: 'rate', interval: '10s', count: 5, failureLimit: 1, successCondition: 'result[0] >= 0.95' },
    ]);
    const { measure } = fakeMeasure({ rate: [{ value: [0.5] }, { value: [0.99] }, { value: [0.4] }] });
    const { run, nexts } = await drive(startAnalysis([t], [], at(0)), [0, 10, 20], measure);
    assert.deepEqual(nexts, [iso(10), iso(20), undefined]);
    assert.equal(run.phase, 'Failed');
    assert.equal(
      run.message,
      'metric "rate": 2 of 3 measurements failed (failureLimit 1): successCondition "result[0] >= 0.95" does not hold',
    );
    assert.deepEqual(
      run.metrics[0]?.measurements.map((m) => [m.phase, m.value]),
      [
        ['Failed', '[0.5]'],
        ['Successful', '[0.99]'],
        ['Failed', '[0.4]'],
      ],
    );
  });

  it('is Inconclusive when neither condition holds past inconclusiveLimit', async () => {
    const t = template([{ name: 'lat', successCondition: 'result < 100', failureCondition: 'result > 500' }]);
    const { measure } = fakeMeasure({ lat: [{ value: 250 }] });
    const { run } = await drive(startAnalysis([t], [], at(0)), [0], measure);
    assert.equal(run.phase, 'Inconclusive');
    assert.equal(
      run.metrics[0]?.measurements[0]?.message,
      'neither successCondition nor failureCondition holds',
    );
    assert.equal(run.message, 'metric "lat": 1 of 1 measurements were inconclusive (inconclusiveLimit 0)');
  });

  it('errors after more than consecutiveErrorLimit errors in a row; a good measurement resets the streak', async () => {
    const t = template([{ name: 'flaky', interval: '5s', count: 3, consecutiveErrorLimit: 1 }]);
    const { measure } = fakeMeasure({
      flaky: ['throw', { value: 1 }, { error: 'HTTP 503' }, { error: 'HTTP 503' }],
    });
    const { run, nexts } = await drive(startAnalysis([t], [], at(0)), [0, 5, 10, 15], measure);
    assert.deepEqual(nexts, [iso(5), iso(10), iso(15), undefined]);
    assert.equal(run.phase, 'Error');
    assert.equal(
      run.message,
      'metric "flaky": 2 measurements in a row errored (consecutiveErrorLimit 1): HTTP 503',
    );
    const mr = run.metrics[0];
    assert.deepEqual([mr?.count, mr?.successful, mr?.error, mr?.consecutiveError], [1, 1, 3, 2]);
    assert.equal(mr?.measurements[0]?.message, 'connection refused');
  });

  it('retries an errored single measurement after 10s (Argo’s error retry interval)', async () => {
    const t = template([{ name: 'once' }]);
    const { measure } = fakeMeasure({ once: [{ error: 'timed out' }, { value: 'anything' }] });
    const { run, nexts } = await drive(startAnalysis([t], [], at(0)), [0, 10], measure);
    assert.deepEqual(nexts, [iso(10), undefined]);
    assert.equal(run.phase, 'Successful');
  });

  it('counts a condition that cannot be evaluated as an Error measurement', async () => {
    const t = template([{ name: 'c', successCondition: 'asInt(result) > 1', consecutiveErrorLimit: 0 }]);
    const { measure } = fakeMeasure({ c: [{ value: 'text' }] });
    const { run } = await drive(startAnalysis([t], [], at(0)), [0], measure);
    assert.equal(run.phase, 'Error');
    assert.equal(
      run.metrics[0]?.measurements[0]?.message,
      'condition "asInt(result) > 1" failed: asInt: "text" is not a number',
    );
    assert.equal(run.metrics[0]?.measurements[0]?.value, 'text');
  });

  it('takes the worst metric phase, stops the others when one fails, and measures metrics in parallel', async () => {
    const t = template([
      { name: 'ok', interval: '10s', count: 2 },
      { name: 'bad', interval: '10s', count: 2, successCondition: 'result == "up"' },
      { name: 'slow', interval: '10s', count: 4 },
    ]);
    const { measure, calls } = fakeMeasure({
      ok: [{ value: 1 }, { value: 1 }],
      bad: [{ value: 'up' }, { value: 'down' }],
      slow: [{ value: 1 }, { value: 1 }],
    });
    const { run } = await drive(startAnalysis([t], [], at(0)), [0, 10], measure);
    assert.equal(calls.length, 6);
    assert.deepEqual(
      run.metrics.map((m) => [m.metric.name, m.phase]),
      [
        ['ok', 'Successful'],
        ['bad', 'Failed'],
        ['slow', 'Aborted'],
      ],
    );
    assert.equal(run.metrics[2]?.message, 'stopped: metric "bad" ended Failed');
    assert.equal(run.phase, 'Failed');
  });

  it('abortAnalysis stops a running run and leaves a finished one alone', async () => {
    const t = template([{ name: 'm', interval: '10s', count: 3 }]);
    const { measure } = fakeMeasure({ m: [{ value: 1 }] });
    const { run } = await drive(startAnalysis([t], [], at(0)), [0], measure);
    const aborted = abortAnalysis(run, at(3), 'the Promotion was superseded');
    assert.equal(aborted.phase, 'Aborted');
    assert.equal(aborted.message, 'the Promotion was superseded');
    assert.equal(aborted.finishedAt, iso(3));
    assert.equal(aborted.nextAt, undefined);
    assert.equal(aborted.metrics[0]?.phase, 'Aborted');
    assert.equal(abortAnalysis(aborted, at(4), 'again'), aborted);
    assert.deepEqual(await advanceAnalysis(aborted, at(10), measure), { run: aborted });
  });

  it('keeps the run JSON-serialisable between calls', async () => {
    const t = template([{ name: 'm', interval: '10s', count: 2 }]);
    const { measure } = fakeMeasure({ m: [{ value: { a: 1 } }, { value: 2 }] });
    let { run } = await advanceAnalysis(startAnalysis([t], [], at(0)), at(0), measure);
    run = JSON.parse(JSON.stringify(run)) as AnalysisRun;
    ({ run } = await advanceAnalysis(run, at(10), measure));
    assert.equal(run.phase, 'Successful');
    assert.equal(run.metrics[0]?.measurements[0]?.value, '{"a":1}');
  });
});

describe('startVerification', () => {
  const at0 = at(0);
  const ns = template([{ name: 'a' }], [{ name: 'x' }], 'smoke');
  const cluster: AnalysisTemplate = {
    ...template([{ name: 'b' }], [], 'shared'),
    kind: 'ClusterAnalysisTemplate',
  };

  it('picks templates by kind and name and passes the Stage args', () => {
    const run = startVerification(
      {
        analysisTemplates: [{ name: 'smoke' }, { name: 'shared', kind: 'ClusterAnalysisTemplate' }],
        args: [{ name: 'x', value: '1' }],
      },
      [cluster, ns],
      at0,
    );
    assert.equal(run.phase, 'Running');
    assert.deepEqual(run.templates, ['AnalysisTemplate/smoke', 'ClusterAnalysisTemplate/shared']);
    assert.deepEqual(run.args, [{ name: 'x', value: '1' }]);
  });

  it('ends in Error naming a template that does not exist', () => {
    const run = startVerification(
      { analysisTemplates: [{ name: 'shared' }, { name: 'nope' }] },
      [cluster, ns],
      at0,
    );
    assert.equal(run.phase, 'Error');
    assert.equal(
      run.message,
      "the Stage's verification names templates that do not exist: AnalysisTemplate shared, AnalysisTemplate nope; apply them or fix spec.verification.analysisTemplates",
    );
  });
});
