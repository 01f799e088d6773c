/**
 * `ferry create freight`: manual Freight from artifacts a Warehouse discovered (Kargo: creating a
 * Freight resource). The API checks every artifact against the Warehouse's discovered artifacts and
 * resolves image digests from the registry.
 */
import type { Freight } from '@ferry/contracts';
import { GLOBAL_OPTIONS_HELP, parseCommand, VALUE_OPTIONS } from './args.ts';
import { type Context, projectFrom, projectPath } from './context.ts';
import { CREATE_RESOURCES_USAGE, runCreateResources } from './create-resources.ts';
import { UsageError } from './errors.ts';
import { type OutputOptions, parseOutputSync, renderData } from './format.ts';

/** Usage text of `ferry create`. */
export const CREATE_USAGE = `Usage: ferry create freight -p PROJECT --warehouse NAME [--image REPO:TAG ...]
         [--commit REPO@SHA | --commit REPO#TAG ...] [--chart REPO[/NAME]:VERSION ...]

Makes Freight from artifacts the Warehouse discovered, one per subscription, as Kargo does when
you create a Freight resource. Without artifact options it takes the best candidate of every
subscription, as an Automatic Warehouse would. Artifacts must be among what the Warehouse
discovered ("ferry get warehouse NAME -o yaml" lists them; "ferry refresh warehouse NAME" first
when something was pushed since). Image digests are resolved from the registry now. Asking again
for the same artifacts answers the Freight made before.

Options:
  -p, --project NAME      Project of the Warehouse (default $FERRY_PROJECT)
  --warehouse NAME        The Warehouse the Freight comes from (required)
  --image REPO:TAG        An image: a discovered tag (REPO@sha256:... or REPO:TAG@sha256:... to pin
                          the digest, which must be what the tag points at)
  --commit REPO@SHA       A git commit by id (a unique prefix of 7+ digits will do), or
  --commit REPO#TAG       by tag
  --chart REPO:VERSION    A Helm chart version: oci://HOST/PATH/CHART:VERSION, or for an HTTP(S)
                          chart repository https://HOST/PATH/NAME:VERSION (the last segment is
                          the chart's name)
  -o, --output FORMAT     name (default; the name and alias), json or yaml (the Freight), or
                          jsonpath=TEMPLATE (kubectl's JSONPath over the Freight)

Examples:
  ferry create freight -p shop --warehouse app
  ferry create freight -p shop --warehouse app --image ghcr.io/acme/app:1.4.2
  ferry create freight -p shop --warehouse app --image ghcr.io/acme/app:1.4.2 \\
      --commit https://github.com/acme/config.git@3f2a9c1 --chart oci://ghcr.io/acme/charts/app:0.8.0

${GLOBAL_OPTIONS_HELP}
`;

