/** `ferry get`: lists or shows Projects, Warehouses, Stages, Freight and Promotions. */
import type { Freight, Project, Promotion, Stage, Warehouse } from '@ferry/contracts';
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import { type Context, projectFrom, projectPath, seg } from './context.ts';
import { UsageError } from './errors.ts';
import { formatAge, NONE, OutputFormat, renderTable, shortId, toJson, toYaml } from './format.ts';

/** Usage text of `ferry get`. */
export const GET_USAGE = `Usage: ferry get KIND [NAME] [-p PROJECT] [-o table|json|yaml] [--stage S] [--warehouse W]

Lists resources of a kind, or shows the one named.

Kinds:
  projects (project)
  warehouses (warehouse, wh)
  stages (stage)
  freight                      NAME may be a Freight id or alias
  promotions (promotion, promo)

Options:
  -p, --project NAME    Project of the resources (default $FERRY_PROJECT); required but for projects
  -o, --output FORMAT   table (default), json or yaml; json and yaml print the API's objects
  --stage NAME          promotions only: list those to this Stage
  --warehouse NAME      freight only: list that from this Warehouse

${GLOBAL_OPTIONS_HELP}
`;

/** The kinds `ferry get` knows, by their plural name. */
export const ResourceKind = {
  Projects: 'projects',
  Warehouses: 'warehouses',
  Stages: 'stages',
  Freight: 'freight',
  Promotions: 'promotions',
} as const;
/** One of the kinds `ferry get` knows. */
export type ResourceKind = (typeof ResourceKind)[keyof typeof ResourceKind];

/** Every name a kind may be given on the command line → the kind. */
export const KIND_ALIASES: Readonly<Record<string, ResourceKind>> = {
  projects: 'projects',
  project: 'projects',
  warehouses: 'warehouses',
  warehouse: 'warehouses',
  wh: 'warehouses',
  stages: 'stages',
  stage: 'stages',
  freight: 'freight',
  freights: 'freight',
  promotions: 'promotions',
  promotion: 'promotions',
  promo: 'promotions',
  promos: 'promotions',
};

/** Words used in messages, per kind. */
const NOUN: Record<ResourceKind, string> = {
  projects: 'Projects',
  warehouses: 'Warehouses',
  stages: 'Stages',
  freight: 'Freight',
  promotions: 'Promotions',
};

