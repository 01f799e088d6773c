/**
 * Dry runs of a Promotion: the steps a Promotion of the Freight to the Stage would run, built
 * exactly as {@link startPromoter} builds them (template, PromotionTasks inflated, vars), walked
 * once with nothing written. Side-effect-free steps (git-clone, file edits, git-commit,
 * compose-output…) run for real into a scratch plan; each `git-push` asks git-writer for the diff
 * it would push instead of writing; steps with outside effects (Argo CD, HTTP, pull requests,
 * approvals) are shown with their evaluated config and not run. Their outputs, which a later
 * step may need, become visible placeholders, and the plan says where they were used.
 */
import type { Bus } from '@ferry/bus';
import {
  type ErrorCode,
  FerryError,
  type Freight,
  GitDiffReplySchema,
  gitDiffSubjectFor,
  type PlanAction,
  type PlannedDiff,
  type PlannedStep,
  PROMOTER_REQUEST_QUEUE,
  type Project,
  type PromotionPlan,
  type PromotionPlanReply,
  PromotionPlanRequestSchema,
  type PromotionStep,
  type PromotionTask,
  type PromotionVariable,
  type PromotionWorkspace,
  promotionPlanSubject,
  type Stage,
  validate,
  type WriteDiff,
  type WriteGit,
} from '@ferry/contracts';
import {
  freightAvailability,
  inflateTaskSteps,
  normalizeGit,
  TASK_ALIAS_SEPARATOR,
  taskOutputs,
} from '@ferry/kargo';
import type { Logger } from '@ferry/observability';
import {
  type ExpressionScope,
  evaluate,
  evaluateCondition,
  evaluateVars,
  type StepOutcome,
  secretNames,
} from './expressions.ts';
import { stepRegistry } from './steps/registry.ts';
import type { ResultPort, StepContext } from './steps/types.ts';

/** Steps without outside effects: a dry run runs them for real, into a scratch plan of git work. */
export const PLANNED_STEPS: ReadonlySet<string> = new Set([
  'git-clone',
  'kustomize-set-image',
  'yaml-update',
  'json-update',
  'helm-update-chart',
  'file-write',
  'copy',
  'delete',
  'git-clear',
  'git-commit',
  'compose-output',
  'set-metadata',
  'fail',
]);

/** The outputs each step with effects would give later steps, by `uses` (`http`: its `outputs`). */
const OUTPUT_KEYS: Readonly<Record<string, readonly string[]>> = {
  'git-push': ['branch', 'commit'],
  'git-open-pr': ['pr'],
  'git-wait-for-pr': ['commit'],
  'git-merge-pr': ['commit'],
  'wait-for-approval': ['approvedBy'],
  'git-tag': ['tag', 'commit'],
};

/** Asks git-writer what a write would push (its diff request); never writes. */
export type DiffPort = (cmd: WriteGit) => Promise<WriteDiff>;

/** The Promotion a plan is made for: what {@link planSteps} needs to know. */
export interface PlanInput {
  project: string;
  stage: string;
  /** The name the steps see as `ctx.promotion`; no Promotion of that name is made. */
  promotion: string;
  freight: Freight;
  /** The Promotion's steps, PromotionTasks already inflated. */
  steps: readonly PromotionStep[];
  /** The Promotion's `vars` (the template's, then the request's). */
  vars?: readonly PromotionVariable[];
}

/** The text that stands for an output only a step with effects would give. */
export const placeholderFor = (alias: string, key: string): string => `<dry-run: outputs.${alias}.${key}>`;
const PLACEHOLDER = /<dry-run: outputs\.[^>]+>/g;

// Keys whose values are credentials, in configs and in name/value pairs (http headers, query).
const SECRET_KEY =
  /pass(word)?|secret|token|api[-_]?key|credential|private[-_]?key|authorization|cookie|signature/i;
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"]+@/gi;
const SECRET_QUERY = /([?&][^=&#\s]*(?:token|secret|password|key|signature|sig)[^=&#\s]*=)[^&#\s]+/gi;

/**
 * A config with credentials replaced by `***`: values of secret-looking keys, the `value` of a
 * `{name, value}` pair with a secret-looking name (http headers), URL user-info and secret query
 * parameters. Structure and everything else are kept.
 */
export function redactConfig(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (key && SECRET_KEY.test(key) && value !== '') return '***';
    return value.replace(USERINFO, '$1***@').replace(SECRET_QUERY, '$1***');
  }
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const pairSecret = typeof obj.name === 'string' && SECRET_KEY.test(obj.name) && 'value' in obj;
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [
        k,
        pairSecret && k === 'value' && typeof v === 'string' ? '***' : redactConfig(v, k),
      ]),
    );
  }
  return value;
}

