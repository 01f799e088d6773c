/**
 * Reading `argoproj.io/v1alpha1` AnalysisTemplate and ClusterAnalysisTemplate manifests as users
 * write them for Argo Rollouts. Field names follow argo-rollouts `analysis_types.go`; Ferry
 * supports the `web` and `prometheus` providers and refuses the rest by name.
 */
import { type Problem, ValidationError } from '@ferry/contracts';
import { placeholders } from './args.ts';
import { conditionProblem } from './conditions.ts';
import { parseDuration } from './duration.ts';
import {
  type AnalysisTemplate,
  AnalysisTemplateKind,
  type Header,
  type Metric,
  type ProviderSpec,
  type TemplateArg,
} from './types.ts';

/** The providers Argo Rollouts knows and Ferry does not measure with yet. */
const UNSUPPORTED = [
  'kayenta',
  'datadog',
  'wavefront',
  'newRelic',
  'job',
  'cloudWatch',
  'graphite',
  'influxdb',
  'skywalking',
  'plugin',
];
const SUPPORTED = 'supported: web, prometheus';
const DEFAULT_WEB_TIMEOUT_SECONDS = 10;
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Collects problems while reading one manifest. */
class Reader {
  readonly problems: Problem[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  string(o: Obj, key: string, path: string, required: boolean): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) this.add(`${path}/${key}`, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.add(`${path}/${key}`, `must be a string, not ${JSON.stringify(v)}`);
      return undefined;
    }
    if (required && v === '') this.add(`${path}/${key}`, 'must not be empty');
    return v;
  }
  /** A non-negative integer; Argo's IntOrString accepts `"3"` too. */
  count(o: Obj, key: string, path: string): number | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      this.add(`${path}/${key}`, `must be a whole number of 0 or more, not ${JSON.stringify(v)}`);
      return undefined;
    }
    return n;
  }
  duration(o: Obj, key: string, path: string): number | undefined {
    const v = this.string(o, key, path, false);
    if (v === undefined || v === '') return undefined;
    const ms = parseDuration(v);
    if (typeof ms === 'number') return ms;
    this.add(`${path}/${key}`, `"${v}" is not a valid duration: ${ms.error}`);
    return undefined;
  }
  headers(o: Obj, path: string): Header[] {
    const v = o.headers;
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.add(`${path}/headers`, 'must be a list of {key, value}');
      return [];
    }
    const out: Header[] = [];
    v.forEach((h, i) => {
      const at = `${path}/headers/${i}`;
      if (!isObj(h)) {
        this.add(at, 'must be an object with key and value');
        return;
      }
      const key = this.string(h, 'key', at, true);
      const value = this.string(h, 'value', at, false) ?? '';
      if (key) out.push({ key, value });
    });
    return out;
  }
}

/** Reads `provider`, refusing providers Ferry does not support. */
function readProvider(r: Reader, v: unknown, path: string): ProviderSpec | undefined {
  if (!isObj(v)) {
    r.add(path, `is required: an object with one provider (${SUPPORTED})`);
    return undefined;
  }
  const keys = Object.keys(v);
  for (const k of keys) {
    if (k !== 'web' && k !== 'prometheus') {
      const known = UNSUPPORTED.includes(k) ? `provider ${k} is not supported yet` : `unknown provider ${k}`;
      r.add(`${path}/${k}`, `${known}; ${SUPPORTED}`);
    }
  }
  if (keys.length === 0) r.add(path, `names no provider; ${SUPPORTED}`);
  if (keys.length > 1)
    r.add(path, `names ${keys.length} providers (${keys.join(', ')}); a metric has exactly one`);
  if (keys.length !== 1) return undefined;
  if (isObj(v.web)) {
    const at = `${path}/web`;
    const w = v.web;
    const url = r.string(w, 'url', at, true);
    const method = r.string(w, 'method', at, false) ?? 'GET';
    if (!['GET', 'POST', 'PUT'].includes(method))
      r.add(`${at}/method`, `must be GET, POST or PUT, not "${method}"`);
    let body = r.string(w, 'body', at, false);
    if (w.jsonBody !== undefined) {
      if (body !== undefined) r.add(`${at}/jsonBody`, 'cannot be set together with body; use one');
      else body = JSON.stringify(w.jsonBody);
    }
    if (body !== undefined && method === 'GET') r.add(`${at}/body`, 'needs method POST or PUT');
    const jsonPath = r.string(w, 'jsonPath', at, false);
    const timeout = r.count(w, 'timeoutSeconds', at);
    if (timeout === 0) r.add(`${at}/timeoutSeconds`, 'must be 1 or more');
    const headers = r.headers(w, at);
    if (url === undefined) return undefined;
    const out: ProviderSpec = {
      type: 'web',
      url,
      method: method as 'GET' | 'POST' | 'PUT',
      headers,
      timeoutSeconds: timeout || DEFAULT_WEB_TIMEOUT_SECONDS,
    };
    if (body !== undefined) out.body = body;
    if (jsonPath) out.jsonPath = jsonPath;
    return out;
  }
  if (isObj(v.prometheus)) {
    const at = `${path}/prometheus`;
    const p = v.prometheus;
    const address = r.string(p, 'address', at, true);
    const query = r.string(p, 'query', at, true);
    const timeout = r.count(p, 'timeout', at);
    const headers = r.headers(p, at);
    if (address === undefined || query === undefined) return undefined;
    const out: ProviderSpec = { type: 'prometheus', address, query, headers };
    if (timeout) out.timeoutSeconds = timeout;
    return out;
  }
  const only = keys[0] ?? '';
  if (only === 'web' || only === 'prometheus') r.add(`${path}/${only}`, 'must be an object');
  return undefined;
}

