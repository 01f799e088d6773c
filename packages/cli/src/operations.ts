/**
 * `ferry approve`, `ferry reject`, `ferry abort` and `ferry rollback`: operations on Freight,
 * Promotions and Stages beyond promote.
 */
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import { type Context, projectFrom, projectPath } from './context.ts';
import { UsageError } from './errors.ts';

/** Usage text of `ferry approve`. */
export const APPROVE_USAGE = `Usage: ferry approve -p PROJECT (--freight ID | --freight-alias ALIAS) --stage STAGE

Approves a piece of Freight for a Stage: the Stage may take it without its being verified in an
upstream Stage (and auto-promotion may then pick it).

Options:
  -p, --project NAME      Project (default $FERRY_PROJECT)
  --freight ID            Freight, by id
  --freight-alias ALIAS   Freight, by alias
  --stage NAME            Stage to approve it for

Examples:
  ferry approve -p shop --freight-alias wild-otter --stage prod
  ferry approve -p shop --freight 3f2a9c1e5b7d90a4c6e8f0b2d4a6c8e0f1a3b5c7 --stage uat

${GLOBAL_OPTIONS_HELP}
`;

/** Usage text of `ferry reject`. */
export const REJECT_USAGE = `Usage: ferry reject -p PROJECT (--freight ID | --freight-alias ALIAS) [--stage STAGE] [--reason TEXT] [--undo]

Rejects a piece of Freight for a Stage, or for every Stage when --stage is left out: it is no
longer available there and never auto-promoted. --undo takes a rejection back. Who and why are
recorded on the Freight (status.rejected).

Options:
  -p, --project NAME      Project (default $FERRY_PROJECT)
  --freight ID            Freight, by id
  --freight-alias ALIAS   Freight, by alias
  --stage NAME            Stage to reject it for (default: every Stage)
  --reason TEXT           Why, for the record
  --undo                  Take an earlier rejection back

Examples:
  ferry reject -p shop --freight-alias wild-otter --stage prod --reason "fails the load test"
  ferry reject -p shop --freight-alias wild-otter --reason "CVE-2025-1234 in the base image"
  ferry reject -p shop --freight-alias wild-otter --undo

${GLOBAL_OPTIONS_HELP}
`;

/** Usage text of `ferry abort`. */
export const ABORT_USAGE = `Usage: ferry abort promotion NAME -p PROJECT

Aborts a Promotion that has not finished. A step already handed to git-writer or Argo CD may
still complete there; the Promotion ends Aborted and the Stage's next Promotion may start.
("ferry promote --abort NAME" does the same.)

Options:
  -p, --project NAME      Project (default $FERRY_PROJECT)

Examples:
  ferry abort promotion prod.01jq9x3c4y5z6a7b8c9d0e1f2g.3f2a9c1 -p shop
  FERRY_PROJECT=shop ferry abort promo prod.01jq9x3c4y5z6a7b8c9d0e1f2g.3f2a9c1

${GLOBAL_OPTIONS_HELP}
`;

/** Usage text of `ferry rollback`. */
export const ROLLBACK_USAGE = `Usage: ferry rollback -p PROJECT --stage STAGE

Promotes the Freight that was verified in the Stage before its current one.

Options:
  -p, --project NAME      Project (default $FERRY_PROJECT)
  --stage NAME            Stage to roll back

Examples:
  ferry rollback -p shop --stage prod
  ferry rollback -p shop --stage prod && ferry get promotions -p shop --stage prod
  FERRY_PROJECT=shop ferry rollback --stage uat

${GLOBAL_OPTIONS_HELP}
`;

const requireProject = (flag: string | undefined, ctx: Context, usage: string): string => {
  const project = projectFrom(flag, ctx.env);
  if (project === undefined)
    throw new UsageError('a Project is required: pass -p PROJECT or set FERRY_PROJECT', usage);
  return project;
};

const freightRef = (values: { freight?: string; 'freight-alias'?: string }, usage: string) => {
  if ((values.freight === undefined) === (values['freight-alias'] === undefined)) {
    throw new UsageError('give exactly one of --freight ID and --freight-alias ALIAS', usage);
  }
  return values.freight !== undefined
    ? { freight: values.freight }
    : { freightAlias: values['freight-alias']! };
};

