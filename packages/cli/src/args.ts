/**
 * Command-line parsing helpers over `util.parseArgs`: parse errors become UsageErrors carrying the
 * command's usage text.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

/** The global options' lines, appended to every command's usage text. */
export const GLOBAL_OPTIONS_HELP = `Global options:
  --server URL          Ferry API base URL (default $FERRY_SERVER, else http://127.0.0.1:8080)
  -h, --help            Show this help`;

/** The options configuration `parseArgs` takes. */
export type OptionsConfig = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/**
 * Parses a command's arguments strictly (unknown options are errors) and allows positionals.
 * Any parse error is rethrown as a UsageError with `usage`.
 */
export const parseCommand = <O extends NonNullable<OptionsConfig>>(
  args: string[],
  options: O,
  usage: string,
) => {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), usage);
  }
};

/**
 * Options of any command that take a value, so the scan for the command name skips their values
 * (`ferry -p demo get stages`, `ferry create -p demo freight`).
 */
export const VALUE_OPTIONS = new Set([
  '-f',
  '--filename',
  '-p',
  '--project',
  '-o',
  '--output',
  '--stage',
  '--warehouse',
  '--freight',
  '--freight-alias',
  '--timeout',
  '--reason',
  '--abort',
  '--downstream-from',
  '--image',
  '--commit',
  '--chart',
  '--git',
  '--branch',
  '--strategy',
  '--constraint',
  '--platform',
  '--allow-tags',
  '--ignore-tags',
  '--discovery-limit',
  '--role',
  '--subject',
  '--expires',
  '--var',
  '--name',
  '--type',
  '--repo-url',
  '--username',
  '--from-literal',
]);
