/**
 * `ferry login`, `ferry logout` and `ferry config set-project`: the CLI's saved settings in
 * `$XDG_CONFIG_HOME/ferry/config.json` (else `~/.config/ferry/config.json`).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import type { CliIo } from './context.ts';
import { UsageError } from './errors.ts';
import { ApiClient } from './http.ts';
import { type ApiOidcConfig, deviceLogin, OidcLoginError, type OidcSession } from './oidc.ts';

/** What `ferry login` and `ferry config` save. */
export interface CliConfig {
  /** The API server to use when neither --server nor FERRY_SERVER is given. */
  server?: string;
  /** The API token to send when neither --token nor FERRY_TOKEN is given. */
  token?: string;
  /** An OIDC login (`ferry login --oidc` or `--id-token`): its ID token is sent instead of `token`. */
  oidc?: OidcSession;
  /** The Project to use when neither -p nor FERRY_PROJECT is given. */
  project?: string;
}

/**
 * Where the config file is: `$XDG_CONFIG_HOME/ferry/config.json`, else `$HOME/.config/ferry/config.json`;
 * undefined when the environment has neither (tests run without one, so they never see the user's).
 */
export const configPath = (env: CliIo['env']): string | undefined =>
  env.XDG_CONFIG_HOME
    ? join(env.XDG_CONFIG_HOME, 'ferry', 'config.json')
    : env.HOME
      ? join(env.HOME, '.config', 'ferry', 'config.json')
      : undefined;

/** Reads the config file; empty when there is none. A broken file is an error naming it. */
export const readConfig = async (env: CliIo['env']): Promise<CliConfig> => {
  const path = configPath(env);
  if (path === undefined) return {};
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as CliConfig;
  } catch {}
  throw new Error(`${path} is not a JSON object; fix it or remove it and run "ferry login" again`);
};

/** Writes the config file atomically, readable by its owner only (it holds a token). */
export const writeConfig = async (env: CliIo['env'], config: CliConfig): Promise<string> => {
  const path = configPath(env);
  if (path === undefined) throw new Error('set HOME or XDG_CONFIG_HOME: the config file lives there');
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
  return path;
};

/** Usage of `ferry login`. */
export const LOGIN_USAGE = `Usage: ferry login --server URL (--token TOKEN | --oidc | --id-token TOKEN)

Checks the credential against the API (GET /api/v1/whoami) and saves the server and the
credential in $XDG_CONFIG_HOME/ferry/config.json (~/.config/ferry/config.json), readable only by
you. Later commands use them unless --server/FERRY_SERVER or --token/FERRY_TOKEN say otherwise.

  --token TOKEN     an API token (ferry token create)
  --oidc            log in at the API's OpenID Connect issuer with the device flow (RFC 8628):
                    open the URL shown, enter the code; the ID token and refresh token are saved
                    and the ID token is refreshed when it expires
  --id-token TOKEN  an ID token from the API's issuer, got some other way (CI); not refreshed

Examples:
  ferry login --server https://ferry.example.com --token ferry_...
  ferry login --server https://ferry.example.com --oidc
  ferry login --server https://ferry.example.com --id-token "$ID_TOKEN"

${GLOBAL_OPTIONS_HELP}
`;

/** Usage of `ferry logout`. */
export const LOGOUT_USAGE = `Usage: ferry logout

Removes the saved token or OIDC login from the config file (the server and Project stay). An
API token stays valid until an admin deletes it (DELETE /api/v1/tokens/NAME); an ID token until
it expires.
`;

/** Usage of `ferry config`. */
export const CONFIG_USAGE = `Usage: ferry config set-project NAME

Saves NAME as the Project commands use when neither -p nor FERRY_PROJECT is given.

Examples:
  ferry config set-project shop
`;

/** What the session commands get from the command line: the resolved server and token. */
export interface SessionInput {
  server: string;
  token: string | undefined;
  io: CliIo;
}

