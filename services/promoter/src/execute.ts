import type {
  Freight,
  Promotion,
  PromotionStatus,
  PromotionStep,
  PromotionWorkspace,
  StepExecution,
} from '@ferry/contracts';
import { TASK_ALIAS_SEPARATOR, taskOutputs } from '@ferry/kargo';
import {
  type ExpressionScope,
  evaluate,
  evaluateCondition,
  evaluateVars,
  type StepOutcome,
  secretNames,
} from './expressions.ts';
import { stepRegistry } from './steps/registry.ts';
import type { ResultPort, StepCommand, StepPorts, StepResult } from './steps/types.ts';

/** What one pass over a Promotion decided. */
export interface Advance {
  /** The new status (unchanged fields kept). */
  status: PromotionStatus;
  /** Commands to publish (idempotent by their ids). */
  commands: StepCommand[];
}

const emptyWorkspace = (): PromotionWorkspace => ({ checkouts: [], edits: [], messages: {} });

/**
 * Parses a Kargo duration (`90s`, `5m`, `48h`, `1h30m`) into milliseconds; throws naming the
 * field when it is not one.
 */
export function parseDuration(text: string, field: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!text.trim() || !m) throw new Error(`${field}: "${text}" is not a duration like 30s, 5m or 48h`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** True for an outcome that fails the Promotion (Failed or Errored without `continueOnError`). */
const failsPromotion = (exec: StepExecution | undefined, step: PromotionStep) =>
  (exec?.status === 'Failed' || exec?.status === 'Errored') && !step.continueOnError;

/**
 * Runs a Promotion's steps from the current one until one waits (Running) or all are done.
 * Each step runs when its `if` is true (default: no earlier step failed) and is Skipped
 * otherwise; a Failed or Errored step fails the Promotion unless it has `continueOnError`, but
 * later steps whose `if` asks for it (`always()`, `failure()`) still run. An Errored attempt is
 * retried on a later pass while fewer than `retry.errorThreshold` attempts in a row have errored.
 * Pure apart from the read-only result port; the caller stores the status with a
 * compare-and-set and publishes the commands. `now` is injected.
 */
export async function advancePromotion(
  promotion: Promotion,
  freight: Freight,
  results: ResultPort,
  now: Date,
  defaults: { argocdTimeoutSeconds: number },
  ports: StepPorts = {},
): Promise<Advance> {
  const status: PromotionStatus = structuredClone(promotion.status);
  const iso = now.toISOString();
  const commands: StepCommand[] = [];
  const project = promotion.metadata.namespace!;
  if (status.phase === 'Pending') {
    status.phase = 'Running';
    status.startedAt = iso;
    status.message = undefined;
  }
  status.workspace ??= emptyWorkspace();
  const steps = promotion.spec.steps;
  // Expressions evaluate synchronously: the Secrets they name are read once, up front.
  const secrets: Record<string, Readonly<Record<string, string>> | 'not-generic'> = {};
  if (results.secret) {
    for (const name of secretNames(promotion.spec)) {
      const found = await results.secret(name);
      if (found !== undefined) secrets[name] = found;
    }
  }
  const ctx = {
    project,
    stage: promotion.spec.stage,
    promotion: promotion.metadata.name,
    targetFreight: { name: freight.metadata.name, alias: freight.alias, origin: freight.origin },
  };
  const outcomes = (upTo: number): StepOutcome[] =>
    steps.slice(0, upTo).map((s, j) => ({
      alias: s.as ?? `step-${j}`,
      status: status.stepExecutionMetadata[j]?.status ?? 'Pending',
      continueOnError: s.continueOnError === true,
    }));
  for (let i = status.currentStep; i < steps.length; i++) {
    const step = steps[i]!;
    const alias = step.as ?? `step-${i}`;
    const exec: StepExecution = status.stepExecutionMetadata[i] ?? {
      alias,
      uses: step.uses,
      status: 'Pending',
    };
    status.stepExecutionMetadata[i] = exec;
    status.currentStep = i;
    const end = (kind: 'Failed' | 'Errored', message: string) => {
      exec.status = kind;
      exec.finishedAt = iso;
      exec.message = message;
    };
    let scope: ExpressionScope;
    let result: StepResult;
    // Steps plan into a copy: a step that errors halfway leaves no half-made plan behind.
    const workspace: PromotionWorkspace = structuredClone(status.workspace);
    try {
      const base: ExpressionScope = {
        ctx,
        vars: {},
        outputs: status.state,
        images: freight.images,
        commits: freight.commits,
        charts: freight.charts,
        secrets,
        steps: outcomes(i),
        // A step inflated from a PromotionTask sees its sibling steps' outputs as `task.outputs`.
        ...(alias.includes(TASK_ALIAS_SEPARATOR)
          ? { locals: { task: { outputs: taskOutputs(alias, status.state) } } }
          : {}),
      };
      const templateVars = evaluateVars(promotion.spec.vars, base, 'vars');
      scope = { ...base, vars: evaluateVars(step.vars, { ...base, vars: templateVars }, `steps[${i}].vars`) };
      if (exec.status === 'Pending') {
        if (!evaluateCondition(step.if, scope, `steps[${i}].if`)) {
          exec.status = 'Skipped';
          exec.finishedAt = iso;
          continue;
        }
        exec.status = 'Running';
        exec.startedAt = iso;
      }
      const runner = stepRegistry.get(step.uses);
      if (!runner) {
        result = {
          status: 'Errored',
          message: `unknown step "${step.uses}"; this release runs: ${[...stepRegistry.keys()].join(', ')}`,
        };
      } else {
        const timeoutMs = step.retry?.timeout
          ? parseDuration(step.retry.timeout, `steps[${i}].retry.timeout`)
          : runner.defaultTimeoutMs;
        const elapsedMs = exec.startedAt ? now.getTime() - Date.parse(exec.startedAt) : 0;
        if (elapsedMs > timeoutMs) {
          // A timeout is final: retrying would only time out again.
          end('Errored', `timed out after ${Math.round(elapsedMs / 1000)}s`);
          continue;
        }
        const config = evaluate(step.config ?? {}, scope, `steps[${i}].config`) as Record<string, unknown>;
        result = await runner.run({
          project,
          stage: promotion.spec.stage,
          promotion: promotion.metadata.name,
          stepIndex: i,
          alias,
          freight,
          config,
          outputs: status.state,
          workspace,
          results,
          defaults,
          elapsedMs,
          ...ports,
        });
      }
    } catch (err) {
      result = { status: 'Errored', message: (err as Error).message };
    }
    if (result.status === 'Errored') {
      const threshold = Math.max(1, step.retry?.errorThreshold ?? 1);
      const attempts = (exec.errorCount ?? 0) + 1;
      exec.errorCount = attempts;
      if (attempts < threshold) {
        // Tolerated: tried again on the next pass (its `if` too, when that is what errored).
        exec.message = `attempt ${attempts} of ${threshold} errored: ${result.message ?? 'no reason given'}; will retry`;
        status.message = `step ${i + 1} ${step.uses} (${alias}): ${exec.message}`;
        return { status, commands };
      }
    }
    if (result.status === 'Running') {
      delete exec.errorCount;
      exec.message = result.message;
      status.message = result.message;
      commands.push(...(result.commands ?? []));
      return { status, commands };
    }
    if (result.status === 'Failed' || result.status === 'Errored') {
      end(result.status, result.message ?? 'no reason given');
      continue;
    }
    delete exec.errorCount;
    status.workspace = workspace;
    exec.status = 'Succeeded';
    exec.finishedAt = iso;
    if (result.message) exec.message = result.message;
    if (result.outputs) status.state[alias] = result.outputs;
    for (const m of result.metadata ?? []) {
      status.metadata ??= {};
      const key = `${m.kind}/${m.name}`;
      status.metadata[key] = { ...status.metadata[key], ...m.values };
    }
  }
  status.currentStep = steps.length;
  status.finishedAt = iso;
  const failedAt = steps.findIndex((s, j) => failsPromotion(status.stepExecutionMetadata[j], s));
  if (failedAt >= 0) {
    const exec = status.stepExecutionMetadata[failedAt]!;
    const step = steps[failedAt]!;
    status.phase = exec.status as 'Failed' | 'Errored';
    // Points at the step that failed the Promotion, as before steps could run after a failure.
    status.currentStep = failedAt;
    status.message = `step ${failedAt + 1} ${step.uses} (${exec.alias}): ${exec.message}`;
    return { status, commands };
  }
  status.phase = 'Succeeded';
  status.message = `promoted Freight ${freight.alias} to ${promotion.spec.stage}`;
  return { status, commands };
}
