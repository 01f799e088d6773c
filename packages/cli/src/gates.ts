/**
 * `ferry approve promotion NAME` and `ferry reject promotion NAME`: decisions on a Promotion that
 * waits in a `wait-for-approval` step. Without the leading `promotion NAME`, `ferry approve` and
 * `ferry reject` keep their Freight form (operations.ts).
 */
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import { type Context, projectFrom, projectPath } from './context.ts';
import { UsageError } from './errors.ts';
import { APPROVE_USAGE, REJECT_USAGE, runApprove, runReject } from './operations.ts';

/** A Promotion name as the promoter makes them (`<stage>.<ulid>.<freight id, 7>`), for examples. */
const EXAMPLE_PROMOTION = 'prod.01jq9x3c4y5z6a7b8c9d0e1f2g.3f2a9c1';

/** The Freight form's usage with the Promotion form's example first among its examples. */
const withPromotionExample = (usage: string, example: string) =>
  usage.slice('Usage: '.length).replace('Examples:\n', `Examples:\n  ${example}\n`);

/** Usage text of `ferry approve` (both forms). */
export const APPROVE_ANY_USAGE = `Usage: ferry approve promotion NAME -p PROJECT
   or: ${withPromotionExample(APPROVE_USAGE, `ferry approve promotion ${EXAMPLE_PROMOTION} -p shop`)}
The first form approves a Promotion waiting in a wait-for-approval step: it goes on once as many
different users as the step asks for have approved it. Who approves is the X-Ferry-User header
the API receives (until authentication lands).
`;

/** Usage text of `ferry reject` (both forms). */
export const REJECT_ANY_USAGE = `Usage: ferry reject promotion NAME -p PROJECT [--reason TEXT]
   or: ${withPromotionExample(REJECT_USAGE, `ferry reject promotion ${EXAMPLE_PROMOTION} -p shop --reason "change freeze"`)}
The first form rejects a Promotion waiting in a wait-for-approval step: the step, and with it the
Promotion, fails, recording who and why.
`;

const PROMOTION_USAGE = (
  verb: 'approve' | 'reject',
) => `Usage: ferry ${verb} promotion NAME -p PROJECT${verb === 'reject' ? ' [--reason TEXT]' : ''}

Options:
  -p, --project NAME      Project (default $FERRY_PROJECT)
${verb === 'reject' ? '  --reason TEXT           Why, for the record\n' : ''}
Examples:
  ferry ${verb} promotion ${EXAMPLE_PROMOTION} -p shop${verb === 'reject' ? ' --reason "change freeze"' : ''}
  FERRY_PROJECT=shop ferry ${verb} promotion ${EXAMPLE_PROMOTION}

${GLOBAL_OPTIONS_HELP}
`;

const KINDS = ['promotion', 'promotions', 'promo'];

/** The leading positional of `args` (options and their values skipped), if any. */
const firstPositional = (args: string[]): string | undefined => {
  const { positionals } = parseCommand(
    args,
    {
      project: { type: 'string', short: 'p' },
      stage: { type: 'string' },
      freight: { type: 'string' },
      'freight-alias': { type: 'string' },
      reason: { type: 'string' },
      undo: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    APPROVE_ANY_USAGE,
  );
  return positionals[0];
};

/** Runs the Promotion form of approve or reject; returns the exit code. */
const decide = async (verb: 'approve' | 'reject', args: string[], ctx: Context): Promise<number> => {
  const usage = PROMOTION_USAGE(verb);
  const { values, positionals } = parseCommand(
    args,
    {
      project: { type: 'string', short: 'p' },
      ...(verb === 'reject' ? { reason: { type: 'string' } as const } : {}),
      help: { type: 'boolean', short: 'h' },
    },
    usage,
  );
  if (values.help) {
    ctx.out(usage);
    return 0;
  }
  const [, name, ...extra] = positionals;
  if (name === undefined) throw new UsageError('a Promotion NAME is required', usage);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`, usage);
  const project = projectFrom(values.project, ctx.env);
  if (project === undefined)
    throw new UsageError('a Project is required: pass -p PROJECT or set FERRY_PROJECT', usage);
  const reason = (values as { reason?: string }).reason;
  await ctx.client.post(`${projectPath(project, 'promotions', name)}/${verb}`, reason ? { reason } : {});
  ctx.out(`promotion ${name} ${verb === 'approve' ? 'approval' : 'rejection'} requested\n`);
  return 0;
};

/** Runs `ferry approve` in either form; returns the exit code. */
export const runApproveAny = async (args: string[], ctx: Context): Promise<number> => {
  const first = firstPositional(args);
  if (first !== undefined && KINDS.includes(first)) return decide('approve', args, ctx);
  if (first === undefined && args.some((a) => a === '-h' || a === '--help')) {
    ctx.out(APPROVE_ANY_USAGE);
    return 0;
  }
  return runApprove(args, ctx);
};

/** Runs `ferry reject` in either form; returns the exit code. */
export const runRejectAny = async (args: string[], ctx: Context): Promise<number> => {
  const first = firstPositional(args);
  if (first !== undefined && KINDS.includes(first)) return decide('reject', args, ctx);
  if (first === undefined && args.some((a) => a === '-h' || a === '--help')) {
    ctx.out(REJECT_ANY_USAGE);
    return 0;
  }
  return runReject(args, ctx);
};
