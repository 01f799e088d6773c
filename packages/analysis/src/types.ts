/**
 * The shapes of Argo Rollouts analysis as Ferry runs it: templates as users write them (after
 * validation) and the JSON-serialisable run state a caller stores between `advanceAnalysis` calls.
 */

/** The phase of a run, a metric or one measurement, spelled as Argo Rollouts spells it. */
export const AnalysisPhase = {
  Pending: 'Pending',
  Running: 'Running',
  Successful: 'Successful',
  Failed: 'Failed',
  Error: 'Error',
  Inconclusive: 'Inconclusive',
  /** Stopped from outside (`abortAnalysis`) or because another metric failed first. */
  Aborted: 'Aborted',
} as const;
/** One of the analysis phases. */
export type AnalysisPhase = (typeof AnalysisPhase)[keyof typeof AnalysisPhase];

/** The two template kinds Ferry reads; both have the same `spec`. */
export const AnalysisTemplateKind = {
  AnalysisTemplate: 'AnalysisTemplate',
  ClusterAnalysisTemplate: 'ClusterAnalysisTemplate',
} as const;
/** `AnalysisTemplate` (namespaced, i.e. per Project) or `ClusterAnalysisTemplate` (shared). */
export type AnalysisTemplateKind = (typeof AnalysisTemplateKind)[keyof typeof AnalysisTemplateKind];

/** Where an argument's value comes from when the template gives no literal value. */
export interface ArgValueFrom {
  /** A key of a Kubernetes Secret; Ferry does not read Secrets for args yet. */
  secretKeyRef?: { name: string; key: string };
  /** A field of the rollout object; meaningless outside Argo Rollouts, kept so it can be named. */
  fieldRef?: { fieldPath: string };
}

/** One `spec.args` entry of a template. */
export interface TemplateArg {
  /** The name `{{args.<name>}}` refers to. */
  name: string;
  /** The default value; empty when the Stage must give one (or `valueFrom` does). */
  value?: string;
  /** A reference instead of a literal value; empty for plain args. */
  valueFrom?: ArgValueFrom;
}

/** One HTTP header of a provider request. */
export interface Header {
  /** Header name. */
  key: string;
  /** Header value; may hold `{{args.x}}` until the run resolves it. */
  value: string;
}

/** `provider.web`: an HTTP request whose JSON answer (or a part of it) is the result. */
export interface WebProviderSpec {
  /** Discriminates the provider kinds. */
  type: 'web';
  /** The URL to call. */
  url: string;
  /** `GET` (the default), `POST` or `PUT`. */
  method: 'GET' | 'POST' | 'PUT';
  /** Request headers, in order. */
  headers: Header[];
  /** Request body for POST/PUT; `jsonBody` from the manifest arrives here serialised. Empty for none. */
  body?: string;
  /** The part of the answer that is the result (`{$.data.ok}`); empty for the whole answer. */
  jsonPath?: string;
  /** How long the request may take; 10 when the manifest omits it, as in Argo Rollouts. */
  timeoutSeconds: number;
}

/** `provider.prometheus`: an instant query against the Prometheus HTTP API. */
export interface PrometheusProviderSpec {
  /** Discriminates the provider kinds. */
  type: 'prometheus';
  /** Base URL of the Prometheus server, e.g. `http://prometheus.monitoring:9090`. */
  address: string;
  /** The PromQL instant query. */
  query: string;
  /** Query timeout in seconds; empty for the server's default. */
  timeoutSeconds?: number;
  /** Extra request headers (e.g. a bearer token), in order. */
  headers: Header[];
}

/** The providers Ferry can measure with. */
export type ProviderSpec = WebProviderSpec | PrometheusProviderSpec;

/** One `spec.metrics` entry, validated, with defaults applied. */
export interface Metric {
  /** Metric name, unique within a run. */
  name: string;
  /** Time between measurements in ms; empty when the metric measures once. */
  intervalMs?: number;
  /** Time from the start of the run to the first measurement, in ms (0 when omitted). */
  initialDelayMs: number;
  /** How many conclusive measurements to take; 1 when neither count nor interval is given. */
  count: number;
  /** expr over `result`; a measurement where it holds is Successful. Empty for none. */
  successCondition?: string;
  /** expr over `result`; a measurement where it holds is Failed. Empty for none. */
  failureCondition?: string;
  /** Failed measurements tolerated before the metric fails (default 0). */
  failureLimit: number;
  /** Inconclusive measurements tolerated before the metric is Inconclusive (default 0). */
  inconclusiveLimit: number;
  /** Errors in a row tolerated before the metric is Error (default 4). */
  consecutiveErrorLimit: number;
  /** What to measure with. */
  provider: ProviderSpec;
}

