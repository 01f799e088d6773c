/**
 * The `ferry` command line: finds the command, resolves the global options, runs the command and
 * turns errors into messages and exit codes.
 */
import pkg from '../package.json' with { type: 'json' };
import { APPLY_USAGE, runApply } from './apply.ts';
import { VALUE_OPTIONS } from './args.ts';
import { COMPLETION_USAGE, type CompletionSpec, runComplete, runCompletion } from './completion.ts';
import { type CliIo, type Context, makeContext, savedBearer } from './context.ts';
import { CREATE_ALL_USAGE, runCreate } from './create.ts';
import { DELETE_USAGE, runDelete } from './delete.ts';
import { ApiError, UnreachableError, UsageError } from './errors.ts';
import { APPROVE_ANY_USAGE, REJECT_ANY_USAGE, runApproveAny, runRejectAny } from './gates.ts';
import { GET_USAGE, runGet } from './get.ts';
import { ApiClient } from './http.ts';
import {
  CONFIG_USAGE,
  LOGIN_USAGE,
  LOGOUT_USAGE,
  readConfig,
  runConfig,
  runLogin,
  runLogout,
  type SessionInput,
} from './login.ts';
import { ABORT_USAGE, ROLLBACK_USAGE, runAbort, runRollback, runVerify, VERIFY_USAGE } from './operations.ts';
import { PROMOTE_USAGE, runPromote } from './promote.ts';
import { REFRESH_USAGE, runRefresh } from './refresh.ts';
import { runTest, TEST_USAGE } from './test-subscription.ts';
import { runToken, TOKEN_USAGE } from './token.ts';

/** The CLI's version, from its package.json. */
export const VERSION: string = pkg.version;

/** The API server used when neither --server nor FERRY_SERVER is given. */
export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** Usage text of `ferry` itself. */
export const USAGE = `Usage: ferry [--server URL] COMMAND [options]

Ferry's command line: applies Kargo manifests, shows resources and promotes Freight through the
Ferry API.

Commands:
  apply      Create or update resources from Kargo manifest files
  get        List or show Projects, Warehouses, Stages, Freight and Promotions
  delete     Delete resources by kind and name, or those a manifest file names
  refresh    Ask a Warehouse to discover new Freight now
  create     Create resources that do not exist yet (-f FILE, project, credentials) or Freight
  test       Show what subscriptions would pick, changing nothing: "ferry test subscription"
  promote    Promote a piece of Freight to a Stage, optionally waiting for the result
  approve    Approve Freight for a Stage, or a Promotion waiting for approval
  reject     Reject Freight for a Stage or everywhere (or --undo that), or a Promotion
  abort      Abort a Promotion that has not finished
  rollback   Promote the Freight verified in a Stage before its current one
  verify     Run a Stage's verification again, or abort it
  login      Log in with an API token or OIDC and save it with the server in the config file
  logout     Remove the saved token or OIDC login
  config     Save settings: "ferry config set-project NAME"
  token      Create, list and delete API tokens (system admin)
  completion Print a shell completion script: "ferry completion bash|zsh|fish"

Global options:
  --server URL   Ferry API base URL (default $FERRY_SERVER, else the saved one, else ${DEFAULT_SERVER})
  --token TOKEN  API token (default $FERRY_TOKEN, else the one saved by "ferry login")
  -h, --help     Show help; "ferry COMMAND --help" shows a command's
  --version      Print the version

Exit codes: 0 success, 1 an error (from the API or a failed Promotion), 2 bad usage or a timeout.
`;

/** A command: its usage text and how to run it. */
interface Command {
  usage: string;
  run: (args: string[], ctx: Context) => Promise<number>;
}

/** The commands, by name. Later releases add more here. */
const COMMANDS: Readonly<Record<string, Command>> = {
  apply: { usage: APPLY_USAGE, run: runApply },
  get: { usage: GET_USAGE, run: runGet },
  delete: { usage: DELETE_USAGE, run: runDelete },
  refresh: { usage: REFRESH_USAGE, run: runRefresh },
  create: { usage: CREATE_ALL_USAGE, run: runCreate },
  test: { usage: TEST_USAGE, run: runTest },
  promote: { usage: PROMOTE_USAGE, run: runPromote },
  approve: { usage: APPROVE_ANY_USAGE, run: runApproveAny },
  reject: { usage: REJECT_ANY_USAGE, run: runRejectAny },
  abort: { usage: ABORT_USAGE, run: runAbort },
  rollback: { usage: ROLLBACK_USAGE, run: runRollback },
  verify: { usage: VERIFY_USAGE, run: runVerify },
  token: { usage: TOKEN_USAGE, run: runToken },
  completion: { usage: COMPLETION_USAGE, run: runCompletion },
  // Hidden: what the completion scripts call on TAB (not in USAGE).
  __complete: { usage: COMPLETION_USAGE, run: (args, ctx) => runComplete(args, ctx, completionSpec()) },
};

/** Commands about the CLI's own settings; they get the server and token rather than a client. */
const SESSION_COMMANDS: Readonly<
  Record<string, { usage: string; run: (args: string[], s: SessionInput) => Promise<number> }>
> = {
  login: { usage: LOGIN_USAGE, run: runLogin },
  logout: { usage: LOGOUT_USAGE, run: runLogout },
  config: { usage: CONFIG_USAGE, run: runConfig },
};

