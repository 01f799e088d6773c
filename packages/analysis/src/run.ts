/**
 * The verification state machine: Argo Rollouts' AnalysisRun semantics as pure functions with
 * the clock passed in. A caller stores the returned run, and calls `advanceAnalysis` again at
 * `nextAt`; nothing here waits, so a worker is never blocked by a long verification.
 */
import { resolveArgs, substituteMetric } from './args.ts';
import { evaluateCondition } from './conditions.ts';
import {
  AnalysisPhase,
  type AnalysisRun,
  type AnalysisTemplate,
  type Measurement,
  type MeasurementResult,
  type Metric,
  type MetricRun,
  type ProviderSpec,
  type StageArg,
  type VerificationSpec,
} from './types.ts';

/** How long to wait before retrying a metric whose measurement errored and that has no interval (Argo's default). */
export const ERROR_RETRY_MS = 10_000;

/** Measures one metric with its resolved provider; a thrown error counts as an Error measurement. */
export type MeasureFn = (metric: Metric, provider: ProviderSpec) => Promise<MeasurementResult>;

const DONE: ReadonlySet<AnalysisPhase> = new Set([
  AnalysisPhase.Successful,
  AnalysisPhase.Failed,
  AnalysisPhase.Error,
  AnalysisPhase.Inconclusive,
  AnalysisPhase.Aborted,
]);

/** True once a phase can no longer change. */
export function isFinished(phase: AnalysisPhase): boolean {
  return DONE.has(phase);
}

/** Worst first: the run takes the worst phase among its metrics. */
const SEVERITY: readonly AnalysisPhase[] = [
  AnalysisPhase.Failed,
  AnalysisPhase.Error,
  AnalysisPhase.Inconclusive,
  AnalysisPhase.Successful,
];

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (t: string) => Date.parse(t);
const ref = (t: AnalysisTemplate) => `${t.kind}/${t.name}`;

/**
 * Starts a verification from the Stage's templates (in `spec.verification.analysisTemplates`
 * order) and its `spec.verification.args`. Args are substituted here, once. A run that cannot
 * start (no templates, an arg without a value, two metrics with one name) comes back finished,
 * in phase Error, with a message saying what to fix.
 */
export function startAnalysis(
  templates: readonly AnalysisTemplate[],
  args: readonly StageArg[],
  now: Date,
): AnalysisRun {
  const at = now.toISOString();
  const run: AnalysisRun = {
    phase: AnalysisPhase.Running,
    startedAt: at,
    templates: templates.map(ref),
    args: [],
    metrics: [],
  };
  const error = (message: string): AnalysisRun => ({
    ...run,
    args: [],
    metrics: [],
    phase: AnalysisPhase.Error,
    message,
    finishedAt: at,
  });
  if (templates.length === 0) return error('the Stage names no analysis templates to verify with');
  const { values, problems } = resolveArgs(templates, args);
  if (problems.length > 0) return error(problems.join('; '));
  run.args = [...values].map(([name, value]) => ({ name, value }));
  const seen = new Map<string, string>();
  for (const t of templates) {
    for (const m of t.metrics) {
      const other = seen.get(m.name);
      if (other)
        return error(
          `metric "${m.name}" is in both ${other} and ${ref(t)}; metric names must be unique across a Stage's templates`,
        );
      seen.set(m.name, ref(t));
      run.metrics.push({
        metric: substituteMetric(m, values),
        template: ref(t),
        phase: AnalysisPhase.Pending,
        measurements: [],
        count: 0,
        successful: 0,
        failed: 0,
        inconclusive: 0,
        error: 0,
        consecutiveError: 0,
        nextAt: iso(now.getTime() + m.initialDelayMs),
      });
    }
  }
  run.nextAt = earliest(run.metrics);
  return run;
}

/** The earliest `nextAt` among metrics still running. */
function earliest(metrics: readonly MetricRun[]): string | undefined {
  const due = metrics.filter((m) => !isFinished(m.phase) && m.nextAt).map((m) => ms(m.nextAt ?? ''));
  return due.length === 0 ? undefined : iso(Math.min(...due));
}