/** Reads one `spec.metrics` entry. */
function readMetric(r: Reader, v: unknown, path: string): Metric | undefined {
  if (!isObj(v)) {
    r.add(path, 'must be an object');
    return undefined;
  }
  const before = r.problems.length;
  const name = r.string(v, 'name', path, true);
  const intervalMs = r.duration(v, 'interval', path);
  const initialDelayMs = r.duration(v, 'initialDelay', path) ?? 0;
  const count = r.count(v, 'count', path);
  if (intervalMs === 0) r.add(`${path}/interval`, 'must be longer than 0s');
  if (intervalMs !== undefined && !count && v.interval !== undefined) {
    r.add(
      `${path}/count`,
      'is required when interval is set: a verification must end, so say how many measurements to take',
    );
  }
  if (count !== undefined && count > 1 && v.interval === undefined) {
    r.add(`${path}/interval`, `is required when count is more than 1 (count is ${count})`);
  }
  const success = r.string(v, 'successCondition', path, false) || undefined;
  const failure = r.string(v, 'failureCondition', path, false) || undefined;
  for (const [key, expr] of [
    ['successCondition', success],
    ['failureCondition', failure],
  ] as const) {
    const problem = expr === undefined ? undefined : conditionProblem(expr);
    if (problem) r.add(`${path}/${key}`, `"${expr}" is not a valid expression: ${problem}`);
  }
  const failureLimit = r.count(v, 'failureLimit', path) ?? 0;
  const inconclusiveLimit = r.count(v, 'inconclusiveLimit', path) ?? 0;
  const consecutiveErrorLimit = r.count(v, 'consecutiveErrorLimit', path) ?? 4;
  const effective = count || 1;
  const provider = readProvider(r, v.provider, `${path}/provider`);
  if (r.problems.length > before || name === undefined || provider === undefined) return undefined;
  const metric: Metric = {
    name,
    initialDelayMs,
    count: effective,
    failureLimit,
    inconclusiveLimit,
    consecutiveErrorLimit,
    provider,
  };
  if (intervalMs !== undefined) metric.intervalMs = intervalMs;
  if (success !== undefined) metric.successCondition = success;
  if (failure !== undefined) metric.failureCondition = failure;
  return metric;
}

