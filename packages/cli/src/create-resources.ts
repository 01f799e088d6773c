/**
 * `ferry create -f FILE`, `ferry create project NAME` and `ferry create credentials NAME`: kubectl's
 * and the Kargo CLI's create, which refuses what exists already (`ferry apply` changes it instead).
 * Every form goes through `POST /api/v1/apply` with `create: true`, so the api checks the whole file
 * before writing anything.
 */
import { stringify } from 'yaml';
import type { ApplyRequest, ApplyResponse } from './apply.ts';
import { formatResult } from './apply.ts';
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import { type Context, projectFrom } from './context.ts';
import { UsageError } from './errors.ts';

/** Usage text of the resource forms of `ferry create`. */
export const CREATE_RESOURCES_USAGE = `Usage: ferry create -f FILE [-f FILE ...] [-p PROJECT]
       ferry create project NAME
       ferry create credentials NAME -p PROJECT --type git|image|helm --repo-url URL [--regex]
                                --username USER --password-stdin
       ferry create credentials NAME -p PROJECT --type generic --from-literal KEY=VALUE ...

Creates resources, refusing the whole file (and writing nothing) when any of them exists already;
use "ferry apply" to change existing resources. "create project" makes an empty Project.
"create credentials" stores a Kargo credentials Secret (label kargo.akuity.io/cred-type), encrypted
at rest and never shown again: git, image and helm credentials are used for repositories matching
--repo-url (a regular expression with --regex); generic Secrets are what secret('NAME') reads in
promotion expressions. The password is read from standard input so it stays out of shell history.

Options:
  -f, --filename FILE     Manifest file to create from; "-" reads standard input. Repeatable.
  -p, --project NAME      Project for resources that name none (default $FERRY_PROJECT)
  --type TYPE             credentials: git, image, helm or generic
  --repo-url URL          credentials: the repository URL (or regular expression) they are for
  --regex                 credentials: --repo-url is a regular expression
  --username USER         credentials: the user name
  --password-stdin        credentials: read the password (or token) from standard input
  --from-literal K=V      generic credentials: a key and its value (repeatable)

Examples:
  ferry create -f pipeline.yaml
  ferry create project shop
  echo "$GITHUB_TOKEN" | ferry create credentials github -p shop --type git \\
      --repo-url https://github.com/acme/config.git --username ferry-bot --password-stdin
  ferry create credentials slack -p shop --type generic --from-literal token=xoxb-123

${GLOBAL_OPTIONS_HELP}
`;