/** What shell completion needs to know of the commands; built on demand, after the tables exist. */
const completionSpec = (): CompletionSpec => {
  const commands: Record<string, string> = {};
  for (const [name, c] of [...Object.entries(COMMANDS), ...Object.entries(SESSION_COMMANDS)]) {
    if (!name.startsWith('__')) commands[name] = c.usage;
  }
  return {
    commands,
    valueOptions: new Set([...VALUE_OPTIONS, '--server', '--token']),
    globalOptions: ['--server', '--token', '--help', '--version'],
  };
};

/** The command line split into the command name, the global --server and the command's arguments. */
interface Split {
  command: string | undefined;
  server: string | undefined;
  token: string | undefined;
  rest: string[];
}

const split = (argv: readonly string[]): Split => {
  let command: string | undefined;
  let server: string | undefined;
  let token: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i]!;
    if (t === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (t === '--server') {
      server = argv[++i];
      if (server === undefined) throw new UsageError("option '--server URL' needs a value", USAGE);
      continue;
    }
    if (t.startsWith('--server=')) {
      server = t.slice('--server='.length);
      continue;
    }
    if (t === '--token') {
      token = argv[++i];
      if (token === undefined) throw new UsageError("option '--token TOKEN' needs a value", USAGE);
      continue;
    }
    if (t.startsWith('--token=')) {
      token = t.slice('--token='.length);
      continue;
    }
    if (command === undefined && !t.startsWith('-')) {
      command = t;
      continue;
    }
    rest.push(t);
    if (VALUE_OPTIONS.has(t) && i + 1 < argv.length) rest.push(argv[++i]!);
  }
  return { command, server, token, rest };
};

const resolveServer = (
  flag: string | undefined,
  env: CliIo['env'],
  usage: string,
  saved?: string,
): string => {
  const server = flag || env.FERRY_SERVER || saved || DEFAULT_SERVER;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`server "${server}" is not a URL like ${DEFAULT_SERVER}`, usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`server "${server}" must be an http or https URL`, usage);
  }
  return server;
};

/**
 * Runs the CLI with `argv` (the arguments after `ferry`) and returns the exit code: 0 success,
 * 1 an API error, an unreachable API or a failed Promotion, 2 bad usage or a `--wait` timeout.
 * Never throws and never exits the process, so tests can run it in-process.
 */
export const run = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const stderr = (text: string) => void io.stderr.write(text);
  try {
    const { command, server, token: tokenFlag, rest } = split(argv);
    if (command === undefined) {
      if (rest.includes('--version')) {
        io.stdout.write(`ferry ${VERSION}\n`);
        return 0;
      }
      if (rest.includes('--help') || rest.includes('-h')) {
        io.stdout.write(USAGE);
        return 0;
      }
      if (rest.length > 0) throw new UsageError(`unknown option "${rest[0]}"`, USAGE);
      stderr(USAGE);
      return 2;
    }
    if (command === 'help') {
      // Any command, the session ones (login, logout, config) included.
      const name = rest.find((a) => !a.startsWith('-'));
      const topic = name === undefined ? undefined : (COMMANDS[name] ?? SESSION_COMMANDS[name]);
      if (name !== undefined && topic === undefined) throw new UsageError(`unknown command "${name}"`, USAGE);
      io.stdout.write(topic?.usage ?? USAGE);
      return 0;
    }
    const cmd = COMMANDS[command] ?? SESSION_COMMANDS[command];
    if (cmd === undefined) throw new UsageError(`unknown command "${command}"`, USAGE);
    // The flag, else the environment, else what `ferry login` / `ferry config` saved.
    const saved = await readConfig(io.env);
    const session = SESSION_COMMANDS[command];
    if (session !== undefined) {
      // login takes its server and token from the command line or environment only.
      const fresh = command === 'login';
      const s: SessionInput = {
        server: resolveServer(server, io.env, cmd.usage, fresh ? undefined : saved.server),
        token: tokenFlag || io.env.FERRY_TOKEN || (fresh ? undefined : saved.token),
        io,
      };
      return await session.run(rest, s);
    }
    const token = tokenFlag || io.env.FERRY_TOKEN || (await savedBearer(saved, io));
    const client = new ApiClient({
      server: resolveServer(server, io.env, cmd.usage, saved.server),
      fetch: io.fetch,
      ...(token ? { token } : {}),
    });
    const env = saved.project && !io.env.FERRY_PROJECT ? { ...io.env, FERRY_PROJECT: saved.project } : io.env;
    return await COMMANDS[command]!.run(rest, makeContext({ ...io, env }, client));
  } catch (err) {
    return report(err, stderr);
  }
};

/** Prints an error the way the CLI shows every error, and returns its exit code. */
const report = (err: unknown, stderr: (text: string) => void): number => {
  if (err instanceof UsageError) {
    stderr(`error: ${err.message}\n\n${err.usage}`);
    return 2;
  }
  if (err instanceof ApiError) {
    stderr(`error: ${err.message} (${err.code})\n`);
    for (const p of err.problems) stderr(`  ${p.path || '/'}: ${p.message}\n`);
    return 1;
  }
  if (err instanceof UnreachableError) {
    stderr(`error: ${err.message}\n`);
    return 1;
  }
  stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
};