/** A validated `AnalysisTemplate` or `ClusterAnalysisTemplate`. */
export interface AnalysisTemplate {
  /** Which of the two kinds the manifest declared. */
  kind: AnalysisTemplateKind;
  /** `metadata.name`. */
  name: string;
  /** `metadata.namespace`; empty for cluster templates and manifests without one. */
  namespace?: string;
  /** Declared args, in order. */
  args: TemplateArg[];
  /** Metrics, in order. */
  metrics: Metric[];
}

/** One `spec.verification.args` entry of a Kargo Stage: a value for a template arg. */
export interface StageArg {
  /** The template arg it sets. */
  name: string;
  /** The value; wins over the template's default. */
  value: string;
}

/** One measurement of a metric. */
export interface Measurement {
  /** Successful, Failed, Inconclusive or Error (Running never persists). */
  phase: AnalysisPhase;
  /** The result as text (JSON for non-strings); empty when the provider failed. */
  value?: string;
  /** ISO time the measurement started. */
  startedAt: string;
  /** ISO time it finished. */
  finishedAt: string;
  /** Why it is Error or Inconclusive; empty otherwise. */
  message?: string;
}

/** A metric's progress inside a run. */
export interface MetricRun {
  /** The metric, with every `{{args.x}}` already substituted. */
  metric: Metric;
  /** The template it came from (`kind/name`). */
  template: string;
  /** Pending until the first measurement, Running until concluded. */
  phase: AnalysisPhase;
  /** Why the metric ended as it did; empty while it runs. */
  message?: string;
  /** Measurements in the order taken. */
  measurements: Measurement[];
  /** Conclusive measurements (successful + failed + inconclusive). */
  count: number;
  /** Successful measurements. */
  successful: number;
  /** Failed measurements. */
  failed: number;
  /** Inconclusive measurements. */
  inconclusive: number;
  /** Error measurements in total. */
  error: number;
  /** Error measurements in a row; reset by any conclusive one. */
  consecutiveError: number;
  /** ISO time the next measurement is due; empty once the metric concluded. */
  nextAt?: string;
}

/** One verification: the state `startAnalysis` creates and `advanceAnalysis` moves on. */
export interface AnalysisRun {
  /** Overall phase: Running while a metric runs, then the worst metric phase. */
  phase: AnalysisPhase;
  /** Why the run ended as it did (the first metric that decided it, or the error). */
  message?: string;
  /** ISO start time. */
  startedAt: string;
  /** ISO end time; empty while running. */
  finishedAt?: string;
  /** The templates the run was made from (`kind/name`). */
  templates: string[];
  /** The resolved args (Stage value over template default). */
  args: StageArg[];
  /** Per-metric progress, in template order. */
  metrics: MetricRun[];
  /** ISO time `advanceAnalysis` must be called again; empty once the run finished. */
  nextAt?: string;
}

/** What a provider measured: a value, or why it could not measure. */
export type MeasurementResult = { value: unknown } | { error: string };

/** One `spec.verification.analysisTemplates` entry of a Kargo Stage. */
export interface AnalysisTemplateReference {
  /** Template name, in the Stage's Project (or cluster-wide for ClusterAnalysisTemplate). */
  name: string;
  /** `AnalysisTemplate` (the default when empty) or `ClusterAnalysisTemplate`. */
  kind?: AnalysisTemplateKind;
}

/** A Kargo Stage's `spec.verification`, the part Ferry reads. */
export interface VerificationSpec {
  /** The templates whose metrics verify the Stage's current Freight. */
  analysisTemplates: AnalysisTemplateReference[];
  /** Labels and annotations Kargo puts on AnalysisRuns; Ferry keeps them on its run record only. */
  analysisRunMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** Values for template args; they win over template defaults. */
  args?: StageArg[];
}
