/** `ferry apply`: sends Kargo manifest files to the API, which creates or updates the resources. */
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import { type Context, projectFrom } from './context.ts';
import { UsageError } from './errors.ts';

/** Usage text of `ferry apply`. */
export const APPLY_USAGE = `Usage: ferry apply -f FILE [-f FILE ...] [-p PROJECT]

Creates or updates the resources in Kargo manifest files (YAML, several documents a file).
A file is applied as a whole: when one of its manifests is invalid, nothing from it is applied.
Files are applied in the order given; the first that fails stops the rest.

Options:
  -f, --filename FILE   Manifest file to apply; "-" reads standard input. Repeatable.
  -p, --project NAME    Project for manifests that name none (default $FERRY_PROJECT)

Examples:
  ferry apply -f pipeline.yaml
  ferry apply -f project.yaml -f warehouse.yaml -f stages.yaml
  ferry apply -f stages.yaml -p shop
  kustomize build kargo/overlays/shop | ferry apply -f -

${GLOBAL_OPTIONS_HELP}
`;

/** The body of POST /api/v1/apply. */
export interface ApplyRequest {
  /** The file's text, as read: YAML, one or more documents. */
  manifests: string;
  /** The file's name as given on the command line (`<stdin>` for `-`), for messages. */
  source: string;
  /** Project for manifests that name none; absent when neither `-p` nor FERRY_PROJECT is set. */
  project?: string;
  /** `ferry create`: refuse the whole file when any resource in it exists. */
  create?: boolean;
}

/** What applying did to one resource. */
export interface ApplyResult {
  /** The resource's kind, e.g. `Warehouse`. */
  kind: string;
  /** The Project it belongs to; for a Project, its own name (or empty). */
  project: string;
  name: string;
  action: 'created' | 'configured' | 'unchanged';
  /** The resource's generation after the apply. */
  generation: number;
}

/** The 200 answer of POST /api/v1/apply. */
export interface ApplyResponse {
  results: ApplyResult[];
  /** Things the user should know that did not stop the apply (e.g. a deprecated field). */
  warnings: string[];
}

const OPTIONS = {
  filename: { type: 'string', short: 'f', multiple: true },
  project: { type: 'string', short: 'p' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs `ferry apply`; returns the exit code. */
export const runApply = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(args, OPTIONS, APPLY_USAGE);
  if (values.help) {
    ctx.out(APPLY_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, APPLY_USAGE);
  const files = values.filename ?? [];
  if (files.length === 0) throw new UsageError('at least one -f FILE is required', APPLY_USAGE);
  if (files.filter((f) => f === '-').length > 1) {
    throw new UsageError('standard input ("-f -") can be read only once', APPLY_USAGE);
  }
  const project = projectFrom(values.project, ctx.env);
  // Read every file first, so a typo in the last name does not leave the first files applied.
  const texts: string[] = [];
  for (const file of files) texts.push(await ctx.readInput(file));
  for (const [i, file] of files.entries()) {
    const body: ApplyRequest = { manifests: texts[i]!, source: file === '-' ? '<stdin>' : file };
    if (project) body.project = project;
    const res = await ctx.client.post('/api/v1/apply', body);
    const answer = res.body as Partial<ApplyResponse> | undefined;
    for (const r of answer?.results ?? []) ctx.out(`${formatResult(r)}\n`);
    for (const w of answer?.warnings ?? []) ctx.err(`warning: ${w}\n`);
  }
  return 0;
};

/**
 * One result line, kubectl style with the Project in front for resources that live in one:
 * `project/demo stage.kargo.akuity.io/dev created`, `project.kargo.akuity.io/demo unchanged`.
 */
export const formatResult = (r: ApplyResult): string => {
  const group = r.kind.endsWith('AnalysisTemplate')
    ? 'argoproj.io'
    : r.kind === 'Secret'
      ? ''
      : 'kargo.akuity.io';
  const ref = group ? `${r.kind.toLowerCase()}.${group}/${r.name}` : `${r.kind.toLowerCase()}/${r.name}`;
  return r.kind === 'Project' || !r.project
    ? `${ref} ${r.action}`
    : `project/${r.project} ${ref} ${r.action}`;
};