/** Turns a result into the text a measurement keeps. */
const asText = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));

/**
 * The phase of one measurement, following Argo Rollouts: no conditions → Successful; a failure
 * condition that holds → Failed (it wins over success); a success condition that holds →
 * Successful; only a success condition and it does not hold → Failed; only a failure condition
 * and it does not hold → Successful; both given and neither holds → Inconclusive.
 */
export function assessMeasurement(
  metric: Metric,
  result: unknown,
): { phase: AnalysisPhase; message?: string } {
  const { successCondition: s, failureCondition: f } = metric;
  try {
    if (f !== undefined && evaluateCondition(f, result)) {
      return { phase: AnalysisPhase.Failed, message: `failureCondition "${f}" holds` };
    }
    if (s === undefined) return { phase: AnalysisPhase.Successful };
    if (evaluateCondition(s, result)) return { phase: AnalysisPhase.Successful };
    if (f === undefined)
      return { phase: AnalysisPhase.Failed, message: `successCondition "${s}" does not hold` };
    return {
      phase: AnalysisPhase.Inconclusive,
      message: 'neither successCondition nor failureCondition holds',
    };
  } catch (err) {
    return { phase: AnalysisPhase.Error, message: (err as Error).message };
  }
}

/** Takes one measurement; never throws. */
async function measureOnce(m: Metric, measure: MeasureFn, now: Date): Promise<Measurement> {
  const startedAt = now.toISOString();
  let result: MeasurementResult;
  try {
    result = await measure(m, m.provider);
  } catch (err) {
    result = { error: (err as Error).message ?? String(err) };
  }
  if ('error' in result) {
    return { phase: AnalysisPhase.Error, startedAt, finishedAt: startedAt, message: result.error };
  }
  const { phase, message } = assessMeasurement(m, result.value);
  const out: Measurement = { phase, value: asText(result.value), startedAt, finishedAt: startedAt };
  if (message) out.message = message;
  return out;
}

/** Applies a measurement to a metric's counters and decides whether the metric concluded. */
function record(mr: MetricRun, meas: Measurement, now: Date): MetricRun {
  const m = mr.metric;
  const next: MetricRun = { ...mr, measurements: [...mr.measurements, meas], phase: AnalysisPhase.Running };
  if (meas.phase === AnalysisPhase.Error) {
    next.error++;
    next.consecutiveError++;
  } else {
    next.count++;
    next.consecutiveError = 0;
    if (meas.phase === AnalysisPhase.Successful) next.successful++;
    if (meas.phase === AnalysisPhase.Failed) next.failed++;
    if (meas.phase === AnalysisPhase.Inconclusive) next.inconclusive++;
  }
  const end = (phase: AnalysisPhase, message: string): MetricRun => {
    const { nextAt: _, ...rest } = next;
    return { ...rest, phase, message };
  };
  if (next.failed > m.failureLimit) {
    return end(
      AnalysisPhase.Failed,
      `${next.failed} of ${next.count} measurements failed (failureLimit ${m.failureLimit})${meas.message && meas.phase === AnalysisPhase.Failed ? `: ${meas.message}` : ''}`,
    );
  }
  if (next.inconclusive > m.inconclusiveLimit) {
    return end(
      AnalysisPhase.Inconclusive,
      `${next.inconclusive} of ${next.count} measurements were inconclusive (inconclusiveLimit ${m.inconclusiveLimit})`,
    );
  }
  if (next.consecutiveError > m.consecutiveErrorLimit) {
    return end(
      AnalysisPhase.Error,
      `${next.consecutiveError} measurements in a row errored (consecutiveErrorLimit ${m.consecutiveErrorLimit}): ${meas.message ?? ''}`,
    );
  }
  if (next.count >= m.count) {
    return end(AnalysisPhase.Successful, `${next.successful} of ${next.count} measurements succeeded`);
  }
  const wait = m.intervalMs ?? ERROR_RETRY_MS;
  next.nextAt = iso(now.getTime() + wait);
  return next;
}