/** Paths a unified diff touches, in order (the new path of a rename). */
export function diffFiles(diff: string): string[] {
  return [...diff.matchAll(/^diff --git a\/.+? b\/(.+)$/gm)].map((m) => m[1]!);
}

/** A step's outcome as the plan assumes it: steps with effects are assumed to succeed. */
type Status = 'Succeeded' | 'Failed' | 'Errored' | 'Skipped';

// A dry run reads no recorded outcome: every git write is "not done yet", so git-push plans one.
const NO_RESULTS: ResultPort = {
  gitWrite: async () => undefined,
  argocdOp: async () => undefined,
  approvals: async () => [],
};

/**
 * Walks the steps as {@link advancePromotion} would, with nothing written: `if`s and expressions
 * evaluated against the target Freight, planned steps run, git pushes diffed through `diff`,
 * steps with effects listed. A step that would fail is marked `error` and later steps follow
 * their `if`s as they would after a real failure. Returns the steps and warnings about
 * placeholders used.
 */
export async function planSteps(
  input: PlanInput,
  diff: DiffPort,
): Promise<{ steps: PlannedStep[]; warnings: string[] }> {
  const { project, stage, promotion, freight, steps } = input;
  const ctx = {
    project,
    stage,
    promotion,
    targetFreight: { name: freight.metadata.name, alias: freight.alias, origin: freight.origin },
  };
  const state: Record<string, Record<string, unknown>> = {};
  const statuses: Status[] = [];
  const workspace: PromotionWorkspace = { checkouts: [], edits: [], messages: {} };
  const planned: PlannedStep[] = [];
  const warnings: string[] = [];
  // Which step gives each placeholder, to name it in warnings.
  const givers = new Map<string, { index: number; alias: string; uses: string }>();
  const pushes: Array<{ index: number; alias: string; repo: string; diff: PlannedDiff }> = [];

  // A dry run never reads Secrets: every key of a Secret the template names reads `***`.
  const redactedSecrets = Object.fromEntries(
    secretNames(steps).map((n) => [
      n,
      new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? '***' : undefined) }),
    ]),
  );
  for (const [i, step] of steps.entries()) {
    const alias = step.as ?? `step-${i}`;
    const entry: PlannedStep = { index: i, alias, uses: step.uses, action: 'skipped' };
    planned.push(entry);
    const finish = (action: PlanAction, status: Status, extra: Partial<PlannedStep> = {}) => {
      Object.assign(entry, { action, ...extra });
      statuses[i] = status;
    };
    const outcomes: StepOutcome[] = steps.slice(0, i).map((s, j) => ({
      alias: s.as ?? `step-${j}`,
      status: statuses[j] ?? 'Pending',
      continueOnError: s.continueOnError === true,
    }));
    let config: Record<string, unknown>;
    let used: string[] = [];
    try {
      const base: ExpressionScope = {
        ctx,
        vars: {},
        outputs: state,
        images: freight.images,
        commits: freight.commits,
        charts: freight.charts,
        secrets: redactedSecrets,
        steps: outcomes,
        ...(alias.includes(TASK_ALIAS_SEPARATOR)
          ? { locals: { task: { outputs: taskOutputs(alias, state) } } }
          : {}),
      };
      const templateVars = evaluateVars(input.vars, base, 'vars');
      const scope = {
        ...base,
        vars: evaluateVars(step.vars, { ...base, vars: templateVars }, `steps[${i}].vars`),
      };
      if (!evaluateCondition(step.if, scope, `steps[${i}].if`)) {
        finish('skipped', 'Skipped', {
          message: step.if ? `its if (${step.if}) is false` : 'an earlier step would fail the Promotion',
        });
        continue;
      }
      config = evaluate(step.config ?? {}, scope, `steps[${i}].config`) as Record<string, unknown>;
      used = [...new Set(JSON.stringify(config).match(PLACEHOLDER) ?? [])];
    } catch (err) {
      finish('error', 'Errored', { error: (err as Error).message });
      continue;
    }
    entry.config = redactConfig(config) as Record<string, unknown>;
    if (used.length > 0) {
      entry.placeholders = used;
      for (const p of used) {
        const g = givers.get(p);
        warnings.push(
          `step ${i + 1} (${alias}) uses ${p.slice(10, -1)}, known only once step ${(g?.index ?? 0) + 1} (${g?.alias}) ${g?.uses} has run; the plan shows "${p}" in its place`,
        );
      }
    }
    const runner = stepRegistry.get(step.uses);
    if (!runner) {
      finish('error', 'Errored', {
        error: `unknown step "${step.uses}"; this release runs: ${[...stepRegistry.keys()].join(', ')}`,
      });
      continue;
    }
    const stepCtx: StepContext = {
      project,
      stage,
      promotion,
      stepIndex: i,
      alias,
      freight,
      config,
      outputs: state,
      workspace: structuredClone(workspace),
      results: NO_RESULTS,
      defaults: { argocdTimeoutSeconds: 0 },
      elapsedMs: 0,
    };
    const placeholders = (keys: readonly string[]) => {
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const p = placeholderFor(alias, k);
        givers.set(p, { index: i, alias, uses: step.uses });
        out[k] = p;
      }
      return out;
    };
    try {
      if (PLANNED_STEPS.has(step.uses)) {
        const result = await runner.run(stepCtx);
        if (result.status === 'Failed' || result.status === 'Errored' || result.status === 'Running') {
          const why = result.message ?? 'no reason given';
          finish('error', result.status === 'Failed' ? 'Failed' : 'Errored', {
            error: result.status === 'Running' ? `would wait: ${why}` : why,
          });
          continue;
        }
        Object.assign(workspace, stepCtx.workspace);
        if (result.outputs) state[alias] = result.outputs;
        finish('planned', 'Succeeded', result.message ? { message: result.message } : {});
      } else if (step.uses === 'git-push') {
        // The real step with no recorded outcome asks for a write; that write is diffed instead.
        const result = await runner.run(stepCtx);
        const cmd = result.commands?.find((c) => c.type === 'WriteGit');
        if (cmd?.type !== 'WriteGit') {
          finish('error', 'Errored', { error: result.message ?? 'git-push planned no write' });
          continue;
        }
        const answer = await diff(cmd.payload);
        if (answer.error) {
          finish('error', 'Errored', { error: answer.error });
          continue;
        }
        const d: PlannedDiff = {
          repoURL: answer.repoURL,
          branch: answer.branch,
          base: answer.base,
          changed: answer.changed,
          files: diffFiles(answer.diff),
          diff: answer.diff,
        };
        pushes.push({ index: i, alias, repo: normalizeGit(cmd.payload.repoURL), diff: d });
        state[alias] = { ...placeholders(['commit']), branch: answer.branch };
        finish('diff', 'Succeeded', {
          diff: d,
          message: answer.changed
            ? `would push a commit "${cmd.payload.message.split('\n')[0]}" to ${answer.branch} (on ${answer.base.slice(0, 7)}): ${answer.message}`
            : `nothing to change; ${answer.branch} would stay at ${answer.base.slice(0, 7)}`,
        });
      } else if (step.uses === 'git-open-pr') {
        state[alias] = placeholders(OUTPUT_KEYS[step.uses]!);
        const source = String(config.sourceBranch ?? '');
        const target = String(config.targetBranch ?? '');
        const repo = typeof config.repoURL === 'string' ? normalizeGit(config.repoURL) : '';
        const push = pushes.findLast((p) => p.repo === repo && p.diff.branch === source);
        if (push) {
          finish('diff', 'Succeeded', {
            diff: { ...push.diff, branch: `${source} -> ${target}` },
            message: `would open a pull request from ${source} into ${target} carrying the diff of step ${push.index + 1} (${push.alias})`,
          });
        } else {
          finish('would-run', 'Succeeded', {
            message: `would open a pull request from ${source} into ${target}; no earlier git-push of this plan pushes ${source}`,
          });
        }
      } else {
        const keys =
          step.uses === 'http'
            ? (Array.isArray(config.outputs) ? config.outputs : []).map((o) =>
                String((o as { name?: unknown }).name),
              )
            : (OUTPUT_KEYS[step.uses] ?? []);
        if (keys.length > 0) state[alias] = placeholders(keys);
        finish('would-run', 'Succeeded', { message: `has effects outside Ferry; not run in a dry run` });
      }
    } catch (err) {
      if (err instanceof FerryError) throw err;
      finish('error', 'Errored', { error: (err as Error).message });
    }
  }
  return { steps: planned, warnings };
}

