/**
 * `ferry delete`: deletes resources named on the command line, or every resource a manifest file
 * names (`kubectl delete -f`). Output follows kubectl: `stage.kargo.akuity.io "uat" deleted`.
 */
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import { type Context, projectFrom, projectPath, seg } from './context.ts';
import { ApiError, UsageError } from './errors.ts';

/** Usage text of `ferry delete`. */
export const DELETE_USAGE = `Usage: ferry delete -f FILE [-f FILE ...] [-p PROJECT] [--ignore-not-found] [--force]
       ferry delete KIND NAME [NAME ...] -p PROJECT [--ignore-not-found] [--force]
       ferry delete project NAME [--force]
       ferry delete projectconfig -p PROJECT

Deletes resources, as kubectl delete does: each one named on the command line, or every resource a
manifest file names (Stages before Warehouses, a Project last). Ferry's rules:
  - a Warehouse's Freight stays; delete Freight on its own
  - Freight that is a Stage's current Freight, or that an unfinished Promotion takes, is refused
  - a Promotion must be finished (abort it first); a finished one is removed from the history lists
  - a Stage's Pending Promotions are aborted; with a Running one the delete is refused unless --force
    (which aborts it too); a Stage's Promotions stay as records
  - a Project goes with everything in it (system admin); refused while a Promotion runs, unless --force

Kinds: warehouse, stage, freight (id or alias), promotion, promotiontask, analysistemplate, secret,
project, projectconfig (plurals work too).

Options:
  -f, --filename FILE    Manifest file whose resources to delete; "-" reads standard input. Repeatable.
  -p, --project NAME     Project of the resources (default $FERRY_PROJECT, else the saved one)
  --ignore-not-found     Treat a resource that does not exist as deleted (exit 0)
  --force                Delete a Stage or Project even while a Promotion of it is Running

Examples:
  ferry delete stage uat -p shop
  ferry delete freight wild-otter -p shop
  ferry delete -f pipeline.yaml --ignore-not-found
  ferry delete project shop --force

Exit codes: 0 when everything named was deleted (or not found, with --ignore-not-found); 1 when
something was not found or was refused (the rest is still deleted); 2 bad usage.

${GLOBAL_OPTIONS_HELP}
`;

/** One resource's outcome, as the API reports it. */
export interface DeleteResult {
  /** Kargo's kind, e.g. `Stage`. */
  kind: string;
  /** The Project; for a Project, its own name. */
  project: string;
  /** The name (a Freight's id when it was named by alias). */
  name: string;
  /** `deleted`, `not found` or `refused`. */
  outcome: 'deleted' | 'not found' | 'refused';
  /** The error code of `not found` and `refused`. */
  code?: string;
  /** Why, for `not found` and `refused`. */
  message?: string;
}

/** The body of POST /api/v1/manifests/delete. */
export interface ManifestDeleteRequest {
  /** The file's text: YAML, one or more documents. */
  manifests: string;
  /** The file's name as given (`<stdin>` for `-`), for messages. */
  source: string;
  /** Project for documents that name none. */
  project?: string;
  /** Delete Stages and Projects even while a Promotion of them is Running. */
  force?: boolean;
}

/** The kinds, by every word the command takes for them, with their path segment. */
const KINDS: Readonly<Record<string, { kind: string; segment: string }>> = (() => {
  const out: Record<string, { kind: string; segment: string }> = {};
  const add = (kind: string, segment: string, ...words: string[]) => {
    for (const w of words) out[w] = { kind, segment };
  };
  add('Warehouse', 'warehouses', 'warehouse', 'warehouses');
  add('Stage', 'stages', 'stage', 'stages');
  add('Freight', 'freight', 'freight', 'freights');
  add('Promotion', 'promotions', 'promotion', 'promotions', 'promo', 'promos');
  add('PromotionTask', 'promotiontasks', 'promotiontask', 'promotiontasks');
  add('AnalysisTemplate', 'analysistemplates', 'analysistemplate', 'analysistemplates');
  add('Secret', 'secrets', 'secret', 'secrets');
  add('Project', '', 'project', 'projects');
  add('ProjectConfig', 'projectconfig', 'projectconfig', 'projectconfigs');
  return out;
})();