const FREIGHT_OPTIONS = {
  project: { type: 'string', short: 'p' },
  stage: { type: 'string' },
  freight: { type: 'string' },
  'freight-alias': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs `ferry approve`; returns the exit code. */
export const runApprove = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(args, FREIGHT_OPTIONS, APPROVE_USAGE);
  if (values.help) {
    ctx.out(APPROVE_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, APPROVE_USAGE);
  const project = requireProject(values.project, ctx, APPROVE_USAGE);
  if (!values.stage) throw new UsageError('--stage is required', APPROVE_USAGE);
  const ref = freightRef(values, APPROVE_USAGE);
  const { body } = await ctx.client.post(`${projectPath(project, 'freight')}/approve`, {
    ...ref,
    stage: values.stage,
  });
  const b = body as { alias?: string; freight: string };
  ctx.out(`freight ${b.alias ?? b.freight} approved for stage ${values.stage}\n`);
  return 0;
};

/** Runs `ferry reject`; returns the exit code. */
export const runReject = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(
    args,
    { ...FREIGHT_OPTIONS, reason: { type: 'string' }, undo: { type: 'boolean' } },
    REJECT_USAGE,
  );
  if (values.help) {
    ctx.out(REJECT_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, REJECT_USAGE);
  const project = requireProject(values.project, ctx, REJECT_USAGE);
  const ref = freightRef(values, REJECT_USAGE);
  const { body } = await ctx.client.post(`${projectPath(project, 'freight')}/reject`, {
    ...ref,
    ...(values.stage ? { stage: values.stage } : {}),
    ...(values.reason ? { reason: values.reason } : {}),
    ...(values.undo ? { undo: true } : {}),
  });
  const b = body as { alias?: string; freight: string };
  const where = values.stage ? `for stage ${values.stage}` : 'for every stage';
  ctx.out(`freight ${b.alias ?? b.freight} ${values.undo ? 'no longer rejected' : 'rejected'} ${where}\n`);
  return 0;
};

/** Aborts a Promotion by name; shared by `ferry abort` and `ferry promote --abort`. */
export const abortPromotion = async (ctx: Context, project: string, name: string): Promise<number> => {
  await ctx.client.post(`${projectPath(project, 'promotions', name)}/abort`, {});
  ctx.out(`promotion ${name} abort requested\n`);
  return 0;
};

/** Runs `ferry abort`; returns the exit code. */
export const runAbort = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(
    args,
    { project: { type: 'string', short: 'p' }, help: { type: 'boolean', short: 'h' } },
    ABORT_USAGE,
  );
  if (values.help) {
    ctx.out(ABORT_USAGE);
    return 0;
  }
  const [kind, name, ...extra] = positionals;
  if (kind === undefined || !['promotion', 'promotions', 'promo'].includes(kind)) {
    throw new UsageError('what to abort is required: promotion NAME', ABORT_USAGE);
  }
  if (name === undefined) throw new UsageError('a Promotion NAME is required', ABORT_USAGE);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`, ABORT_USAGE);
  return abortPromotion(ctx, requireProject(values.project, ctx, ABORT_USAGE), name);
};

/** Runs `ferry rollback`; returns the exit code. */
export const runRollback = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(
    args,
    {
      project: { type: 'string', short: 'p' },
      stage: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    ROLLBACK_USAGE,
  );
  if (values.help) {
    ctx.out(ROLLBACK_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, ROLLBACK_USAGE);
  const project = requireProject(values.project, ctx, ROLLBACK_USAGE);
  if (!values.stage) throw new UsageError('--stage is required', ROLLBACK_USAGE);
  const { body } = await ctx.client.post(`${projectPath(project, 'stages', values.stage)}/rollback`, {});
  const b = body as { name: string; freight: string };
  ctx.out(
    `promotion.kargo.akuity.io/${b.name} created (rolling ${values.stage} back to ${b.freight.slice(0, 7)})\n`,
  );
  return 0;
};

/** Usage text of `ferry verify`. */
export const VERIFY_USAGE = `Usage: ferry verify stage NAME -p PROJECT [--abort]

Runs the Stage's verification (its AnalysisTemplates) again for the Freight it has now, or, with
--abort, stops the one running. Follow it with "ferry get stage NAME -p PROJECT -o yaml"
(status.verification).

Options:
  -p, --project NAME      Project (default $FERRY_PROJECT)
  --abort                 Stop the running verification

Examples:
  ferry verify stage uat -p shop
  ferry verify stage uat -p shop --abort
  FERRY_PROJECT=shop ferry verify stage prod

${GLOBAL_OPTIONS_HELP}
`;

/** Runs `ferry verify`; returns the exit code. */
export const runVerify = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(
    args,
    {
      project: { type: 'string', short: 'p' },
      abort: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    VERIFY_USAGE,
  );
  if (values.help) {
    ctx.out(VERIFY_USAGE);
    return 0;
  }
  const [kind, name, ...extra] = positionals;
  if (kind === undefined || !['stage', 'stages'].includes(kind)) {
    throw new UsageError('what to verify is required: stage NAME', VERIFY_USAGE);
  }
  if (name === undefined) throw new UsageError('a Stage NAME is required', VERIFY_USAGE);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`, VERIFY_USAGE);
  const project = requireProject(values.project, ctx, VERIFY_USAGE);
  await ctx.client.post(
    `${projectPath(project, 'stages', name)}/verify`,
    values.abort ? { abort: true } : {},
  );
  ctx.out(`stage ${name} verification ${values.abort ? 'abort' : 'run'} requested\n`);
  return 0;
};
