import {
  type AnalysisRun,
  type AnalysisTemplate,
  type AnalysisTemplateKind,
  abortAnalysis,
  advanceAnalysis,
  isFinished,
  type MeasureFn,
  measureWith,
  prometheusProvider,
  startVerification,
  webProvider,
} from '@ferry/analysis';
import type { Bus } from '@ferry/bus';
import type { Stage, VerificationRecord } from '@ferry/contracts';
import type { Logger } from '@ferry/observability';
import type { Store } from '@ferry/store';

/** What the promoter keeps per Stage while (and after) its Freight is verified. */
export interface StageVerificationState {
  freight: string;
  /** The Promotion after which it ran; empty for a re-run. */
  promotion?: string;
  run: AnalysisRun;
}

/** The summary shown on a Stage and kept in its verification history. */
export const recordOf = (s: StageVerificationState): VerificationRecord => ({
  freight: s.freight,
  ...(s.promotion ? { promotion: s.promotion } : {}),
  phase: s.run.phase,
  ...(s.run.message ? { message: s.run.message } : {}),
  startedAt: s.run.startedAt,
  ...(s.run.finishedAt ? { finishedAt: s.run.finishedAt } : {}),
});

/** True when the Stage verifies Freight with AnalysisTemplates. */
export const verifies = (stage: Stage): boolean =>
  (stage.spec.verification?.analysisTemplates.length ?? 0) > 0;

/**
 * Runs Stage verification natively: AnalysisTemplates (web and Prometheus metrics) measured by
 * the promoter itself, step by step. Nothing blocks a worker: each call takes the measurements
 * that are due and stores when the next are, and a timer kicks the Stage then.
 */
export class Verifier {
  private readonly store: Store;
  private readonly bus: Bus;
  private readonly log: Logger;
  private readonly measure: MeasureFn;

  constructor(deps: { store: Store; bus: Bus; log: Logger; fetch?: typeof fetch; measure?: MeasureFn }) {
    this.store = deps.store;
    this.bus = deps.bus;
    this.log = deps.log;
    const f = deps.fetch ?? fetch;
    this.measure = deps.measure ?? measureWith({ web: webProvider(f), prometheus: prometheusProvider(f) });
  }

  /** The Stage's current verification, if any. */
  current(project: string, stage: string): Promise<StageVerificationState | undefined> {
    return this.store.getStageVerification<StageVerificationState>(project, stage);
  }

  /** Starts verifying `freight` in the Stage and takes the first measurements. */
  async start(
    project: string,
    stage: Stage,
    freight: string,
    promotion: string | undefined,
    now: Date,
  ): Promise<StageVerificationState> {
    const spec = stage.spec.verification!;
    const templates: AnalysisTemplate[] = [];
    for (const ref of spec.analysisTemplates) {
      const cluster = ref.kind === 'ClusterAnalysisTemplate';
      const t = await this.store.getAnalysisTemplate<AnalysisTemplate>(cluster ? '' : project, ref.name);
      if (t) templates.push(t);
    }
    const run = startVerification(
      {
        analysisTemplates: spec.analysisTemplates.map((r) => ({
          name: r.name,
          ...(r.kind ? { kind: r.kind as AnalysisTemplateKind } : {}),
        })),
        ...(spec.args ? { args: spec.args } : {}),
      },
      templates,
      now,
    );
    const state: StageVerificationState = { freight, ...(promotion ? { promotion } : {}), run };
    this.log.info(
      { project, stage: stage.metadata.name, freight, templates: run.templates },
      'verification started',
    );
    return this.advance(project, stage.metadata.name, state, now);
  }

  /** Takes the measurements due now; finishes the verification when its run ended. */
  async advance(
    project: string,
    stage: string,
    state: StageVerificationState,
    now: Date,
  ): Promise<StageVerificationState> {
    let next = state;
    let nextAt: string | undefined;
    if (!isFinished(state.run.phase)) {
      const r = await advanceAnalysis(state.run, now, this.measure);
      next = { ...state, run: r.run };
      nextAt = r.nextAt;
    }
    return this.save(project, stage, next, nextAt, state.run.phase);
  }

  /** Aborts the Stage's running verification. */
  async abort(
    project: string,
    stage: string,
    by: string,
    now: Date,
  ): Promise<StageVerificationState | undefined> {
    const state = await this.current(project, stage);
    if (!state || isFinished(state.run.phase)) return state;
    return this.save(
      project,
      stage,
      { ...state, run: abortAnalysis(state.run, now, `aborted by ${by}`) },
      undefined,
      state.run.phase,
    );
  }

  private async save(
    project: string,
    stage: string,
    state: StageVerificationState,
    nextAt: string | undefined,
    before: string,
  ): Promise<StageVerificationState> {
    const done = isFinished(state.run.phase);
    await this.store.putStageVerification(project, stage, state, {
      ...(!done && nextAt ? { dueAt: Date.parse(nextAt) } : {}),
      ...(done && !isFinished(before as AnalysisRun['phase']) ? { finished: recordOf(state) } : {}),
    });
    if (state.run.phase !== before || done) {
      await this.bus.publish(
        'VerificationChanged',
        { project, stage, freight: state.freight, phase: state.run.phase },
        `verification:${project}:${stage}:${state.freight}:${state.run.startedAt}:${state.run.phase}`,
      );
    }
    if (done && !isFinished(before as AnalysisRun['phase'])) {
      this.log.info(
        { project, stage, freight: state.freight, phase: state.run.phase, message: state.run.message },
        'verification finished',
      );
      if (state.run.phase === 'Successful') {
        await this.bus.publish(
          'MarkFreightVerified',
          {
            project,
            freight: state.freight,
            stage,
            ...(state.promotion ? { promotion: state.promotion } : {}),
            verifiedAt: state.run.finishedAt ?? new Date().toISOString(),
          },
          `verify:${project}:${state.freight}:${stage}:${state.run.startedAt}`,
        );
      }
    }
    return state;
  }
}