const OPTIONS = {
  project: { type: 'string', short: 'p' },
  output: { type: 'string', short: 'o' },
  stage: { type: 'string' },
  warehouse: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs `ferry get`; returns the exit code. */
export const runGet = async (args: string[], ctx: Context): Promise<number> => {
  const { values, positionals } = parseCommand(args, OPTIONS, GET_USAGE);
  if (values.help) {
    ctx.out(GET_USAGE);
    return 0;
  }
  const [kindArg, name, ...extra] = positionals;
  if (kindArg === undefined) throw new UsageError('a KIND is required', GET_USAGE);
  const kind = KIND_ALIASES[kindArg.toLowerCase()];
  if (kind === undefined) throw new UsageError(`unknown kind "${kindArg}"`, GET_USAGE);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`, GET_USAGE);
  const output = values.output ?? OutputFormat.Table;
  if (!Object.values(OutputFormat).includes(output as OutputFormat)) {
    throw new UsageError(`unknown output format "${output}": use table, json or yaml`, GET_USAGE);
  }
  if (values.stage !== undefined && kind !== 'promotions') {
    throw new UsageError('--stage applies to promotions only', GET_USAGE);
  }
  if (values.warehouse !== undefined && kind !== 'freight') {
    throw new UsageError('--warehouse applies to freight only', GET_USAGE);
  }
  if (name !== undefined && (values.stage !== undefined || values.warehouse !== undefined)) {
    throw new UsageError('--stage and --warehouse filter a list; they cannot be used with a NAME', GET_USAGE);
  }

  let project: string | undefined;
  let path: string;
  if (kind === 'projects') {
    path = name === undefined ? '/api/v1/projects' : `/api/v1/projects/${seg(name)}`;
  } else {
    project = projectFrom(values.project, ctx.env);
    if (project === undefined) {
      throw new UsageError(
        `a Project is required for ${NOUN[kind]}: pass -p PROJECT or set FERRY_PROJECT`,
        GET_USAGE,
      );
    }
    path = name === undefined ? projectPath(project, kind) : projectPath(project, kind, name);
  }
  const query = { stage: values.stage, warehouse: values.warehouse };
  const { body } = await ctx.client.get(path, query);

  if (output === OutputFormat.Json) {
    ctx.out(toJson(body));
    return 0;
  }
  if (output === OutputFormat.Yaml) {
    ctx.out(toYaml(body));
    return 0;
  }
  const items = name === undefined ? ((body as { items?: unknown[] } | undefined)?.items ?? []) : [body];
  if (items.length === 0) {
    ctx.err(`No ${NOUN[kind]} found${project === undefined ? '' : ` in project ${project}`}.\n`);
    return 0;
  }
  ctx.out(await renderKind(kind, items, ctx, project));
  return 0;
};

/** Renders items of one kind as the kind's table. */
const renderKind = async (
  kind: ResourceKind,
  items: unknown[],
  ctx: Context,
  project: string | undefined,
): Promise<string> => {
  const now = ctx.now();
  switch (kind) {
    case 'projects':
      return projectsTable(items as Project[], now);
    case 'warehouses':
      return warehousesTable(items as Warehouse[], now);
    case 'stages': {
      const stages = items as Stage[];
      return stagesTable(stages, await freightAliases(stages, ctx, project), now);
    }
    case 'freight':
      return freightTable(items as Freight[], now);
    case 'promotions':
      return promotionsTable(items as Promotion[], now);
  }
};

/** The `ferry get projects` table: NAME AGE. */
export const projectsTable = (items: readonly Project[], now: number): string =>
  renderTable(
    ['NAME', 'AGE'],
    items.map((p) => [p.metadata.name, formatAge(p.metadata.creationTimestamp, now)]),
  );

/** The `ferry get warehouses` table: NAME SUBSCRIPTIONS LAST-DISCOVERY FREIGHT AGE. */
export const warehousesTable = (items: readonly Warehouse[], now: number): string =>
  renderTable(
    ['NAME', 'SUBSCRIPTIONS', 'LAST-DISCOVERY', 'FREIGHT', 'AGE'],
    items.map((w) => [
      w.metadata.name,
      list((w.spec?.subscriptions ?? []).map(subscriptionRepo)),
      w.status?.lastHandledRefresh ? formatAge(w.status.lastHandledRefresh, now) : NONE,
      shortId(w.status?.lastFreightID),
      formatAge(w.metadata.creationTimestamp, now),
    ]),
  );

/** The repository a subscription follows, whatever its kind (image today; git and chart later). */
const subscriptionRepo = (sub: Record<string, unknown>): string => {
  for (const [kind, value] of Object.entries(sub)) {
    const repo = (value as { repoURL?: unknown } | undefined)?.repoURL;
    if (typeof repo === 'string') return kind === 'image' ? repo : `${kind}:${repo}`;
  }
  return '?';
};

/**
 * The `ferry get stages` table: NAME SOURCES CURRENT-FREIGHT PHASE HEALTH AGE. SOURCES lists upstream
 * Stages by name and a Warehouse the Stage takes Freight from directly as `warehouse/<name>`;
 * CURRENT-FREIGHT is the alias of `freightHistory[0]` (its short id when the alias is unknown); PHASE
 * is `Promoting` while a Promotion is pending or running, else the last Promotion's phase; HEALTH is
 * `status.health.status` (from the Stage's Argo CD Applications), `-` for a Stage that updates none.
 */
export const stagesTable = (
  items: readonly Stage[],
  aliases: ReadonlyMap<string, string>,
  now: number,
): string =>
  renderTable(
    ['NAME', 'SOURCES', 'CURRENT-FREIGHT', 'PHASE', 'HEALTH', 'AGE'],
    items.map((s) => {
      const current = s.status?.freightHistory?.[0];
      const phase = s.status?.currentPromotion ? 'Promoting' : s.status?.lastPromotion?.phase;
      return [
        s.metadata.name,
        list(stageSources(s)),
        current ? (aliasOf(current) ?? aliases.get(current.id) ?? shortId(current.id)) : NONE,
        phase ?? NONE,
        s.status?.health?.status ?? NONE,
        formatAge(s.metadata.creationTimestamp, now),
      ];
    }),
  );

const stageSources = (s: Stage): string[] => {
  const sources: string[] = [];
  for (const req of s.spec?.requestedFreight ?? []) {
    if (req.sources?.direct) sources.push(`warehouse/${req.origin.name}`);
    sources.push(...(req.sources?.stages ?? []));
  }
  return [...new Set(sources)];
};

/** An alias the API may put beside the id in a freightHistory entry. */
const aliasOf = (entry: object): string | undefined => {
  const alias = (entry as { alias?: unknown }).alias;
  return typeof alias === 'string' && alias !== '' ? alias : undefined;
};

/**
 * Freight id → alias for the Stages' current Freight. A Stage's status holds only the id, so the
 * Project's Freight is listed once; when that fails the table falls back to short ids.
 */
const freightAliases = async (
  stages: readonly Stage[],
  ctx: Context,
  project: string | undefined,
): Promise<Map<string, string>> => {
  const aliases = new Map<string, string>();
  const needed = stages.some((s) => {
    const entry = s.status?.freightHistory?.[0];
    return entry !== undefined && aliasOf(entry) === undefined;
  });
  if (!needed || project === undefined) return aliases;
  try {
    const { body } = await ctx.client.get(projectPath(project, 'freight'));
    for (const f of (body as { items?: Freight[] } | undefined)?.items ?? []) {
      if (f?.metadata?.name && f.alias) aliases.set(f.metadata.name, f.alias);
    }
  } catch {
    // Aliases are a nicety; the Stages themselves were fetched, so show them with short ids.
  }
  return aliases;
};

/**
 * The `ferry get freight` table: NAME ALIAS ORIGIN IMAGES VERIFIED-IN AGE, with a CHARTS column after
 * IMAGES when some Freight listed has Helm charts (`<repo>/<name>:<version>`, `oci://…:<version>`).
 */
export const freightTable = (items: readonly Freight[], now: number): string => {
  const withCharts = items.some((f) => (f.charts ?? []).length > 0);
  return renderTable(
    ['NAME', 'ALIAS', 'ORIGIN', 'IMAGES', ...(withCharts ? ['CHARTS'] : []), 'VERIFIED-IN', 'AGE'],
    items.map((f) => [
      f.metadata.name,
      f.alias || NONE,
      f.origin?.name ?? NONE,
      list((f.images ?? []).map((i) => `${i.repoURL}:${i.tag}`)),
      ...(withCharts
        ? [
            list(
              (f.charts ?? []).map(
                (c) => `${c.name ? `${c.repoURL.replace(/\/$/, '')}/${c.name}` : c.repoURL}:${c.version}`,
              ),
            ),
          ]
        : []),
      list(Object.keys(f.status?.verifiedIn ?? {})),
      formatAge(f.metadata.creationTimestamp, now),
    ]),
  );
};

/** The `ferry get promotions` table: NAME STAGE FREIGHT PHASE AGE. */
export const promotionsTable = (items: readonly Promotion[], now: number): string =>
  renderTable(
    ['NAME', 'STAGE', 'FREIGHT', 'PHASE', 'AGE'],
    items.map((p) => [
      p.metadata.name,
      p.spec?.stage ?? NONE,
      shortId(p.spec?.freight),
      p.status?.phase ?? NONE,
      formatAge(p.metadata.creationTimestamp ?? p.status?.createdAt, now),
    ]),
  );

const list = (values: readonly string[]): string => (values.length === 0 ? NONE : values.join(','));
