import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** One span as an OTLP export carries it, with its service. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  /** The span's attributes, by key (string, int, double and bool values; others left out). */
  attributes: Record<string, string | number | boolean>;
  /** The span's links (trace and span ids of the linked spans). */
  links: { traceId: string; spanId: string }[];
}

/** How one export request reached the receiver. */
export interface ReceivedExport {
  /** The OTLP protocol, as `OTEL_EXPORTER_OTLP_PROTOCOL` names it. */
  protocol: 'grpc' | 'http/protobuf' | 'http/json';
  /** Request headers (HTTP) or metadata (gRPC), keys lower-cased. */
  headers: Record<string, string>;
  /** Spans in the request. */
  spans: number;
}

// The messages of opentelemetry-proto's collector/trace/v1/trace_service.proto and the files it
// imports (trace, resource, common), written down from the OTLP specification. Only what a trace
// export carries; unknown fields (newer additions) are skipped by the decoder.
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package opentelemetry.proto;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  fixed32 flags = 16;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  uint32 dropped_attributes_count = 10;
  repeated Event events = 11;
  uint32 dropped_events_count = 12;
  repeated Link links = 13;
  uint32 dropped_links_count = 14;
  Status status = 15;
  message Event {
    fixed64 time_unix_nano = 1;
    string name = 2;
    repeated KeyValue attributes = 3;
    uint32 dropped_attributes_count = 4;
  }
  message Link {
    bytes trace_id = 1;
    bytes span_id = 2;
    string trace_state = 3;
    repeated KeyValue attributes = 4;
    uint32 dropped_attributes_count = 5;
    fixed32 flags = 6;
  }
}
message Status { string message = 2; int32 code = 3; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
`;

const root = protobuf.parse(OTLP_TRACE_PROTO).root;
const ExportRequest = root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');
const ExportResponse = root.lookupType('opentelemetry.proto.ExportTraceServiceResponse');

/** The gRPC method OTLP exporters call. */
const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** One attribute value as both encodings give it after decoding (ints are strings in OTLP JSON). */
type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
};

/** An export request in the shape of OTLP JSON; the protobuf decoder is asked for the same shape. */
interface ExportDoc {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: OtlpValue }> };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: Array<{ key: string; value: OtlpValue }>;
        links?: Array<{ traceId: string; spanId: string }>;
      }>;
    }>;
  }>;
}

function attributesOf(
  list: Array<{ key: string; value: OtlpValue }> | undefined,
): ReceivedSpan['attributes'] {
  const out: ReceivedSpan['attributes'] = {};
  for (const { key, value } of list ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

/** Decodes a protobuf `ExportTraceServiceRequest` into the OTLP JSON shape (ids as lower-case hex). */
export function decodeOtlpTraceRequest(body: Uint8Array): ExportDoc {
  const msg = ExportRequest.decode(body);
  const doc = ExportRequest.toObject(msg, { longs: String, bytes: String, defaults: false, oneofs: false });
  // protobufjs gives bytes as base64; OTLP JSON (and Ferry's traceparents) use hex.
  const hex = (b64: unknown) => (typeof b64 === 'string' ? Buffer.from(b64, 'base64').toString('hex') : '');
  for (const rs of (doc as ExportDoc).resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? []) {
        s.traceId = hex(s.traceId);
        s.spanId = hex(s.spanId);
        s.parentSpanId = hex(s.parentSpanId);
        s.kind = s.kind ?? 0;
        for (const l of s.links ?? []) {
          l.traceId = hex(l.traceId);
          l.spanId = hex(l.spanId);
        }
      }
  return doc as ExportDoc;
}

/** A small OTLP receiver for traces: HTTP (`POST /v1/traces`, JSON or protobuf) and gRPC. */
export interface OtlpReceiver {
  /** Base URL of the HTTP endpoint, for `OTEL_EXPORTER_OTLP_ENDPOINT` with an `http/*` protocol. */
  url: string;
  /** URL of the gRPC endpoint (`http://127.0.0.1:PORT`), for `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`. */
  grpcUrl: string;
  /** Every span received, over either transport, in arrival order. */
  spans: ReceivedSpan[];
  /** Every export request received: its protocol, headers and span count. */
  exports: ReceivedExport[];
  close(): Promise<void>;
}

/**
 * Starts a receiver that keeps every exported span. It answers as a collector does (an empty
 * partial success) over HTTP and over gRPC (`TraceService/Export`), and refuses an HTTP body that
 * is neither JSON nor protobuf with 415, so a test learns at once when the exporter is wrong.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const exports: ReceivedExport[] = [];
  const keep = (doc: ExportDoc, protocol: ReceivedExport['protocol'], headers: Record<string, string>) => {
    const before = spans.length;
    for (const rs of doc.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          spans.push({
            service,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            name: s.name,
            kind: s.kind,
            attributes: attributesOf(s.attributes),
            links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          });
        }
      }
    }
    exports.push({ protocol, headers, spans: spans.length - before });
  };

  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const type = String(req.headers['content-type']);
      const json = type.includes('json');
      if (!json && !type.includes('application/x-protobuf')) {
        res
          .writeHead(415, { 'content-type': 'text/plain' })
          .end('only application/json and application/x-protobuf are accepted here');
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      );
      try {
        if (json) keep(JSON.parse(body.toString('utf8')) as ExportDoc, 'http/json', headers);
        else keep(decodeOtlpTraceRequest(body), 'http/protobuf', headers);
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot decode: ${(err as Error).message}`);
        return;
      }
      if (json) res.writeHead(200, { 'content-type': 'application/json' }).end('{"partialSuccess":{}}');
      else
        res
          .writeHead(200, { 'content-type': 'application/x-protobuf' })
          .end(Buffer.from(ExportResponse.encode(ExportResponse.create({})).finish()));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const httpPort = (http.address() as { port: number }).port;

  const grpc = new Server();
  grpc.addService(
    {
      Export: {
        path: EXPORT_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: (doc: ExportDoc) =>
          Buffer.from(ExportRequest.encode(ExportRequest.fromObject(doc)).finish()),
        requestDeserialize: (buf: Buffer) => decodeOtlpTraceRequest(buf),
        responseSerialize: (v: object) =>
          Buffer.from(ExportResponse.encode(ExportResponse.fromObject(v)).finish()),
        responseDeserialize: (buf: Buffer) => ExportResponse.toObject(ExportResponse.decode(buf)),
      },
    },
    {
      Export: (call: ServerUnaryCall<ExportDoc, object>, callback: sendUnaryData<object>) => {
        const headers = Object.fromEntries(
          Object.entries(call.metadata.getMap()).map(([k, v]) => [k, String(v)]),
        );
        keep(call.request, 'grpc', headers);
        callback(null, {});
      },
    },
  );
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );

  return {
    url: `http://127.0.0.1:${httpPort}`,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    spans,
    exports,
    close: async () => {
      grpc.forceShutdown();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