const OPTIONS = {
  filename: { type: 'string', short: 'f', multiple: true },
  project: { type: 'string', short: 'p' },
  'ignore-not-found': { type: 'boolean' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** kubectl's `kind.group "name"`: `stage.kargo.akuity.io "uat"`, `secret "creds"`. */
export const resourceRef = (kind: string, name: string): string => {
  const group = kind.endsWith('AnalysisTemplate')
    ? 'argoproj.io'
    : kind === 'Secret'
      ? ''
      : 'kargo.akuity.io';
  return `${kind.toLowerCase()}${group ? `.${group}` : ''} "${name}"`;
};

/** Runs `ferry delete`; returns the exit code. */
export const runDelete = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(args, OPTIONS, DELETE_USAGE);
  if (values.help) {
    ctx.out(DELETE_USAGE);
    return 0;
  }
  const ignore = values['ignore-not-found'] === true;
  const force = values.force === true;
  let failed = false;
  /** Prints one outcome; remembers a failure. */
  const report = (r: DeleteResult) => {
    if (r.outcome === 'deleted') ctx.out(`${resourceRef(r.kind, r.name)} deleted\n`);
    else if (r.outcome === 'not found' && ignore) return;
    else {
      failed = true;
      ctx.err(
        `error: ${r.message ?? `${resourceRef(r.kind, r.name)} ${r.outcome}`}${r.code ? ` (${r.code})` : ''}\n`,
      );
    }
  };
  const files = values.filename ?? [];
  const project = projectFrom(values.project, ctx.env);

  if (files.length > 0) {
    if (positionals.length > 0) {
      throw new UsageError(
        `give either -f FILE or KIND NAME, not both (got "${positionals[0]}")`,
        DELETE_USAGE,
      );
    }
    if (files.filter((f) => f === '-').length > 1) {
      throw new UsageError('standard input ("-f -") can be read only once', DELETE_USAGE);
    }
    const texts: string[] = [];
    for (const file of files) texts.push(await ctx.readInput(file));
    for (const [i, file] of files.entries()) {
      const body: ManifestDeleteRequest = { manifests: texts[i]!, source: file === '-' ? '<stdin>' : file };
      if (project) body.project = project;
      if (force) body.force = true;
      const res = await ctx.client.post('/api/v1/manifests/delete', body);
      for (const r of (res.body as { results?: DeleteResult[] } | undefined)?.results ?? []) report(r);
    }
    return failed ? 1 : 0;
  }

  const [kindArg, ...names] = positionals;
  if (kindArg === undefined) throw new UsageError('give -f FILE, or a KIND and a NAME', DELETE_USAGE);
  const k = KINDS[kindArg.toLowerCase()];
  if (k === undefined) throw new UsageError(`unknown kind "${kindArg}"`, DELETE_USAGE);
  if (k.kind === 'ProjectConfig') {
    if (names.length > 0)
      throw new UsageError(
        `unexpected argument "${names[0]}": a Project has one ProjectConfig`,
        DELETE_USAGE,
      );
  } else if (names.length === 0) {
    throw new UsageError(`a NAME of the ${k.kind} to delete is required`, DELETE_USAGE);
  }
  if (force && k.kind !== 'Stage' && k.kind !== 'Project') {
    throw new UsageError('--force applies to stages and projects only', DELETE_USAGE);
  }
  if (k.kind !== 'Project' && project === undefined) {
    throw new UsageError('a Project is required: give -p PROJECT or set FERRY_PROJECT', DELETE_USAGE);
  }
  const query = force ? '?force=true' : '';
  const paths =
    k.kind === 'Project'
      ? names.map((n) => ({ name: n, path: `/api/v1/projects/${seg(n)}${query}` }))
      : k.kind === 'ProjectConfig'
        ? [{ name: project!, path: projectPath(project!, 'projectconfig') }]
        : names.map((n) => ({ name: n, path: `${projectPath(project!, k.segment, n)}${query}` }));
  for (const { name, path } of paths) {
    try {
      const res = await ctx.client.request('DELETE', path);
      report(res.body as DeleteResult);
    } catch (err) {
      // Not found and refused are per resource, as with kubectl; anything else (access, an
      // unreachable API) stops the command.
      // FERRY_ERR_NOT_FOUND is a missing route (an older api), not a missing resource.
      const perResource =
        err instanceof ApiError &&
        ((err.status === 404 && err.code !== 'FERRY_ERR_NOT_FOUND') || err.status === 409);
      if (!perResource) throw err;
      report({
        kind: k.kind,
        project: project ?? name,
        name,
        outcome: err.status === 404 ? 'not found' : 'refused',
        code: err.code,
        message: err.message,
      });
    }
  }
  return failed ? 1 : 0;
};
