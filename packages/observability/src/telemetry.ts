import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** Where and how spans are exported: the shape `@ferry/config` reads from the `OTEL_EXPORTER_OTLP_*` variables. */
export interface OtlpExportOptions {
  /** `grpc`, `http/protobuf` or `http/json`. */
  protocol: 'grpc' | 'http/protobuf' | 'http/json';
  /** Full URL: `…/v1/traces` for HTTP, `http(s)://host:port` for gRPC (`https` = TLS). */
  url: string;
  /** HTTP headers or gRPC metadata sent with every export (e.g. an API key). */
  headers: Readonly<Record<string, string>>;
}

/**
 * The span exporter for an OTLP protocol; the OTel exporters' own env reading is overridden by these
 * values. The exporter's modules load on the first export (gRPC's alone are about 2 MB of heap and
 * 4 MB resident), so a process that never exports carries none of them; a failure to load them
 * fails that export.
 */
export function createOtlpExporter(options: OtlpExportOptions): SpanExporter {
  let loading: Promise<SpanExporter> | undefined;
  const exporter = () => {
    loading ??= loadOtlpExporter(options);
    return loading;
  };
  return {
    export: (spans, done) => {
      exporter().then(
        (e) => e.export(spans, done),
        (error: Error) => done({ code: ExportResultCode.FAILED, error }),
      );
    },
    shutdown: async () => {
      if (loading) await (await loading).shutdown();
    },
    forceFlush: async () => {
      if (loading) await (await loading).forceFlush?.();
    },
  };
}

async function loadOtlpExporter(options: OtlpExportOptions): Promise<SpanExporter> {
  const headers = { ...options.headers };
  switch (options.protocol) {
    case 'grpc': {
      const [{ Metadata }, { OTLPTraceExporter }] = await Promise.all([
        import('@grpc/grpc-js'),
        import('@opentelemetry/exporter-trace-otlp-grpc'),
      ]);
      const metadata = new Metadata();
      for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
      return new OTLPTraceExporter({ url: options.url, metadata });
    }
    case 'http/json': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter({ url: options.url, headers });
    }
    case 'http/protobuf': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter({ url: options.url, headers });
    }
  }
}

/** Options for {@link initTelemetry}. */
export interface TelemetryOptions {
  /** `service.name` of every span. */
  serviceName: string;
  /** OTLP/HTTP JSON endpoint base (`http://collector:4318`); superseded by `otlp` when both are set. */
  otlpEndpoint?: string | undefined;
  /** OTLP export over gRPC or HTTP; spans are exported only when this or `otlpEndpoint` is set. */
  otlp?: OtlpExportOptions | undefined;
  /** Extra processors (tests use an in-memory exporter). */
  processors?: SpanProcessor[];
}

/** What {@link initTelemetry} set up; call `shutdown()` on exit to flush spans. */
export interface Telemetry {
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

let installed: Telemetry | undefined;

/**
 * Installs the W3C trace-context propagator, an async-local context manager and a tracer
 * provider. A provider is installed even without an exporter so every log line and message
 * still carries a real trace id. Idempotent per process: the first call wins, because
 * `pnpm start` runs every service in one process.
 */
export function initTelemetry(options: TelemetryOptions): Telemetry {
  if (installed) return installed;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const spanProcessors: SpanProcessor[] = [...(options.processors ?? [])];
  const otlp: OtlpExportOptions | undefined =
    options.otlp ??
    (options.otlpEndpoint
      ? { protocol: 'http/json', url: `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`, headers: {} }
      : undefined);
  if (otlp) {
    spanProcessors.push(
      new BatchSpanProcessor({ exporter: createOtlpExporter(otlp), scheduledDelayMillis: 500 }),
    );
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors,
  });
  trace.setGlobalTracerProvider(provider);
  installed = {
    shutdown: () => provider.shutdown(),
    forceFlush: () => provider.forceFlush(),
  };
  return installed;
}

/** The tracer Ferry's code uses. */
export const tracer = () => trace.getTracer('ferry');

/** Header carrier as NATS and HTTP expose it. */
export interface HeaderCarrier {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

/** Writes the active (or given) context's `traceparent`/`tracestate` into a carrier. */
export function injectTraceContext(carrier: HeaderCarrier, ctx: Context = context.active()): void {
  propagation.inject(ctx, carrier, {
    set: (c, k, v) => c.set(k, v),
  });
}

/** Reads a context from a carrier's `traceparent`; the active context when none is present. */
export function extractTraceContext(carrier: HeaderCarrier): Context {
  return propagation.extract(context.active(), carrier, {
    get: (c, k) => c.get(k),
    keys: () => ['traceparent', 'tracestate'],
  });
}

/** A context whose parent is the given W3C traceparent string (kept on a Promotion). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!traceparent) return context.active();
  return extractTraceContext({
    get: (k) => (k === 'traceparent' ? traceparent : undefined),
    set: () => {},
  });
}

/** The W3C traceparent of a context, or undefined when it has no valid span. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  let value: string | undefined;
  injectTraceContext(
    {
      get: () => undefined,
      set: (k, v) => {
        if (k === 'traceparent') value = v;
      },
    },
    ctx,
  );
  return value;
}

/** The trace id of the active span, or undefined. */
export function currentTraceId(): string | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc && sc.traceId !== '00000000000000000000000000000000' ? sc.traceId : undefined;
}

/** Span kinds re-exported so callers need not import the API package. */
export const Kinds = {
  internal: SpanKind.INTERNAL,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
} as const;

/**
 * Runs `fn` inside a new span (child of `parent` or of the active context), ending it when
 * `fn` settles and recording a thrown error on it.
 */
export async function withSpan<T>(
  name: string,
  options: {
    attributes?: Attributes;
    kind?: SpanKind;
    parent?: Context;
    /** Start a trace of its own (no parent), e.g. for work that another trace only caused. */
    root?: boolean;
    /** W3C traceparents of spans this one links to (a cause in another trace); invalid ones are skipped. */
    links?: readonly (string | undefined)[];
  },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.root ? ROOT_CONTEXT : (options.parent ?? context.active());
  const links = (options.links ?? []).flatMap((tp) => {
    const sc = tp
      ? trace.getSpanContext(
          propagation.extract(ROOT_CONTEXT, tp, {
            get: (c, k) => (k === 'traceparent' ? c : undefined),
            keys: () => ['traceparent'],
          }),
        )
      : undefined;
    return sc && trace.isSpanContextValid(sc) ? [{ context: sc }] : [];
  });
  const span = tracer().startSpan(
    name,
    { attributes: options.attributes, kind: options.kind, links },
    parent,
  );
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