/** The run's phase and message from its metrics. */
function conclude(run: AnalysisRun, now: Date): AnalysisRun {
  const out: AnalysisRun = { ...run };
  // A Failed or Errored metric decides the run; the others stop (as Argo terminates the run).
  const decisive = out.metrics.find(
    (m) => m.phase === AnalysisPhase.Failed || m.phase === AnalysisPhase.Error,
  );
  if (decisive) {
    out.metrics = out.metrics.map((m) => {
      if (isFinished(m.phase)) return m;
      const { nextAt: _, ...rest } = m;
      return {
        ...rest,
        phase: AnalysisPhase.Aborted,
        message: `stopped: metric "${decisive.metric.name}" ended ${decisive.phase}`,
      };
    });
  }
  if (out.metrics.some((m) => !isFinished(m.phase))) {
    out.phase = AnalysisPhase.Running;
    const nextAt = earliest(out.metrics);
    if (nextAt) out.nextAt = nextAt;
    return out;
  }
  delete out.nextAt;
  const worst = SEVERITY.find((p) => out.metrics.some((m) => m.phase === p)) ?? AnalysisPhase.Successful;
  const by = out.metrics.find((m) => m.phase === worst);
  out.phase = worst;
  out.message = by ? `metric "${by.metric.name}": ${by.message ?? worst}` : worst;
  out.finishedAt = now.toISOString();
  return out;
}

/**
 * Takes every measurement due at `now` (at most one per metric, metrics in parallel), updates the
 * counters and phases, and returns the new run with `nextAt`, the time to call again (empty once
 * the run finished). A finished run comes back unchanged. Calling early is harmless: nothing is due.
 */
export async function advanceAnalysis(
  run: AnalysisRun,
  now: Date,
  measure: MeasureFn,
): Promise<{ run: AnalysisRun; nextAt?: string }> {
  if (isFinished(run.phase)) return { run };
  const t = now.getTime();
  const metrics = await Promise.all(
    run.metrics.map(async (mr) => {
      if (isFinished(mr.phase) || mr.nextAt === undefined || ms(mr.nextAt) > t) return mr;
      return record(mr, await measureOnce(mr.metric, measure, now), now);
    }),
  );
  const next = conclude({ ...run, metrics }, now);
  return next.nextAt ? { run: next, nextAt: next.nextAt } : { run: next };
}

/** Stops a run (e.g. the Promotion was superseded); a finished run comes back unchanged. */
export function abortAnalysis(run: AnalysisRun, now: Date, reason: string): AnalysisRun {
  if (isFinished(run.phase)) return run;
  const { nextAt: _, ...rest } = run;
  return {
    ...rest,
    phase: AnalysisPhase.Aborted,
    message: reason,
    finishedAt: now.toISOString(),
    metrics: run.metrics.map((m) => {
      if (isFinished(m.phase)) return m;
      const { nextAt: __, ...r } = m;
      return { ...r, phase: AnalysisPhase.Aborted, message: reason };
    }),
  };
}

/**
 * Starts the verification a Stage's `spec.verification` asks for, picking its templates by kind
 * and name from `available` (the Project's AnalysisTemplates and the ClusterAnalysisTemplates). A
 * reference to a template that does not exist gives a finished run in phase Error naming it.
 */
export function startVerification(
  spec: VerificationSpec,
  available: readonly AnalysisTemplate[],
  now: Date,
): AnalysisRun {
  const templates: AnalysisTemplate[] = [];
  const missing: string[] = [];
  for (const r of spec.analysisTemplates) {
    const kind = r.kind ?? 'AnalysisTemplate';
    const t = available.find((a) => a.kind === kind && a.name === r.name);
    if (t) templates.push(t);
    else missing.push(`${kind} ${r.name}`);
  }
  if (missing.length > 0) {
    const at = now.toISOString();
    return {
      phase: AnalysisPhase.Error,
      message: `the Stage's verification names templates that do not exist: ${missing.join(', ')}; apply them or fix spec.verification.analysisTemplates`,
      startedAt: at,
      finishedAt: at,
      templates: spec.analysisTemplates.map((r) => `${r.kind ?? 'AnalysisTemplate'}/${r.name}`),
      args: [],
      metrics: [],
    };
  }
  return startAnalysis(templates, spec.args ?? [], now);
}