/** Reads `spec.args`. */
function readArgs(r: Reader, v: unknown, path: string): TemplateArg[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    r.add(path, 'must be a list of {name, value}');
    return [];
  }
  const out: TemplateArg[] = [];
  v.forEach((a, i) => {
    const at = `${path}/${i}`;
    if (!isObj(a)) {
      r.add(at, 'must be an object with a name');
      return;
    }
    const name = r.string(a, 'name', at, true);
    const value = r.string(a, 'value', at, false);
    if (name && out.some((o) => o.name === name)) r.add(`${at}/name`, `"${name}" is declared twice`);
    const arg: TemplateArg = { name: name ?? '' };
    if (value !== undefined) arg.value = value;
    if (a.valueFrom !== undefined) {
      const vf = a.valueFrom;
      if (value !== undefined) r.add(`${at}/valueFrom`, 'cannot be set together with value; use one');
      if (isObj(vf) && isObj(vf.secretKeyRef)) {
        const sk = vf.secretKeyRef;
        const n = r.string(sk, 'name', `${at}/valueFrom/secretKeyRef`, true) ?? '';
        const k = r.string(sk, 'key', `${at}/valueFrom/secretKeyRef`, true) ?? '';
        arg.valueFrom = { secretKeyRef: { name: n, key: k } };
      } else if (isObj(vf) && isObj(vf.fieldRef)) {
        arg.valueFrom = {
          fieldRef: { fieldPath: r.string(vf.fieldRef, 'fieldPath', `${at}/valueFrom/fieldRef`, true) ?? '' },
        };
      } else {
        r.add(`${at}/valueFrom`, 'must hold secretKeyRef {name, key} or fieldRef {fieldPath}');
      }
    }
    if (name) out.push(arg);
  });
  return out;
}

/**
 * Validates an AnalysisTemplate or ClusterAnalysisTemplate manifest (already parsed from YAML or
 * JSON) and returns it typed, with Argo Rollouts' defaults applied. `where` names the source (a
 * file, a Project) in the error. Throws a `ValidationError` with code `FERRY_ERR_BAD_MANIFEST`
 * listing every problem with its path, e.g. `/spec/metrics/0/provider/datadog: provider datadog
 * is not supported yet; supported: web, prometheus`.
 */
export function parseAnalysisTemplate(obj: unknown, where: string): AnalysisTemplate {
  const r = new Reader();
  const fail = () =>
    new ValidationError(`${where}: invalid analysis template`, r.problems, 'FERRY_ERR_BAD_MANIFEST');
  if (!isObj(obj)) {
    r.add('', 'must be an object (an AnalysisTemplate manifest)');
    throw fail();
  }
  if (obj.apiVersion !== 'argoproj.io/v1alpha1') {
    r.add('/apiVersion', `must be argoproj.io/v1alpha1, not ${JSON.stringify(obj.apiVersion ?? null)}`);
  }
  const kind = obj.kind;
  if (
    kind !== AnalysisTemplateKind.AnalysisTemplate &&
    kind !== AnalysisTemplateKind.ClusterAnalysisTemplate
  ) {
    r.add(
      '/kind',
      `must be AnalysisTemplate or ClusterAnalysisTemplate, not ${JSON.stringify(kind ?? null)}`,
    );
  }
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  if (!isObj(obj.metadata)) r.add('/metadata', 'is required: an object with a name');
  const name = isObj(obj.metadata) ? r.string(meta, 'name', '/metadata', true) : undefined;
  if (name && !NAME.test(name))
    r.add('/metadata/name', `"${name}" is not a valid name (lowercase letters, digits, - and .)`);
  const namespace = isObj(obj.metadata) ? r.string(meta, 'namespace', '/metadata', false) : undefined;
  const spec = obj.spec;
  if (!isObj(spec)) {
    r.add('/spec', 'is required: an object with metrics');
    throw fail();
  }
  const args = readArgs(r, spec.args, '/spec/args');
  const metrics: Metric[] = [];
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    r.add('/spec/metrics', 'must list at least one metric');
  } else {
    spec.metrics.forEach((m, i) => {
      const metric = readMetric(r, m, `/spec/metrics/${i}`);
      if (!metric) return;
      if (metrics.some((o) => o.name === metric.name))
        r.add(`/spec/metrics/${i}/name`, `"${metric.name}" is used by another metric`);
      metrics.push(metric);
      const declared = new Set(args.map((a) => a.name));
      const used = [...new Set(metricTextsRaw(m))].flatMap(placeholders);
      for (const u of new Set(used)) {
        if (!declared.has(u))
          r.add(`/spec/metrics/${i}`, `uses {{args.${u}}} but spec.args does not declare "${u}"`);
      }
    });
  }
  if (r.problems.length > 0) throw fail();
  const out: AnalysisTemplate = { kind: kind as AnalysisTemplateKind, name: name ?? '', args, metrics };
  if (namespace) out.namespace = namespace;
  return out;
}

/** Every string inside a raw metric, for finding placeholders. */
function metricTextsRaw(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(metricTextsRaw);
  if (isObj(v)) return Object.values(v).flatMap(metricTextsRaw);
  return [];
}
