import type { PromotionTask } from '@ferry/contracts';
import { DNS1123_SUBDOMAIN } from '@ferry/contracts';
import { type Ctx, fields, listAt, mapAt, type Obj, strAt } from './read.ts';
import { parseSteps } from './specs.ts';

/**
 * Reads a PromotionTask (`kind` PromotionTask, of `project`) or ClusterPromotionTask (no Project):
 * `spec.vars` are the task's inputs (a value is a default; none = each using step must give it) and
 * `spec.steps` the steps a Promotion runs in the task step's place. Problems go to `ctx`.
 */
export function readPromotionTask(
  ctx: Ctx,
  raw: Obj,
  kind: PromotionTask['kind'],
  defaultProject: string | undefined,
): PromotionTask | undefined {
  fields(ctx, raw, [], 'apiVersion kind metadata spec status');
  const meta = mapAt(ctx, raw.metadata, ['metadata'], `the name of the ${kind}`) ?? {};
  const name = strAt(ctx, meta.name, ['metadata', 'name'], `the name of the ${kind}`) ?? '';
  if (name && (!DNS1123_SUBDOMAIN.test(name) || name.length > 253)) {
    ctx.problem(
      ['metadata', 'name'],
      'must be at most 253 lowercase letters, digits, "-" or ".", starting and ending with a letter or digit',
    );
  }
  const namespace = strAt(ctx, meta.namespace, ['metadata', 'namespace']) || undefined;
  let project = '';
  if (kind === 'PromotionTask') {
    if (namespace && defaultProject && namespace !== defaultProject) {
      ctx.problem(
        ['metadata', 'namespace'],
        `is "${namespace}" but the project given is "${defaultProject}"`,
      );
    }
    project = namespace ?? defaultProject ?? '';
    if (!project)
      ctx.problem(['metadata', 'namespace'], 'required: the Project this PromotionTask belongs to');
  } else if (namespace) {
    ctx.problem(['metadata', 'namespace'], 'a ClusterPromotionTask belongs to no Project: remove it');
  }
  const spec = mapAt(ctx, raw.spec, ['spec'], 'the steps of the task') ?? {};
  fields(ctx, spec, ['spec'], 'vars steps');
  const vars: PromotionTask['spec']['vars'] = [];
  const seen = new Set<string>();
  listAt(ctx, spec.vars, ['spec', 'vars']).forEach((item, i) => {
    const p = ['spec', 'vars', i];
    const v = mapAt(ctx, item, p);
    if (!v) return;
    fields(ctx, v, p, 'name value');
    const varName = strAt(ctx, v.name, [...p, 'name'], 'the name of the input');
    const value = strAt(ctx, v.value, [...p, 'value']);
    if (varName === undefined) return;
    if (seen.has(varName)) ctx.problem([...p, 'name'], `input "${varName}" is declared twice`);
    seen.add(varName);
    vars.push(value ? { name: varName, value } : { name: varName });
  });
  const steps = parseSteps(ctx, spec.steps, ['spec', 'steps'], false);
  if (spec.steps === undefined || (Array.isArray(spec.steps) && spec.steps.length === 0)) {
    ctx.problem(['spec', 'steps'], 'required: at least one step');
  }
  return { kind, name, project, spec: { vars, steps } };
}