const OPTIONS = {
  project: { type: 'string', short: 'p' },
  warehouse: { type: 'string' },
  image: { type: 'string', multiple: true },
  commit: { type: 'string', multiple: true },
  chart: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The body of `POST /api/v1/projects/:project/freight`. */
export interface CreateFreightRequest {
  /** The Warehouse the Freight comes from. */
  origin: { kind: 'Warehouse'; name: string };
  /** Images by tag and/or digest. */
  images?: Array<{ repoURL: string; tag?: string; digest?: string }>;
  /** Commits by id or tag. */
  commits?: Array<{ repoURL: string; id?: string; tag?: string }>;
  /** Chart versions. */
  charts?: Array<{ repoURL: string; name?: string; version: string }>;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Reads `--image`: `REPO:TAG`, `REPO@DIGEST` or `REPO:TAG@DIGEST` (a registry port is not a tag). */
export function parseImageArg(text: string): { repoURL: string; tag?: string; digest?: string } {
  const bad = (why: string) =>
    new UsageError(
      `--image "${text}" ${why}; write REPO:TAG, REPO@sha256:DIGEST or REPO:TAG@sha256:DIGEST`,
      CREATE_USAGE,
    );
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('has a digest that is not sha256: and 64 hex digits');
  }
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const repoURL = tag === undefined ? rest : rest.slice(0, colon);
  if (repoURL === '' || repoURL.includes('://')) throw bad('names no image repository');
  if (tag === '') throw bad('has an empty tag');
  if (tag === undefined && digest === undefined) throw bad('has neither a tag nor a digest');
  return { repoURL, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Reads `--commit`: `REPO@SHA` or `REPO#TAG` (the last `@` or `#`, so `git@host:path` works). */
export function parseCommitArg(text: string): { repoURL: string; id?: string; tag?: string } {
  const hash = text.lastIndexOf('#');
  if (hash > 0) {
    const tag = text.slice(hash + 1);
    if (tag === '') throw new UsageError(`--commit "${text}" has an empty tag after #`, CREATE_USAGE);
    return { repoURL: text.slice(0, hash), tag };
  }
  const at = text.lastIndexOf('@');
  const id = at > 0 ? text.slice(at + 1) : '';
  if (!/^[0-9a-f]{7,64}$/.test(id)) {
    throw new UsageError(
      `--commit "${text}" needs REPO@SHA (7 to 64 lowercase hex digits) or REPO#TAG`,
      CREATE_USAGE,
    );
  }
  return { repoURL: text.slice(0, at), id };
}

/**
 * Reads `--chart`: `oci://HOST/PATH/CHART:VERSION` (the URL names the chart), or
 * `http(s)://HOST/PATH/NAME:VERSION` (repository `http(s)://HOST/PATH`, chart NAME).
 */
export function parseChartArg(text: string): { repoURL: string; name?: string; version: string } {
  const colon = text.lastIndexOf(':');
  const slash = text.lastIndexOf('/');
  const version = colon > slash ? text.slice(colon + 1) : '';
  const url = colon > slash ? text.slice(0, colon) : text;
  if (version === '')
    throw new UsageError(`--chart "${text}" needs a version: write REPO[/NAME]:VERSION`, CREATE_USAGE);
  if (url.startsWith('oci://')) return { repoURL: url, version };
  if (!/^https?:\/\/[^/]+\/.*[^/]$/.test(url)) {
    throw new UsageError(
      `--chart "${text}" must be oci://HOST/PATH/CHART:VERSION or https://HOST/PATH/NAME:VERSION`,
      CREATE_USAGE,
    );
  }
  const cut = url.lastIndexOf('/');
  return { repoURL: url.slice(0, cut), name: url.slice(cut + 1), version };
}

/** Reads `ferry create freight` arguments into the Project and the request body. */
export function parseCreateFreight(
  args: string[],
  env: Record<string, string | undefined>,
): { project: string; body: CreateFreightRequest; output: string } | 'help' {
  const { values, positionals } = parseCommand(args, OPTIONS, CREATE_USAGE);
  if (values.help) return 'help';
  const [kind, ...extra] = positionals;
  if (kind === undefined) throw new UsageError('what to create is required: freight', CREATE_USAGE);
  if (kind.toLowerCase() !== 'freight')
    throw new UsageError(`cannot create "${kind}": only freight can be created`, CREATE_USAGE);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`, CREATE_USAGE);
  const project = projectFrom(values.project, env);
  if (project === undefined)
    throw new UsageError('a Project is required: pass -p PROJECT or set FERRY_PROJECT', CREATE_USAGE);
  if (!values.warehouse) throw new UsageError('--warehouse NAME is required', CREATE_USAGE);
  const output = values.output ?? 'name';
  // Checked now (a jsonpath template too), before anything is sent.
  parseOutputSync(output, createOutput());
  const images = (values.image ?? []).map(parseImageArg);
  const commits = (values.commit ?? []).map(parseCommitArg);
  const charts = (values.chart ?? []).map(parseChartArg);
  return {
    project,
    output,
    body: {
      origin: { kind: 'Warehouse', name: values.warehouse },
      ...(images.length ? { images } : {}),
      ...(commits.length ? { commits } : {}),
      ...(charts.length ? { charts } : {}),
    },
  };
}

/** The `-o` formats of `ferry create freight`. */
const createOutput = (): OutputOptions => ({
  allowed: ['name', 'json', 'yaml', 'jsonpath'],
  fallback: 'name',
  usage: CREATE_USAGE,
});

/** Help of every form of `ferry create` (`ferry create --help`, `ferry help create`). */
export const CREATE_ALL_USAGE = `${CREATE_USAGE.replace(GLOBAL_OPTIONS_HELP, '').trimEnd()}\n\n${CREATE_RESOURCES_USAGE}`;

/** The kind `ferry create` is asked for: `freight`, another word, or undefined (e.g. `-f FILE`). */
export function createKind(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1]?.toLowerCase();
    if (a.startsWith('-')) {
      if (!a.includes('=') && VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    return a.toLowerCase();
  }
  return undefined;
}

/** Runs `ferry create`; returns the exit code. */
export const runCreate = async (args: string[], ctx: Context): Promise<number> => {
  const kind = createKind(args);
  if (kind !== 'freight') {
    if (kind === undefined && (args.includes('-h') || args.includes('--help'))) {
      ctx.out(CREATE_ALL_USAGE);
      return 0;
    }
    return runCreateResources(args, ctx);
  }
  const parsed = parseCreateFreight(args, ctx.env);
  if (parsed === 'help') {
    ctx.out(CREATE_USAGE);
    return 0;
  }
  const { status, body } = await ctx.client.post(projectPath(parsed.project, 'freight'), parsed.body);
  const f = body as Freight;
  const data = renderData(parseOutputSync(parsed.output, createOutput()), f);
  if (data !== undefined) ctx.out(data);
  else {
    const verb = status === 201 ? 'created' : 'already exists';
    ctx.out(`freight ${f.metadata.name} (alias ${f.alias}) ${verb}\n`);
  }
  return 0;
};
