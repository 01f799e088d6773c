/** `ferry promote`: asks for a Promotion of a piece of Freight to a Stage, and optionally follows it. */
import type { PlannedStep, Promotion, PromotionPlan, StepExecution } from '@ferry/contracts';
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import { type Context, projectFrom, projectPath } from './context.ts';
import { ApiError, UsageError } from './errors.ts';
import { formatSeconds, parseDuration, parseOutputSync, renderData, toYaml } from './format.ts';
import { abortPromotion } from './operations.ts';

/** Usage text of `ferry promote`. */
export const PROMOTE_USAGE = `Usage: ferry promote -p PROJECT --stage STAGE (--freight ID | --freight-alias ALIAS) [--wait] [--timeout 10m]
       ferry promote -p PROJECT --downstream-from STAGE (--freight ID | --freight-alias ALIAS)
       ferry promote -p PROJECT --abort NAME
       ferry promote -p PROJECT --stage STAGE (--freight ID | --freight-alias ALIAS) --dry-run [--var NAME=VALUE]... [-o text|json|yaml|jsonpath=T]

Asks for a Promotion of a piece of Freight to a Stage. With --wait, follows it step by step and
exits 0 when it succeeds, 1 when it fails, errors or is aborted, 2 when --timeout passes first.
With --dry-run, creates no Promotion and changes nothing: prints each step with what it would do
and the unified diff each git-push would push (steps with outside effects, such as argocd-update
or http, are shown with their evaluated config, secrets redacted, and not run).

Options:
  -p, --project NAME      Project of the Stage (default $FERRY_PROJECT)
  --stage NAME            Stage to promote to
  --freight ID            Freight to promote, by id
  --freight-alias ALIAS   Freight to promote, by alias
  --wait                  Follow the Promotion until it finishes
  --timeout DURATION      How long --wait waits (e.g. 90s, 10m, 1h30m); default 10m
  --downstream-from STAGE Promote to every Stage immediately downstream of STAGE
  --abort NAME            Abort the Promotion NAME
  --dry-run               Show what the Promotion would do and the diffs it would push; change nothing
  --var NAME=VALUE        With --dry-run: a variable added after the Stage template's vars (repeatable)
  -o, --output FORMAT     With --dry-run: text (default), json or yaml (the API's plan), or
                          jsonpath=TEMPLATE (kubectl's JSONPath over the plan)

Examples:
  ferry promote -p shop --stage uat --freight-alias wild-otter
  ferry promote -p shop --stage prod --freight-alias wild-otter --wait --timeout 20m
  ferry promote -p shop --downstream-from uat --freight-alias wild-otter
  ferry promote -p shop --stage prod --freight-alias wild-otter --dry-run --var replicas=3

${GLOBAL_OPTIONS_HELP}
`;

/** The body of POST /api/v1/projects/{project}/promotions: exactly one of freight, freightAlias. */
export interface PromoteRequest {
  /** The target Stage. */
  stage: string;
  /** The Freight's id. */
  freight?: string;
  /** The Freight's alias. */
  freightAlias?: string;
}

/** How often `--wait` asks for the Promotion, in ms. */
export const POLL_INTERVAL_MS = 200;
/**
 * How long a fresh Promotion may answer 404, in ms: the API answers 201 before the promoter has
 * stored it.
 */
export const NOT_FOUND_GRACE_MS = 10_000;
/** The `--timeout` used when none is given. */
export const DEFAULT_TIMEOUT = '10m';

