/** `ferry token create|list|delete`: API tokens for people and CI, through `/api/v1/tokens` (system admin). */
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import type { Context } from './context.ts';
import { seg } from './context.ts';
import { ApiError, UsageError } from './errors.ts';
import { formatAge, NONE, parseDuration, parseOutput, renderData, renderTable } from './format.ts';

/** Usage text of `ferry token`. */
export const TOKEN_USAGE = `Usage: ferry token create NAME --role ROLE [--role ROLE ...] [--subject WHO] [--expires DURATION] [-o FORMAT]
       ferry token list [-o FORMAT]
       ferry token delete NAME [NAME ...]

Manages API tokens; every subcommand needs a token with the system role admin.

create prints the new token's secret on standard output, once: the API keeps only its hash.
list shows every token without secrets; delete revokes tokens at once.

Roles (--role, repeatable):
  project:PROJECT:viewer      read the Project
  project:PROJECT:promoter    viewer + promote, approve, reject, abort, refresh, verify, rollback
  project:PROJECT:admin       promoter + apply definitions to the Project, read its audit log
  system:admin                everything, including new Projects and tokens

Options:
  --role ROLE           create: a role the token holds (see above); at least one
  --subject WHO         create: who the token stands for in Promotions and the audit log (default NAME)
  --expires DURATION    create: refuse the token after this long, e.g. 720h, 90m (default: never)
  -o, --output FORMAT   create: text (default; the secret alone), json or yaml (with the secret),
                        jsonpath=TEMPLATE
                        list: table (default), json, yaml, name or jsonpath=TEMPLATE

${GLOBAL_OPTIONS_HELP}

Examples:
  ferry token create ci --role project:shop:promoter --expires 720h
  ferry token create alice --subject alice@example.com --role project:shop:admin --role project:web:viewer
  ferry token list
  ferry token list -o jsonpath='{range .items[?(@.expired==true)]}{.name}{"\\n"}{end}'
  ferry token delete ci

Exit codes: 0 done, 1 the API refused (no such token, name taken, not a system admin), 2 bad usage.
`;

/** One role binding as the API takes it: a role in a Project, or (no project) the system admin. */
export interface TokenRole {
  /** The Project; absent for the system role. */
  project?: string;
  /** viewer, promoter or admin. */
  role: 'viewer' | 'promoter' | 'admin';
}

/** A token as `GET /api/v1/tokens` lists it: no secret. */
export interface TokenListItem {
  /** Unique name. */
  name: string;
  /** Who it stands for. */
  subject: string;
  /** Its grants. */
  roles: TokenRole[];
  /** When it was made (RFC 3339). */
  createdAt: string;
  /** When it was last used; absent when never. */
  lastUsedAt?: string;
  /** When it stops working; absent when never. */
  expiresAt?: string;
  /** True once `expiresAt` has passed; absent for tokens that never expire. */
  expired?: boolean;
}

const PROJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ROLE_NAMES = ['viewer', 'promoter', 'admin'] as const;

/** Parses `project:P:ROLE` or `system:admin`; throws a UsageError saying what is wrong. */
export const parseRole = (text: string): TokenRole => {
  if (text === 'system:admin') return { role: 'admin' };
  const m = /^project:([^:]*):([^:]*)$/.exec(text);
  if (m === null) {
    throw new UsageError(
      `--role "${text}": write project:PROJECT:viewer|promoter|admin, or system:admin`,
      TOKEN_USAGE,
    );
  }
  const [, project, role] = m as unknown as [string, string, string];
  if (!PROJECT_NAME.test(project) || project.length > 63) {
    throw new UsageError(
      `--role "${text}": "${project}" is not a Project name (lowercase letters, digits and "-")`,
      TOKEN_USAGE,
    );
  }
  if (!(ROLE_NAMES as readonly string[]).includes(role)) {
    throw new UsageError(
      `--role "${text}": "${role}" is not a role; use viewer, promoter or admin`,
      TOKEN_USAGE,
    );
  }
  return { project, role: role as TokenRole['role'] };
};

/** A role binding written as `--role` takes it. */
export const formatRole = (r: TokenRole): string =>
  r.project === undefined ? `system:${r.role}` : `project:${r.project}:${r.role}`;