/** Runs `ferry login`. */
export const runLogin = async (args: string[], s: SessionInput): Promise<number> => {
  const { values } = parseCommand(
    args,
    { help: { type: 'boolean', short: 'h' }, oidc: { type: 'boolean' }, 'id-token': { type: 'string' } },
    LOGIN_USAGE,
  );
  if (values.help) {
    s.io.stdout.write(LOGIN_USAGE);
    return 0;
  }
  const idToken = values['id-token'];
  // --oidc and --id-token win over a token, which may come from FERRY_TOKEN rather than the line.
  if (values.oidc && idToken !== undefined) {
    throw new UsageError('give either --oidc or --id-token, not both', LOGIN_USAGE);
  }
  let saved: Pick<CliConfig, 'token' | 'oidc'>;
  let how = '';
  if (values.oidc) {
    saved = { oidc: await oidcLogin(s) };
    how = ' (OIDC)';
  } else if (idToken !== undefined) {
    if (idToken === '') throw new UsageError('--id-token needs a token', LOGIN_USAGE);
    saved = { oidc: { idToken } };
    how = ' (ID token)';
  } else if (s.token) saved = { token: s.token };
  else
    throw new UsageError(
      'give the token: --token TOKEN (or FERRY_TOKEN), or log in with --oidc',
      LOGIN_USAGE,
    );
  const bearer = saved.token ?? saved.oidc?.idToken;
  const client = new ApiClient({ server: s.server, token: bearer, fetch: s.io.fetch });
  const who = (await client.get('/api/v1/whoami')).body as { subject?: string };
  // One saved credential: logging in one way forgets the other.
  const { token: _t, oidc: _o, ...rest } = await readConfig(s.io.env);
  const path = await writeConfig(s.io.env, { ...rest, server: client.server, ...saved });
  s.io.stdout.write(`logged in to ${client.server} as ${who.subject ?? 'unknown'}${how}; saved in ${path}\n`);
  return 0;
};

/** `ferry login --oidc`: asks the API for its issuer, then runs the device flow there. */
const oidcLogin = async (s: SessionInput): Promise<OidcSession> => {
  const anon = new ApiClient({ server: s.server, fetch: s.io.fetch });
  const cfg = (await anon.get('/api/v1/auth/config')).body as { oidc?: ApiOidcConfig };
  if (!cfg.oidc) {
    throw new OidcLoginError(
      `the API at ${anon.server} does not accept OIDC logins (its FERRY_AUTH has no "oidc"); log in with --token`,
    );
  }
  const io = s.io;
  const tokens = await deviceLogin(cfg.oidc, {
    fetch: io.fetch ?? fetch,
    now: io.now ?? Date.now,
    sleep: io.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    say: (text) => void io.stderr.write(text),
  });
  return { issuer: cfg.oidc.issuer, clientId: cfg.oidc.cliClientId, ...tokens };
};

/** Runs `ferry logout`. */
export const runLogout = async (args: string[], s: SessionInput): Promise<number> => {
  const { values } = parseCommand(args, { help: { type: 'boolean', short: 'h' } }, LOGOUT_USAGE);
  if (values.help) {
    s.io.stdout.write(LOGOUT_USAGE);
    return 0;
  }
  const { token: _token, oidc: _oidc, ...rest } = await readConfig(s.io.env);
  const path = await writeConfig(s.io.env, rest);
  s.io.stdout.write(`logged out: the token is removed from ${path}\n`);
  return 0;
};

/** Runs `ferry config set-project NAME`. */
export const runConfig = async (args: string[], s: SessionInput): Promise<number> => {
  const { values, positionals } = parseCommand(args, { help: { type: 'boolean', short: 'h' } }, CONFIG_USAGE);
  if (values.help) {
    s.io.stdout.write(CONFIG_USAGE);
    return 0;
  }
  const [sub, name, ...extra] = positionals;
  if (sub !== 'set-project') throw new UsageError(`unknown config command "${sub ?? ''}"`, CONFIG_USAGE);
  if (!name || extra.length > 0) throw new UsageError('give exactly one Project name', CONFIG_USAGE);
  const path = await writeConfig(s.io.env, { ...(await readConfig(s.io.env)), project: name });
  s.io.stdout.write(`Project "${name}" is the default now; saved in ${path}\n`);
  return 0;
};