const OPTIONS = {
  project: { type: 'string', short: 'p' },
  stage: { type: 'string' },
  freight: { type: 'string' },
  'freight-alias': { type: 'string' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  'downstream-from': { type: 'string' },
  abort: { type: 'string' },
  'dry-run': { type: 'boolean' },
  var: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs `ferry promote`; returns the exit code. */
export const runPromote = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(args, OPTIONS, PROMOTE_USAGE);
  if (values.help) {
    ctx.out(PROMOTE_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, PROMOTE_USAGE);
  const project = projectFrom(values.project, ctx.env);
  if (project === undefined) {
    throw new UsageError('a Project is required: pass -p PROJECT or set FERRY_PROJECT', PROMOTE_USAGE);
  }
  if (values['dry-run'] && (values.abort !== undefined || values['downstream-from'] !== undefined)) {
    throw new UsageError('--dry-run goes with --stage, not with --abort or --downstream-from', PROMOTE_USAGE);
  }
  if (values.abort !== undefined) return abortPromotion(ctx, project, values.abort);
  const freight = values.freight;
  const alias = values['freight-alias'];
  if ((freight === undefined) === (alias === undefined)) {
    throw new UsageError('give exactly one of --freight ID and --freight-alias ALIAS', PROMOTE_USAGE);
  }
  const downstreamFrom = values['downstream-from'];
  if (downstreamFrom !== undefined) {
    if (values.stage) throw new UsageError('give --stage or --downstream-from, not both', PROMOTE_USAGE);
    const { body } = await ctx.client.post(
      `${projectPath(project, 'stages', downstreamFrom)}/promote-downstream`,
      freight !== undefined ? { freight } : { freightAlias: alias },
    );
    for (const p of (body as { items: Array<{ name: string }> }).items) {
      ctx.out(`promotion.kargo.akuity.io/${p.name} created\n`);
    }
    return 0;
  }
  if (!values.stage) throw new UsageError('--stage is required', PROMOTE_USAGE);
  if (values['dry-run']) {
    if (values.wait)
      throw new UsageError('--wait cannot follow a --dry-run: nothing is created', PROMOTE_USAGE);
    return dryRun(ctx, project, values.stage, {
      freight,
      alias,
      vars: values.var ?? [],
      output: values.output,
    });
  }
  if (values.output !== undefined || values.var !== undefined) {
    throw new UsageError('--output and --var go with --dry-run', PROMOTE_USAGE);
  }
  const timeoutText = values.timeout ?? DEFAULT_TIMEOUT;
  const timeoutMs = parseDuration(timeoutText);
  if (timeoutMs === undefined) {
    throw new UsageError(
      `--timeout "${timeoutText}" is not a duration like 90s, 10m or 1h30m`,
      PROMOTE_USAGE,
    );
  }

  const body: PromoteRequest = { stage: values.stage };
  if (freight !== undefined) body.freight = freight;
  if (alias !== undefined) body.freightAlias = alias;
  const { body: created } = await ctx.client.post(projectPath(project, 'promotions'), body);
  const promotion = created as Promotion;
  const name = promotion?.metadata?.name;
  if (typeof name !== 'string') throw new Error('the API created a Promotion but did not say its name');
  ctx.out(`promotion.kargo.akuity.io/${name} created\n`);
  if (!values.wait) return 0;
  return follow(ctx, project, promotion, timeoutText, timeoutMs);
};

/** The body of POST /api/v1/projects/{project}/promotions/dry-run: the promote body and `vars`. */
export interface DryRunRequest extends PromoteRequest {
  /** Variables added after the Stage template's vars. */
  vars?: Array<{ name: string; value: string }>;
}

/** `--dry-run`: asks the API for the plan and prints it (text) or the raw plan (json, yaml). */
const dryRun = async (
  ctx: Context,
  project: string,
  stage: string,
  opts: { freight?: string; alias?: string; vars: string[]; output?: string },
): Promise<number> => {
  const output = parseOutputSync(opts.output, {
    allowed: ['text', 'json', 'yaml', 'jsonpath'],
    fallback: 'text',
    usage: PROMOTE_USAGE,
  });
  const body: DryRunRequest = { stage };
  if (opts.freight !== undefined) body.freight = opts.freight;
  if (opts.alias !== undefined) body.freightAlias = opts.alias;
  if (opts.vars.length > 0) {
    body.vars = opts.vars.map((v) => {
      const eq = v.indexOf('=');
      if (eq <= 0) throw new UsageError(`--var "${v}" is not NAME=VALUE`, PROMOTE_USAGE);
      return { name: v.slice(0, eq), value: v.slice(eq + 1) };
    });
  }
  const { body: answer } = await ctx.client.post(`${projectPath(project, 'promotions')}/dry-run`, body);
  const plan = answer as PromotionPlan;
  ctx.out(renderData(output, plan) ?? formatPlan(plan));
  return 0;
};

/**
 * A plan as text: a header, the warnings, then one line per step with its action, what it would
 * do, the config of steps not run, and each git diff as `git diff` prints it (no colour).
 */
export const formatPlan = (plan: PromotionPlan): string => {
  const lines: string[] = [
    `dry run: Freight ${plan.freight.alias || plan.freight.id.slice(0, 7)} (${plan.freight.id.slice(0, 7)}) to Stage ${plan.stage} in Project ${plan.project}; nothing was created, committed or pushed`,
  ];
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  const total = plan.steps.length;
  if (total === 0) lines.push('no steps');
  for (const s of plan.steps) {
    lines.push(`[${s.index + 1}/${total}] ${s.uses} (${s.alias}): ${s.action}`);
    if (s.message) lines.push(`      ${s.message}`);
    if (s.error) lines.push(`      error: ${s.error}`);
    if (s.action === 'would-run' && s.config && Object.keys(s.config).length > 0) {
      lines.push('      config:');
      for (const l of toYaml(s.config).trimEnd().split('\n')) lines.push(`        ${l}`);
    }
    if (s.diff) lines.push(...diffLines(s));
  }
  return `${lines.join('\n')}\n`;
};

const diffLines = (s: PlannedStep): string[] => {
  const d = s.diff!;
  if (!d.changed) return [`      ${d.repoURL} ${d.branch}: no change`];
  const head = `      ${d.repoURL} ${d.branch}: ${d.files.length} file${d.files.length === 1 ? '' : 's'} changed (${d.files.join(', ')})`;
  return [head, ...d.diff.trimEnd().split('\n')];
};

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed', 'Errored', 'Aborted']);
const TERMINAL_STEP = new Set(['Succeeded', 'Failed', 'Errored', 'Skipped']);

/**
 * Polls the Promotion until it reaches a terminal phase or the timeout passes, printing steps as
 * they start and end. Returns the exit code: 0 Succeeded, 1 Failed/Errored/Aborted, 2 timed out.
 */
const follow = async (
  ctx: Context,
  project: string,
  created: Promotion,
  timeoutText: string,
  timeoutMs: number,
): Promise<number> => {
  const name = created.metadata.name;
  const path = projectPath(project, 'promotions', name);
  const start = ctx.now();
  const printer = new StepPrinter(ctx.out);
  let promotion = created;
  let seen = false;
  let pendingMessage: string | undefined;
  for (;;) {
    printer.update(promotion);
    const phase = promotion.status?.phase;
    if (phase === 'Pending' && promotion.status?.message && promotion.status.message !== pendingMessage) {
      pendingMessage = promotion.status.message;
      printer.close();
      ctx.out(`pending: ${pendingMessage}\n`);
    }
    if (phase !== undefined && TERMINAL_PHASES.has(phase)) {
      printer.close();
      const took = formatSeconds(elapsedMs(promotion) ?? ctx.now() - start);
      if (phase === 'Succeeded') {
        ctx.out(`promotion ${name} Succeeded in ${took}\n`);
        return 0;
      }
      ctx.err(
        `error: promotion ${name} ${phase} after ${took}: ${promotion.status.message || 'no message'}\n`,
      );
      return 1;
    }
    if (ctx.now() - start >= timeoutMs) {
      printer.close();
      ctx.err(
        `error: promotion ${name} is still ${phase ?? 'Pending'} after ${timeoutText}; ` +
          `see where it is with "ferry get promotion ${name} -p ${project}"\n`,
      );
      return 2;
    }
    await ctx.sleep(POLL_INTERVAL_MS);
    try {
      promotion = (await ctx.client.get(path)).body as Promotion;
      seen = true;
    } catch (err) {
      const young = !seen && ctx.now() - start < NOT_FOUND_GRACE_MS;
      if (young && err instanceof ApiError && err.code === 'FERRY_ERR_PROMOTION_NOT_FOUND') continue;
      printer.close();
      throw err;
    }
  }
};

/** The Promotion's run time from the server's timestamps; undefined when they are missing. */
const elapsedMs = (p: Promotion): number | undefined => {
  const from = p.status?.createdAt ?? p.metadata?.creationTimestamp ?? p.status?.startedAt;
  const to = p.status?.finishedAt;
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isNaN(ms) ? undefined : ms;
};

/**
 * Prints `[i/n] uses (alias) ...` when a step starts and ` <status> (<time>)` when it ends, on the
 * same line; a step seen only once it had ended gets the whole line at once.
 */
class StepPrinter {
  readonly #out: (text: string) => void;
  readonly #started = new Set<number>();
  readonly #ended = new Set<number>();
  /** The step whose line is written up to `...`, awaiting its end. */
  #open: number | undefined;

  constructor(out: (text: string) => void) {
    this.#out = out;
  }

  /** Prints what changed in the Promotion's steps since the last call. */
  update(p: Promotion): void {
    const execs = p.status?.stepExecutionMetadata ?? [];
    const steps = p.spec?.steps ?? [];
    const total = Math.max(steps.length, execs.length);
    for (const [i, e] of execs.entries()) {
      if (!e || this.#ended.has(i)) continue;
      const ended = TERMINAL_STEP.has(e.status);
      const started = ended || e.status === 'Running' || Boolean(e.startedAt);
      if (!started) continue;
      const label = `[${i + 1}/${total}] ${e.uses || steps[i]?.uses || '?'} (${e.alias || steps[i]?.as || `step-${i}`}) ...`;
      if (!this.#started.has(i)) {
        this.close();
        this.#out(label);
        this.#started.add(i);
        this.#open = i;
      }
      if (!ended) continue;
      // The start line may have been ended by other output; the end then needs its label again.
      if (this.#open !== i) {
        this.close();
        this.#out(label);
      }
      this.#out(` ${e.status}${stepTime(e)}\n`);
      if (e.message) this.#out(`      ${e.message}\n`);
      this.#ended.add(i);
      this.#open = undefined;
    }
  }

  /** Ends a half-written step line, so other output starts on a line of its own. */
  close(): void {
    if (this.#open === undefined) return;
    this.#out('\n');
    this.#open = undefined;
  }
}

const stepTime = (e: StepExecution): string => {
  if (!e.startedAt || !e.finishedAt) return '';
  const ms = Date.parse(e.finishedAt) - Date.parse(e.startedAt);
  return Number.isNaN(ms) ? '' : ` (${formatSeconds(ms)})`;
};
