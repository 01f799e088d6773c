import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initTelemetry, withSpan } from '@ferry/observability';
import { discoveryDuration } from './catalogue.ts';
import { recordPromotionFinished } from './dora.ts';
import {
  acceptsOpenMetrics,
  metricsExposition,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  traceIdOfTraceparent,
} from './exemplars.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

test('traceIdOfTraceparent reads only well-formed, non-zero traceparents', () => {
  const cases: [string | undefined, string | undefined][] = [
    [`00-${TRACE}-00f067aa0ba902b7-01`, TRACE],
    [`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, undefined],
    [`00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`, undefined],
    [`00-${TRACE}-00f067aa0ba902b7`, undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [tp, want] of cases) assert.equal(traceIdOfTraceparent(tp), want, String(tp));
});

test('acceptsOpenMetrics follows the Accept header and its q weights', () => {
  const prometheus =
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
  const cases: [string | undefined, boolean][] = [
    [prometheus, true],
    ['application/openmetrics-text; version=1.0.0', true],
    ['text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5', false],
    ['application/openmetrics-text;q=0', false],
    ['*/*', false],
    ['', false],
    [undefined, false],
  ];
  for (const [accept, want] of cases) assert.equal(acceptsOpenMetrics(accept), want, String(accept));
});

test('Promotion and discovery durations carry trace ids as exemplars in OpenMetrics only', async () => {
  initTelemetry({ serviceName: 'exemplar-test' });
  recordPromotionFinished('ex', 'dev', {
    metadata: { name: 'p1' },
    status: {
      phase: 'Succeeded',
      createdAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:00:03Z',
      traceparent: `00-${TRACE}-00f067aa0ba902b7-01`,
    },
  });
  const discoveryTrace = await withSpan('discover warehouse', {}, async (span) => {
    const end = discoveryDuration.startTimer({ project: 'ex' });
    end();
    return span.spanContext().traceId;
  });
  // Outside any span: an observation without exemplar still counts.
  discoveryDuration.startTimer({ project: 'ex2' })();

  const om = await metricsExposition(
    'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5',
  );
  assert.equal(om.contentType, OPENMETRICS_CONTENT_TYPE);
  assert.match(
    om.body,
    new RegExp(
      `^ferry_promotion_duration_seconds_bucket\\{le="5",project="ex",stage="dev",phase="Succeeded"\\} 1 # \\{trace_id="${TRACE}"\\} 3 \\d+(\\.\\d+)?$`,
      'm',
    ),
  );
  assert.match(
    om.body,
    new RegExp(
      `^ferry_discovery_duration_seconds_bucket\\{le="0.1",project="ex"\\} 1 # \\{trace_id="${discoveryTrace}"\\} `,
      'm',
    ),
  );
  assert.match(om.body, /^ferry_discovery_duration_seconds_bucket\{le="0.1",project="ex2"\} 1$/m);
  assert.match(om.body, /^# TYPE ferry_promotions_finished counter$/m);
  assert.match(om.body, /^ferry_promotions_finished_total\{project="ex",stage="dev",phase="Succeeded"\} 1$/m);
  assert.ok(om.body.endsWith('\n# EOF\n'));
  assert.equal(om.body.match(/# EOF/g)?.length, 1);

  // The plain format, rendered after the OpenMetrics one, is untouched: no exemplars, counter names whole.
  for (const accept of [undefined, 'text/plain', '*/*']) {
    const plain = await metricsExposition(accept);
    assert.equal(plain.contentType, PROMETHEUS_CONTENT_TYPE);
    assert.doesNotMatch(plain.body, /trace_id|# EOF/);
    assert.match(plain.body, /^# TYPE ferry_promotions_finished_total counter$/m);
    assert.match(
      plain.body,
      /^ferry_promotions_finished_total\{project="ex",stage="dev",phase="Succeeded"\} 1$/m,
    );
    assert.match(
      plain.body,
      /^ferry_promotion_duration_seconds_bucket\{le="5",project="ex",stage="dev",phase="Succeeded"\} 1$/m,
    );
  }
});