/** The reads a plan needs (the shared store provides them). */
export interface PlanLookup {
  getProject(name: string): Promise<Project | undefined>;
  getStage(project: string, name: string): Promise<Stage | undefined>;
  getFreight(project: string, id: string): Promise<Freight | undefined>;
  getFreightByAlias(project: string, alias: string): Promise<Freight | undefined>;
  getPromotionTask(project: string, name: string): Promise<PromotionTask | undefined>;
}

/** A plan request, validated. */
export interface PlanRequest {
  project: string;
  stage: string;
  /** The Freight, by id or alias. */
  freight: string;
  vars?: PromotionVariable[];
}

/**
 * Plans a Promotion of `request.freight` to `request.stage`: finds them (throwing
 * FERRY_ERR_PROJECT_NOT_FOUND, FERRY_ERR_STAGE_NOT_FOUND, FERRY_ERR_FREIGHT_NOT_FOUND),
 * builds the steps as creating the Promotion would, and walks them with {@link planSteps}. Freight
 * that is not available to the Stage is planned anyway, with a warning saying why a real
 * Promotion would fail.
 */
export async function buildPlan(
  request: PlanRequest,
  lookup: PlanLookup,
  diff: DiffPort,
  now: Date,
): Promise<PromotionPlan> {
  const { project } = request;
  if (!(await lookup.getProject(project)))
    throw new FerryError('FERRY_ERR_PROJECT_NOT_FOUND', `Project "${project}" not found`);
  const stage = await lookup.getStage(project, request.stage);
  if (!stage)
    throw new FerryError(
      'FERRY_ERR_STAGE_NOT_FOUND',
      `Stage "${request.stage}" not found in Project "${project}"; list the Stages with "ferry get stages -p ${project}"`,
    );
  const freight =
    (/^[a-f0-9]{40}$/.test(request.freight)
      ? await lookup.getFreight(project, request.freight)
      : undefined) ?? (await lookup.getFreightByAlias(project, request.freight));
  if (!freight)
    throw new FerryError(
      'FERRY_ERR_FREIGHT_NOT_FOUND',
      `Freight "${request.freight}" (an id or alias) not found in Project "${project}"; list it with "ferry get freight -p ${project}"`,
    );
  const warnings: string[] = [];
  const availability = freightAvailability(stage, freight, now);
  if (!availability.available)
    warnings.push(
      `a real Promotion would fail at once: ${availability.reason} (FERRY_ERR_FREIGHT_NOT_AVAILABLE)`,
    );
  const template = stage.spec.promotionTemplate?.spec;
  const inflated = await inflateTaskSteps(template?.steps ?? [], template?.vars, (ref) =>
    lookup.getPromotionTask(ref.kind === 'ClusterPromotionTask' ? '' : project, ref.name),
  );
  if ('problem' in inflated)
    throw new FerryError(
      'FERRY_ERR_VALIDATION',
      `cannot use the Stage's PromotionTasks: ${inflated.problem}`,
    );
  if (inflated.steps.length === 0)
    warnings.push(`Stage "${stage.metadata.name}" has no promotion steps; a Promotion would succeed at once`);
  const promotion = dryRunName(stage.metadata.name, freight.metadata.name);
  const vars = [...(template?.vars ?? []), ...(request.vars ?? [])];
  const planned = await planSteps(
    {
      project,
      stage: stage.metadata.name,
      promotion,
      freight,
      steps: inflated.steps,
      ...(vars.length > 0 ? { vars } : {}),
    },
    diff,
  );
  return {
    project,
    stage: stage.metadata.name,
    freight: { id: freight.metadata.name, alias: freight.alias },
    promotion,
    steps: planned.steps,
    warnings: [...warnings, ...planned.warnings],
  };
}

