import { trace } from '@opentelemetry/api';
import { type Histogram, type LabelValues, Registry } from 'prom-client';
import { registry } from './metrics.ts';

// Exemplars tie a histogram observation to the trace that made it, so Grafana can jump from a slow
// bucket to the trace in Tempo. prom-client writes them only in the OpenMetrics format, so /metrics
// answers OpenMetrics to a scraper that asks for it and the plain text format to everyone else.

/** The exemplar label carrying a trace id; the Grafana data source links it to Tempo. */
export const EXEMPLAR_TRACE_LABEL = 'trace_id';

/** The trace id inside a W3C traceparent (`00-<trace id>-<span id>-<flags>`); undefined when malformed or all zero. */
export function traceIdOfTraceparent(traceparent: string | undefined): string | undefined {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '');
  return m && !/^0+$/.test(m[1]!) ? m[1] : undefined;
}

/** `{ trace_id }` of the given trace id, else of the active span; empty (no exemplar) when neither is valid. */
export function traceExemplar(traceId?: string): Record<string, string> {
  const id = traceId ?? trace.getActiveSpan()?.spanContext().traceId;
  return id && /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id) ? { [EXEMPLAR_TRACE_LABEL]: id } : {};
}

/**
 * Registers an exemplar-enabled histogram (created with `enableExemplars: true, registers: []`) on
 * the process registry, and makes its `startTimer` default the exemplar to the trace active when the
 * timer starts, so callers keep writing `const end = h.startTimer(labels); …; end()`. prom-client
 * refuses exemplars on a plain-format registry at construction only; the plain rendering skips them.
 */
export function withTraceExemplars<T extends string>(h: Histogram<T>, on: Registry = registry): Histogram<T> {
  on.registerMetric(h);
  const start = h.startTimer.bind(h) as (
    labels?: LabelValues<T>,
    exemplarLabels?: Record<string, string>,
  ) => (labels?: LabelValues<T>) => number;
  h.startTimer = ((labels?: LabelValues<T>, exemplarLabels?: Record<string, string>) =>
    start(labels, exemplarLabels ?? traceExemplar())) as Histogram<T>['startTimer'];
  return h;
}

/**
 * Records one observation on an exemplar-enabled histogram with the trace id as exemplar (the given
 * one, else the active span's). Such histograms take only this form of `observe`.
 */
export function observeWithTrace<T extends string>(
  h: Histogram<T>,
  labels: LabelValues<T>,
  value: number,
  traceId?: string,
): void {
  h.observe({ labels, value, exemplarLabels: traceExemplar(traceId) as LabelValues<T> });
}

/** Content type of the plain Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
/** Content type of the OpenMetrics text format (the one that carries exemplars). */
export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

// Renders in OpenMetrics without touching the shared metric objects: prom-client's OpenMetrics
// registry renames counters in place (drops `_total`), which would break the plain format served
// from the same objects. The renamed copy lives only for this rendering.
// prom-client's JS API beyond its typings: the Registry constructor takes the content type, and
// getMetricsAsString renders one metric from its get().
interface MetricRenderer {
  getMetricsAsString(metric: { get(): Promise<unknown> }): Promise<string>;
}
const openMetricsRenderer = new (Registry as unknown as new (contentType: string) => MetricRenderer)(
  Registry.OPENMETRICS_CONTENT_TYPE,
);

/** A metric as the registry holds it: histograms render from `getForPromString`. */
type Renderable = { get(): Promise<unknown>; getForPromString?: () => Promise<unknown> };

/** The process registry in the OpenMetrics text format, exemplars included, ending with `# EOF`. */
export async function openMetricsText(source: Registry = registry): Promise<string> {
  const parts = await Promise.all(
    source.getMetricsAsArray().map((metric) => {
      const m = metric as unknown as Renderable;
      const view = {
        get: async () => {
          const data = (m.getForPromString ? await m.getForPromString() : await m.get()) as {
            name: string;
            type: string;
          };
          return data.type === 'counter' ? { ...data, name: data.name.replace(/_total$/, '') } : data;
        },
      };
      return openMetricsRenderer.getMetricsAsString(view);
    }),
  );
  return `${parts.join('\n')}\n# EOF\n`;
}

/** True when an Accept header asks for OpenMetrics (as Prometheus does) before the plain format. */
export function acceptsOpenMetrics(accept: string | undefined): boolean {
  let om = -1;
  let plain = -1;
  for (const part of (accept ?? '').split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? '1');
    const weight = Number.isFinite(q) ? q : 0;
    if (type === 'application/openmetrics-text') om = Math.max(om, weight);
    else if (type === 'text/plain' || type === '*/*') plain = Math.max(plain, weight);
  }
  return om > 0 && om >= plain;
}

/** What `GET /metrics` answers for an Accept header: OpenMetrics with exemplars when asked, else plain text. */
export async function metricsExposition(
  accept: string | undefined,
  source: Registry = registry,
): Promise<{ contentType: string; body: string }> {
  return acceptsOpenMetrics(accept)
    ? { contentType: OPENMETRICS_CONTENT_TYPE, body: await openMetricsText(source) }
    : { contentType: source.contentType, body: await source.metrics() };
}
