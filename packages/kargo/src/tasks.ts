import type {
  PromotionStep,
  PromotionTask,
  PromotionTaskReference,
  PromotionVariable,
} from '@ferry/contracts';

/** What separates a task step's alias from the alias of each step of its task, as in Kargo. */
export const TASK_ALIAS_SEPARATOR = '::';

/** Finds a PromotionTask of the Promotion's Project, or a ClusterPromotionTask; undefined when none. */
export type TaskLookup = (ref: PromotionTaskReference) => Promise<PromotionTask | undefined>;

/** The steps of a Promotion with its task steps replaced, or why that cannot be done. */
export type InflateResult = { steps: PromotionStep[] } | { problem: string };

/**
 * Replaces each `task` step of a Stage template by the steps of its (Cluster)PromotionTask, as Kargo
 * does when a Promotion is created: the task step's alias (`as`, default `task-<index>`) prefixes
 * each task step's alias (`<as>::<step alias>`), and each task step gets the task's inputs as
 * `vars` — a default from the task unless the template's `vars` set it, then the step's own `vars`.
 * An input without a default that neither gives is a problem. Ordinary steps get their default
 * alias (`step-<index>`) written out, so inflation moves no alias. Templates without task steps
 * come back unchanged.
 */
export async function inflateTaskSteps(
  steps: readonly PromotionStep[],
  templateVars: readonly PromotionVariable[] | undefined,
  lookup: TaskLookup,
): Promise<InflateResult> {
  if (!steps.some((s) => s.task)) return { steps: [...steps] };
  const set = new Set((templateVars ?? []).filter((v) => v.value !== '').map((v) => v.name));
  const out: PromotionStep[] = [];
  for (const [i, step] of steps.entries()) {
    if (!step.task) {
      out.push({ ...step, as: step.as ?? `step-${i}` });
      continue;
    }
    const alias = step.as ?? `task-${i}`;
    const kind = step.task.kind ?? 'PromotionTask';
    const where = `step ${i + 1} (${alias})`;
    const task = await lookup(step.task);
    if (!task) {
      const scope = kind === 'PromotionTask' ? " in the Promotion's project" : '';
      return { problem: `${where}: ${kind} "${step.task.name}" not found${scope}: apply it first` };
    }
    const given = new Set((step.vars ?? []).filter((v) => v.value !== '').map((v) => v.name));
    const inputs: PromotionVariable[] = [];
    for (const v of task.spec.vars) {
      if (set.has(v.name)) continue;
      if (v.value) inputs.push({ name: v.name, value: v.value });
      else if (!given.has(v.name)) {
        return {
          problem: `${where}: ${kind} "${task.name}" needs a value for its input "${v.name}": give it in the step's vars`,
        };
      }
    }
    inputs.push(...(step.vars ?? []));
    for (const [j, inner] of task.spec.steps.entries()) {
      const { task: _nested, ...rest } = inner;
      const vars = [...inputs, ...(inner.vars ?? [])];
      out.push({
        ...rest,
        as: `${alias}${TASK_ALIAS_SEPARATOR}${inner.as ?? `step-${j}`}`,
        ...(vars.length > 0 ? { vars } : {}),
      });
    }
  }
  return { steps: out };
}

/**
 * The outputs a step of an inflated task sees as `task.outputs`: those of the steps of the same
 * task, by their alias inside the task. Empty for a step that came from no task.
 */
export function taskOutputs(
  alias: string,
  outputs: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const at = alias.lastIndexOf(TASK_ALIAS_SEPARATOR);
  if (at < 0) return {};
  const prefix = alias.slice(0, at + TASK_ALIAS_SEPARATOR.length);
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(outputs)) if (k.startsWith(prefix)) own[k.slice(prefix.length)] = v;
  return own;
}