/** The Promotion name a dry run's steps see: `<stage>.dry-run.<freight id, 7>`; never stored. */
export const dryRunName = (stage: string, freight: string): string =>
  `${stage}.dry-run.${freight.slice(0, 7)}`;

/** How long the promoter waits for one git-writer diff. */
export const DIFF_TIMEOUT_MS = 20_000;

/** A {@link DiffPort} over NATS: git-writer's diff request, answered by any git-writer replica. */
export function natsDiffPort(bus: Pick<Bus, 'nc'>, timeoutMs = DIFF_TIMEOUT_MS): DiffPort {
  return async (cmd) => {
    let text: string;
    try {
      const msg = await bus.nc.request(gitDiffSubjectFor(cmd.project), JSON.stringify(cmd), {
        timeout: timeoutMs,
      });
      text = msg.string();
    } catch (err) {
      throw new FerryError(
        'FERRY_ERR_UNAVAILABLE',
        `git-writer did not answer the diff of ${cmd.targetBranch} within ${timeoutMs / 1000}s (${(err as Error).message}); check that git-writer is running`,
        { cause: err },
      );
    }
    const reply = validate(GitDiffReplySchema, JSON.parse(text), 'git-writer diff reply');
    if ('error' in reply) return { ...emptyDiff(cmd), error: `git-writer could not diff: ${reply.error}` };
    return reply.diff;
  };
}