const CREATE_OPTIONS = {
  role: { type: 'string', multiple: true },
  subject: { type: 'string' },
  expires: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;
const LIST_OPTIONS = {
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;
const DELETE_OPTIONS = { help: { type: 'boolean', short: 'h' } } as const;

/** Runs `ferry token`; returns the exit code. */
export const runToken = async (args: string[], ctx: Context): Promise<number> => {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    if (sub === undefined)
      throw new UsageError('a subcommand is required: create, list or delete', TOKEN_USAGE);
    ctx.out(TOKEN_USAGE);
    return 0;
  }
  if (sub === 'create') return create(rest, ctx);
  if (sub === 'list') return list(rest, ctx);
  if (sub === 'delete') return remove(rest, ctx);
  throw new UsageError(`unknown subcommand "${sub}": use create, list or delete`, TOKEN_USAGE);
};

const create = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(args, CREATE_OPTIONS, TOKEN_USAGE);
  if (values.help) {
    ctx.out(TOKEN_USAGE);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError('token create needs a NAME', TOKEN_USAGE);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`, TOKEN_USAGE);
  if (!/^[A-Za-z0-9][-A-Za-z0-9_.@]{0,99}$/.test(name)) {
    throw new UsageError(
      `token name "${name}": use letters, digits, "-", "_", "." and "@", starting with a letter or digit (at most 100)`,
      TOKEN_USAGE,
    );
  }
  const roles = (values.role ?? []).map(parseRole);
  if (roles.length === 0) {
    throw new UsageError(
      'token create needs at least one --role, e.g. --role project:shop:viewer',
      TOKEN_USAGE,
    );
  }
  let expiresAt: string | undefined;
  if (values.expires !== undefined) {
    const ms = parseDuration(values.expires);
    if (ms === undefined || ms <= 0) {
      throw new UsageError(
        `--expires "${values.expires}" is not a duration like 720h, 90m or 1h30m`,
        TOKEN_USAGE,
      );
    }
    expiresAt = new Date(ctx.now() + ms).toISOString();
  }
  const output = await parseOutput(values.output, {
    allowed: ['text', 'json', 'yaml', 'jsonpath'],
    fallback: 'text',
    usage: TOKEN_USAGE,
    readFile: ctx.readInput,
  });
  const body = {
    name,
    roles,
    ...(values.subject === undefined ? {} : { subject: values.subject }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
  const answer = (await ctx.client.post('/api/v1/tokens', body)).body as { token?: string };
  const data = renderData(output, answer);
  if (data !== undefined) {
    ctx.out(data);
    return 0;
  }
  ctx.out(`${answer.token ?? ''}\n`);
  ctx.err(
    `token "${name}" created (${roles.map(formatRole).join(', ')}${expiresAt ? `; expires ${expiresAt}` : ''}); ` +
      'it is shown only this once: keep it now\n',
  );
  return 0;
};

/**
 * The `ferry token list` table: NAME SUBJECT ROLES LAST-USED EXPIRES AGE. LAST-USED is how long ago
 * the token was used; EXPIRES is how long it has left (`in 29d`), `expired`, or `<never>`.
 */
export const tokensTable = (items: readonly TokenListItem[], now: number): string =>
  renderTable(
    ['NAME', 'SUBJECT', 'ROLES', 'LAST-USED', 'EXPIRES', 'AGE'],
    items.map((t) => [
      t.name,
      t.subject,
      t.roles.length === 0 ? NONE : t.roles.map(formatRole).join(','),
      t.lastUsedAt ? formatAge(t.lastUsedAt, now) : '<never>',
      expiresIn(t.expiresAt, now),
      formatAge(t.createdAt, now),
    ]),
  );

const expiresIn = (expiresAt: string | undefined, now: number): string => {
  if (!expiresAt) return '<never>';
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return '<unknown>';
  if (at <= now) return 'expired';
  // The time left, in the same short form as ages: mirror the expiry into the past.
  return `in ${formatAge(new Date(2 * now - at).toISOString(), now)}`;
};

const list = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(args, LIST_OPTIONS, TOKEN_USAGE);
  if (values.help) {
    ctx.out(TOKEN_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, TOKEN_USAGE);
  const output = await parseOutput(values.output, {
    allowed: ['table', 'json', 'yaml', 'name', 'jsonpath'],
    fallback: 'table',
    usage: TOKEN_USAGE,
    readFile: ctx.readInput,
  });
  const { body } = await ctx.client.get('/api/v1/tokens');
  const data = renderData(output, body);
  if (data !== undefined) {
    ctx.out(data);
    return 0;
  }
  const items = (body as { items?: TokenListItem[] } | undefined)?.items ?? [];
  if (output.kind === 'name') {
    for (const t of items) ctx.out(`token/${t.name}\n`);
    return 0;
  }
  if (items.length === 0) {
    ctx.err('No tokens found.\n');
    return 0;
  }
  ctx.out(tokensTable(items, ctx.now()));
  return 0;
};

const remove = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(args, DELETE_OPTIONS, TOKEN_USAGE);
  if (values.help) {
    ctx.out(TOKEN_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('token delete needs a NAME', TOKEN_USAGE);
  let failed = 0;
  for (const name of positionals) {
    try {
      await ctx.client.request('DELETE', `/api/v1/tokens/${seg(name)}`);
      ctx.out(`token "${name}" deleted\n`);
    } catch (err) {
      // Like kubectl, go on with the other names and fail at the end; other errors stop at once.
      if (!(err instanceof ApiError) || err.code !== 'FERRY_ERR_TOKEN_NOT_FOUND') throw err;
      ctx.err(`error: ${err.message} (${err.code})\n`);
      failed++;
    }
  }
  return failed === 0 ? 0 : 1;
};
