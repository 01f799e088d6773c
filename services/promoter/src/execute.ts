import type { Freight, Promotion, PromotionStatus, PromotionWorkspace } from '@ferry/contracts';
import { evaluate } from './expressions.ts';
import { stepRegistry } from './steps/registry.ts';
import type { ResultPort, StepCommand } from './steps/types.ts';

/** What one pass over a Promotion decided. */
export interface Advance {
  /** The new status (unchanged fields kept). */
  status: PromotionStatus;
  /** Commands to publish (idempotent by their ids). */
  commands: StepCommand[];
}

const emptyWorkspace = (): PromotionWorkspace => ({ checkouts: [], edits: [], messages: {} });

/**
 * Runs a Promotion's steps from the current one until one waits (Running), fails, or all
 * succeed. Pure apart from the read-only result port; the caller stores the status with a
 * compare-and-set and publishes the commands. `now` is injected.
 */
export async function advancePromotion(
  promotion: Promotion,
  freight: Freight,
  results: ResultPort,
  now: Date,
  defaults: { argocdTimeoutSeconds: number },
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
  for (let i = status.currentStep; i < steps.length; i++) {
    const step = steps[i]!;
    const alias = step.as ?? `step-${i}`;
    const exec = status.stepExecutionMetadata[i] ?? { alias, uses: step.uses, status: 'Pending' };
    status.stepExecutionMetadata[i] = exec;
    if (exec.status === 'Pending') {
      exec.status = 'Running';
      exec.startedAt = iso;
    }
    status.currentStep = i;
    const runner = stepRegistry.get(step.uses);
    const fail = (kind: 'Failed' | 'Errored', message: string): Advance => {
      exec.status = kind;
      exec.finishedAt = iso;
      exec.message = message;
      status.phase = kind;
      status.message = `step ${i + 1} ${step.uses} (${alias}): ${message}`;
      status.finishedAt = iso;
      return { status, commands };
    };
    if (!runner) {
      return fail(
        'Errored',
        `unknown step "${step.uses}"; this release runs: ${[...stepRegistry.keys()].join(', ')}`,
      );
    }
    // Steps plan into a copy: a step that errors halfway leaves no half-made plan behind.
    const workspace: PromotionWorkspace = structuredClone(status.workspace);
    let result: Awaited<ReturnType<typeof runner.run>>;
    try {
      const config = evaluate(
        step.config ?? {},
        {
          ctx: {
            project,
            stage: promotion.spec.stage,
            promotion: promotion.metadata.name,
            targetFreight: { name: freight.metadata.name, alias: freight.alias, origin: freight.origin },
          },
          vars: {},
          outputs: status.state,
        },
        `steps[${i}].config`,
      ) as Record<string, unknown>;
      const elapsedMs = exec.startedAt ? now.getTime() - Date.parse(exec.startedAt) : 0;
      if (elapsedMs > runner.defaultTimeoutMs) {
        return fail('Errored', `timed out after ${Math.round(elapsedMs / 1000)}s`);
      }
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
      });
    } catch (err) {
      return fail('Errored', (err as Error).message);
    }
    if (result.status === 'Running') {
      exec.message = result.message;
      status.message = result.message;
      commands.push(...(result.commands ?? []));
      return { status, commands };
    }
    if (result.status === 'Failed' || result.status === 'Errored') {
      return fail(result.status, result.message ?? 'no reason given');
    }
    status.workspace = workspace;
    exec.status = 'Succeeded';
    exec.finishedAt = iso;
    if (result.message) exec.message = result.message;
    if (result.outputs) status.state[alias] = result.outputs;
    status.currentStep = i + 1;
  }
  status.phase = 'Succeeded';
  status.finishedAt = iso;
  status.message = `promoted Freight ${freight.alias} to ${promotion.spec.stage}`;
  return { status, commands };
}
