import type { Problem } from '@ferry/contracts';

// The OpenTelemetry exporter settings, read the way the OTel specification defines the standard
// OTLP variables: a signal-specific variable (`OTEL_EXPORTER_OTLP_TRACES_*`) wins over the general
// one, the general endpoint is a base URL to which HTTP exporters add `/v1/traces`, and headers are
// `key=value` pairs, comma separated, with URL-encoded values.

/** The OTLP transports Ferry can export traces with (`OTEL_EXPORTER_OTLP_PROTOCOL` values). */
export const OtlpProtocols = {
  /** OTLP over gRPC (`TraceService/Export`), usually port 4317. */
  grpc: 'grpc',
  /** Protobuf bodies over HTTP `POST /v1/traces`, usually port 4318: the specification's default. */
  httpProtobuf: 'http/protobuf',
  /** JSON bodies over HTTP `POST /v1/traces`. */
  httpJson: 'http/json',
} as const;
/** One of {@link OtlpProtocols}. */
export type OtlpProtocol = (typeof OtlpProtocols)[keyof typeof OtlpProtocols];

/** Where and how spans are exported; present only when an endpoint is set. */
export interface OtlpExportConfig {
  /** Transport (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, default `http/protobuf`). */
  protocol: OtlpProtocol;
  /**
   * The URL spans go to. For HTTP: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. For gRPC: either endpoint as given (its path is
   * ignored); `http://` means plaintext, `https://` TLS.
   */
  url: string;
  /**
   * Headers (HTTP) or metadata (gRPC) sent with every export, e.g. an API key
   * (`OTEL_EXPORTER_OTLP_HEADERS`, overridden key by key by `OTEL_EXPORTER_OTLP_TRACES_HEADERS`).
   * Never logged.
   */
  headers: Readonly<Record<string, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

const PROTOCOLS: readonly string[] = Object.values(OtlpProtocols);

/**
 * Reads the OTLP trace exporter settings; undefined when no endpoint is set (spans are then kept
 * in-process only). Each bad setting becomes a problem naming its variable.
 */
export function otlpExportConfig(env: Env, problems: Problem[]): OtlpExportConfig | undefined {
  const rawProtocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || '';
  const protocolVar = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  let protocol: OtlpProtocol = OtlpProtocols.httpProtobuf;
  if (rawProtocol) {
    if (PROTOCOLS.includes(rawProtocol)) protocol = rawProtocol as OtlpProtocol;
    else
      problems.push({
        path: protocolVar,
        message: `must be one of ${PROTOCOLS.join(', ')}, got "${rawProtocol}"`,
      });
  }
  const headers = {
    ...otlpHeaders('OTEL_EXPORTER_OTLP_HEADERS', env.OTEL_EXPORTER_OTLP_HEADERS ?? '', problems),
    ...otlpHeaders(
      'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
      env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? '',
      problems,
    ),
  };
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const [name, raw] = signal
    ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', signal]
    : ['OTEL_EXPORTER_OTLP_ENDPOINT', base ?? ''];
  if (!raw) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    problems.push({ path: name, message: `is not a URL: "${raw}"; write it like http://collector:4318` });
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    problems.push({ path: name, message: `must use http: or https:, got "${parsed.protocol}"` });
    return undefined;
  }
  let url = raw.trim();
  if (protocol === OtlpProtocols.grpc) {
    if (parsed.pathname !== '/' && parsed.pathname !== '') {
      problems.push({
        path: name,
        message: `a gRPC endpoint has no path, got "${parsed.pathname}"; write it like http://collector:4317`,
      });
    }
    url = `${parsed.protocol}//${parsed.host}`;
  } else if (!signal) {
    url = `${url.replace(/\/+$/, '')}/v1/traces`;
  }
  return { protocol, url, headers: Object.freeze(headers) };
}

// `key=value` pairs, comma separated, values URL-encoded (W3C Baggage syntax, as the OTel spec
// says). A bad pair is a problem naming its position only: values are often API keys.
function otlpHeaders(name: string, raw: string, problems: Problem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, part] of raw.split(',').entries()) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim().toLowerCase() : '';
    let value = eq > 0 ? part.slice(eq + 1).trim() : '';
    try {
      value = decodeURIComponent(value);
    } catch {
      value = '';
    }
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(key) || !value) {
      problems.push({
        path: name,
        message: `entry #${i + 1} is not key=value with a header name and a URL-encoded value, like "api-key=secret"`,
      });
      continue;
    }
    out[key] = value;
  }
  return out;
}
