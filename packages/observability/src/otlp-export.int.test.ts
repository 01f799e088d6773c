import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ferry/config';
import { type OtlpReceiver, startOtlpReceiver } from '@ferry/support';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  contextFromTraceparent,
  createOtlpExporter,
  initTelemetry,
  traceparentOf,
  withSpan,
} from './telemetry.ts';

// Spans exported for real, over each OTLP protocol, to a receiver that decodes them (gRPC and
// protobuf bodies with the OTLP .proto messages): the tree must arrive with its parents intact.

let receiver: OtlpReceiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(async () => {
  await receiver.close();
});

const waitFor = async (ok: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

for (const protocol of ['grpc', 'http/protobuf', 'http/json'] as const) {
  test(`${protocol}: a span tree arrives with parents, attributes, links and headers`, async () => {
    const base = protocol === 'grpc' ? receiver.grpcUrl : receiver.url;
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: base,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=k%3D${protocol.replace('/', '-')}`,
    });
    assert.ok(config.otlp);
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': `svc-${protocol}` }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: createOtlpExporter(config.otlp) })],
    });
    const tracer = provider.getTracer('otlp-test');
    const cause = tracer.startSpan('cause', {}, ROOT_CONTEXT);
    cause.end();
    const root = tracer.startSpan('root', { attributes: { 'ferry.stage': 'dev', 'ferry.batch.size': 3 } });
    const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root));
    const grandchild = tracer.startSpan(
      'grandchild',
      { links: [{ context: cause.spanContext() }] },
      trace.setSpan(ROOT_CONTEXT, child),
    );
    grandchild.end();
    child.end();
    root.end();
    await provider.forceFlush();
    await provider.shutdown();

    const traceId = root.spanContext().traceId;
    await waitFor(() => receiver.spans.filter((s) => s.traceId === traceId).length === 3, 'three spans');
    const mine = receiver.spans.filter((s) => s.traceId === traceId);
    const byName = new Map(mine.map((s) => [s.name, s]));
    assert.equal(byName.get('root')?.parentSpanId, '');
    assert.equal(byName.get('child')?.parentSpanId, root.spanContext().spanId);
    assert.equal(byName.get('grandchild')?.parentSpanId, child.spanContext().spanId);
    assert.equal(byName.get('grandchild')?.spanId, grandchild.spanContext().spanId);
    assert.deepEqual(byName.get('grandchild')?.links, [
      { traceId: cause.spanContext().traceId, spanId: cause.spanContext().spanId },
    ]);
    assert.deepEqual(byName.get('root')?.attributes, { 'ferry.stage': 'dev', 'ferry.batch.size': 3 });
    assert.equal(byName.get('root')?.service, `svc-${protocol}`);
    const exp = receiver.exports.filter((e) => e.protocol === protocol);
    assert.ok(exp.length > 0, `an export over ${protocol}`);
    assert.ok(exp.every((e) => e.headers['x-api-key'] === `k=${protocol.replace('/', '-')}`));
  });
}

test('initTelemetry exports over gRPC: a trace crossing a process boundary keeps its parents', async () => {
  const config = loadConfig({
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcUrl,
  });
  const telemetry = initTelemetry({ serviceName: 'ferry-grpc-test', otlp: config.otlp });
  let sent: string | undefined;
  const traceId = await withSpan('api request', {}, async (span) => {
    await withSpan('publish', {}, async () => {
      sent = traceparentOf();
    });
    return span.spanContext().traceId;
  });
  // The receiving side only has the traceparent a NATS header carried.
  await withSpan('process', { parent: contextFromTraceparent(sent) }, async () => {
    await withSpan('git push', {}, async () => {});
  });
  await telemetry.forceFlush();
  await waitFor(() => receiver.spans.filter((s) => s.traceId === traceId).length === 4, 'four spans');
  const mine = receiver.spans.filter((s) => s.traceId === traceId);
  const ids = new Set(mine.map((s) => s.spanId));
  assert.deepEqual(
    mine.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId)).map((s) => s.name),
    [],
    'no orphan spans',
  );
  const parentName = (name: string) => {
    const s = mine.find((x) => x.name === name);
    return mine.find((x) => x.spanId === s?.parentSpanId)?.name;
  };
  assert.deepEqual(['api request', 'publish', 'process', 'git push'].map(parentName), [
    undefined,
    'api request',
    'publish',
    'process',
  ]);
  assert.ok(mine.every((s) => s.service === 'ferry-grpc-test'));
  assert.ok(receiver.exports.some((e) => e.protocol === 'grpc'));
  await telemetry.shutdown();
});
