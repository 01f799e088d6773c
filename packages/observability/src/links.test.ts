import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { initTelemetry, traceparentOf, withSpan } from './telemetry.ts';

type Ended = { name: string; traceId: string; parent: string | undefined; links: string[] };

test('withSpan: root starts a trace of its own and links point at the traceparents given', async () => {
  const ended: Ended[] = [];
  const processor: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) =>
      ended.push({
        name: span.name,
        traceId: span.spanContext().traceId,
        parent: span.parentSpanContext?.spanId,
        links: span.links.map((l) => `${l.context.traceId}/${l.context.spanId}`),
      }),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const telemetry = initTelemetry({ serviceName: 'links-test', processors: [processor] });
  try {
    let cause = '';
    await withSpan('discover', {}, async () => {
      cause = traceparentOf()!;
      await withSpan(
        'promote',
        { root: true, links: [cause, undefined, 'not-a-traceparent'] },
        async () => {},
      );
      await withSpan('child', {}, async () => {});
    });
    const [, causeTrace, causeSpan] = cause.split('-');
    const byName = new Map(ended.map((s) => [s.name, s]));
    const promote = byName.get('promote')!;
    assert.notEqual(promote.traceId, causeTrace, 'a trace of its own');
    assert.equal(promote.parent, undefined);
    assert.deepEqual(promote.links, [`${causeTrace}/${causeSpan}`]);
    assert.equal(byName.get('child')!.traceId, causeTrace);
    assert.equal(byName.get('child')!.parent, causeSpan);
    assert.deepEqual(byName.get('discover')!.links, []);
  } finally {
    await telemetry.shutdown();
  }
});