const OPTIONS = {
  filename: { type: 'string', short: 'f', multiple: true },
  project: { type: 'string', short: 'p' },
  type: { type: 'string' },
  'repo-url': { type: 'string' },
  regex: { type: 'boolean' },
  username: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  'from-literal': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

const CRED_TYPES = ['git', 'image', 'helm', 'generic'] as const;

/** What to send: one apply request per file (or one made from the flags). */
export interface ParsedCreate {
  /** Files to read (`-f`), in order; empty when the manifest is made from flags. */
  files: string[];
  /** A manifest made from flags (`project`, `credentials`); the password, if any, is added later. */
  manifest?: Record<string, unknown>;
  /** The credentials' password comes from standard input. */
  passwordFromStdin: boolean;
  project?: string;
}

/** Reads `ferry create -f`, `create project` and `create credentials` arguments. */
export function parseCreateResources(
  args: string[],
  env: Record<string, string | undefined>,
): ParsedCreate | 'help' {
  const { values, positionals } = parseCommand(args, OPTIONS, CREATE_RESOURCES_USAGE);
  if (values.help) return 'help';
  const project = projectFrom(values.project, env);
  const files = values.filename ?? [];
  const [kind, name, ...extra] = positionals;
  if (files.length > 0) {
    if (kind !== undefined)
      throw new UsageError(`give -f FILE or a kind and a name, not both ("${kind}")`, CREATE_RESOURCES_USAGE);
    if (files.filter((f) => f === '-').length > 1)
      throw new UsageError('standard input ("-f -") can be read only once', CREATE_RESOURCES_USAGE);
    return { files, passwordFromStdin: false, ...(project ? { project } : {}) };
  }
  if (kind === undefined)
    throw new UsageError(
      'what to create is required: -f FILE, project, credentials or freight',
      CREATE_RESOURCES_USAGE,
    );
  if (name === undefined)
    throw new UsageError(`a name is required: ferry create ${kind} NAME`, CREATE_RESOURCES_USAGE);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`, CREATE_RESOURCES_USAGE);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63)
    throw new UsageError(
      `"${name}" is not a valid name: lowercase letters, digits and "-", starting and ending with a letter or digit`,
      CREATE_RESOURCES_USAGE,
    );
  if (kind === 'project' || kind === 'projects') {
    return {
      files: [],
      passwordFromStdin: false,
      manifest: { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Project', metadata: { name } },
    };
  }
  if (kind !== 'credentials' && kind !== 'credential' && kind !== 'creds')
    throw new UsageError(
      `cannot create "${kind}": create project, credentials or freight, or -f FILE for the rest`,
      CREATE_RESOURCES_USAGE,
    );
  if (project === undefined)
    throw new UsageError(
      'a Project is required: pass -p PROJECT or set FERRY_PROJECT',
      CREATE_RESOURCES_USAGE,
    );
  const type = values.type;
  if (type === undefined || !(CRED_TYPES as readonly string[]).includes(type))
    throw new UsageError(`--type must be one of ${CRED_TYPES.join(', ')}`, CREATE_RESOURCES_USAGE);
  const labels = { 'kargo.akuity.io/cred-type': type };
  const metadata = { name, namespace: project, labels };
  if (type === 'generic') {
    const literals = values['from-literal'] ?? [];
    if (literals.length === 0)
      throw new UsageError(
        'generic credentials need at least one --from-literal KEY=VALUE',
        CREATE_RESOURCES_USAGE,
      );
    const stringData: Record<string, string> = {};
    for (const l of literals) {
      const eq = l.indexOf('=');
      if (eq <= 0) throw new UsageError(`--from-literal "${l}" needs KEY=VALUE`, CREATE_RESOURCES_USAGE);
      stringData[l.slice(0, eq)] = l.slice(eq + 1);
    }
    return {
      files: [],
      passwordFromStdin: false,
      manifest: { apiVersion: 'v1', kind: 'Secret', metadata, stringData },
    };
  }
  if (values['from-literal'])
    throw new UsageError('--from-literal goes with --type generic', CREATE_RESOURCES_USAGE);
  if (!values['repo-url']) throw new UsageError('--repo-url URL is required', CREATE_RESOURCES_USAGE);
  if (!values.username) throw new UsageError('--username USER is required', CREATE_RESOURCES_USAGE);
  if (!values['password-stdin'])
    throw new UsageError(
      '--password-stdin is required: pipe the password or token in, so it stays out of shell history',
      CREATE_RESOURCES_USAGE,
    );
  return {
    files: [],
    passwordFromStdin: true,
    manifest: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata,
      stringData: {
        repoURL: values['repo-url'],
        ...(values.regex ? { repoURLIsRegex: 'true' } : {}),
        username: values.username,
      },
    },
  };
}

/** Runs the resource forms of `ferry create`; returns the exit code. */
export const runCreateResources = async (args: string[], ctx: Context): Promise<number> => {
  const parsed = parseCreateResources(args, ctx.env);
  if (parsed === 'help') {
    ctx.out(CREATE_RESOURCES_USAGE);
    return 0;
  }
  const requests: ApplyRequest[] = [];
  if (parsed.manifest) {
    const manifest = structuredClone(parsed.manifest);
    if (parsed.passwordFromStdin) {
      const password = (await ctx.readInput('-')).replace(/\r?\n$/, '');
      if (password === '') throw new UsageError('standard input held no password', CREATE_RESOURCES_USAGE);
      (manifest.stringData as Record<string, string>).password = password;
    }
    requests.push({ manifests: stringify(manifest), source: '<command line>' });
  } else {
    // Read every file first, so a typo in the last name does not leave the first files created.
    for (const file of parsed.files) {
      requests.push({ manifests: await ctx.readInput(file), source: file === '-' ? '<stdin>' : file });
    }
  }
  for (const body of requests) {
    const res = await ctx.client.post('/api/v1/apply', {
      ...body,
      ...(parsed.project ? { project: parsed.project } : {}),
      create: true,
    });
    const answer = res.body as Partial<ApplyResponse> | undefined;
    for (const r of answer?.results ?? []) ctx.out(`${formatResult(r)}\n`);
    for (const w of answer?.warnings ?? []) ctx.err(`warning: ${w}\n`);
  }
  return 0;
};