const emptyDiff = (cmd: WriteGit): WriteDiff => ({
  writeId: cmd.writeId,
  repoURL: cmd.repoURL,
  branch: cmd.targetBranch,
  base: '',
  changed: false,
  diff: '',
  message: '',
});

/** A running plan responder. */
export interface PlanResponder {
  /** Stops answering. */
  stop(): void;
}

/**
 * Answers plan requests (`ferry.v1.req.promoter.plan.<project>`, queue group `promoter`) for
 * every Project. Bad requests and lookups that fail come back as `{error, code}`.
 */
export function startPlanResponder(deps: {
  bus: Pick<Bus, 'nc'>;
  lookup: PlanLookup;
  log: Logger;
  clock: () => Date;
  diff?: DiffPort;
}): PlanResponder {
  const { bus, lookup, log, clock } = deps;
  const diff = deps.diff ?? natsDiffPort(bus);
  const sub = bus.nc.subscribe(promotionPlanSubject('*'), {
    queue: PROMOTER_REQUEST_QUEUE,
    callback: (err, msg) => {
      if (err) {
        log.warn({ err }, 'plan subscription failed');
        return;
      }
      void (async () => {
        let reply: PromotionPlanReply;
        try {
          let payload: unknown;
          try {
            payload = JSON.parse(msg.string());
          } catch {
            throw new FerryError('FERRY_ERR_VALIDATION', 'plan request: the payload is not JSON');
          }
          const request = validate(PromotionPlanRequestSchema, payload, 'plan request');
          const subjectProject = msg.subject.slice(promotionPlanSubject('').length);
          if (subjectProject !== request.project)
            throw new FerryError(
              'FERRY_ERR_VALIDATION',
              `plan request: /project: "${request.project}" differs from the subject's Project "${subjectProject}"`,
            );
          reply = { plan: await buildPlan(request, lookup, diff, clock()) };
          log.info(
            { project: request.project, stage: request.stage, freight: request.freight },
            'promotion planned',
          );
        } catch (e) {
          const code: ErrorCode = e instanceof FerryError ? e.code : 'FERRY_ERR_INTERNAL';
          if (code === 'FERRY_ERR_INTERNAL') log.error({ err: e }, 'plan failed');
          reply = { error: (e as Error).message, code };
        }
        msg.respond(JSON.stringify(reply));
      })();
    },
  });
  return { stop: () => sub.unsubscribe() };
}
