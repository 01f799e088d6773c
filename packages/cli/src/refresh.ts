/** `ferry refresh warehouse`: asks a Warehouse to discover new Freight now, not at its next interval. */
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import { type Context, projectFrom, projectPath } from './context.ts';
import { UsageError } from './errors.ts';

/** Usage text of `ferry refresh`. */
export const REFRESH_USAGE = `Usage: ferry refresh warehouse NAME -p PROJECT

Asks a Warehouse to discover new Freight now instead of at its next interval. The request is
queued; follow the result with "ferry get warehouse NAME -p PROJECT".

Options:
  -p, --project NAME    Project of the Warehouse (default $FERRY_PROJECT)

Examples:
  ferry refresh warehouse app -p shop
  ferry refresh wh app -p shop && ferry get warehouse app -p shop
  FERRY_PROJECT=shop ferry refresh warehouse app

${GLOBAL_OPTIONS_HELP}
`;

const OPTIONS = {
  project: { type: 'string', short: 'p' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs `ferry refresh`; returns the exit code. */
export const runRefresh = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(args, OPTIONS, REFRESH_USAGE);
  if (values.help) {
    ctx.out(REFRESH_USAGE);
    return 0;
  }
  const [kind, name, ...extra] = positionals;
  if (kind === undefined) throw new UsageError('what to refresh is required: warehouse NAME', REFRESH_USAGE);
  if (!['warehouse', 'warehouses', 'wh'].includes(kind.toLowerCase())) {
    throw new UsageError(`cannot refresh "${kind}": only a warehouse can be refreshed`, REFRESH_USAGE);
  }
  if (name === undefined) throw new UsageError('a Warehouse NAME is required', REFRESH_USAGE);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`, REFRESH_USAGE);
  const project = projectFrom(values.project, ctx.env);
  if (project === undefined) {
    throw new UsageError('a Project is required: pass -p PROJECT or set FERRY_PROJECT', REFRESH_USAGE);
  }
  await ctx.client.post(`${projectPath(project, 'warehouses', name)}/refresh`, {});
  ctx.out(`warehouse ${name} refresh requested\n`);
  return 0;
};
