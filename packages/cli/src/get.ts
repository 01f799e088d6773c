/** `ferry get`: lists or shows Projects, Warehouses, Stages, Freight and Promotions. */
import type { Freight, Project, Promotion, Stage, Warehouse } from '@ferry/contracts';
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import { type Context, projectFrom, projectPath, seg } from './context.ts';
import { UsageError } from './errors.ts';
import { formatAge, NONE, parseOutput, renderData, renderTable, shortId } from './format.ts';

/** Usage text of `ferry get`. */
export const GET_USAGE = `Usage: ferry get KIND [NAME] [-p PROJECT] [-o FORMAT] [--stage S] [--warehouse W]

Lists resources of a kind, or shows the one named.

Kinds:
  projects (project)
  warehouses (warehouse, wh)
  stages (stage)
  freight                      NAME may be a Freight id or alias
  promotions (promotion, promo)

Options:
  -p, --project NAME    Project of the resources (default $FERRY_PROJECT); required but for projects
  -o, --output FORMAT   table (default); wide (a table with more columns); json or yaml (the API's
                        objects); name (kind/name per line); jsonpath=TEMPLATE or
                        jsonpath-file=FILE (kubectl's JSONPath: {.items[*].metadata.name},
                        {range .items[*]}{.metadata.name}{"\\t"}{end}, filters [?(@.x=="y")])
  --stage NAME          promotions only: list those to this Stage
  --warehouse NAME      freight only: list that from this Warehouse

${GLOBAL_OPTIONS_HELP}

Examples:
  ferry get stages -p shop
  ferry get stages -p shop -o wide
  ferry get freight -p shop --warehouse app -o json
  ferry get promotions -p shop --stage prod -o name
  ferry get stages -p shop -o jsonpath='{range .items[*]}{.metadata.name}{"\\t"}{.status.health.status}{"\\n"}{end}'
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

/** The kind's word in `-o name` output, as kubectl's `kind/name`. */
export const NAME_PREFIX: Readonly<Record<ResourceKind, string>> = {
  projects: 'project',
  warehouses: 'warehouse',
  stages: 'stage',
  freight: 'freight',
  promotions: 'promotion',
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
  const output = await parseOutput(values.output, {
    allowed: ['table', 'wide', 'json', 'yaml', 'name', 'jsonpath'],
    fallback: 'table',
    usage: GET_USAGE,
    readFile: ctx.readInput,
  });
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

  const data = renderData(output, body);
  if (data !== undefined) {
    ctx.out(data);
    return 0;
  }
  const items = name === undefined ? ((body as { items?: unknown[] } | undefined)?.items ?? []) : [body];
  if (output.kind === 'name') {
    for (const item of items as { metadata?: { name?: string } }[]) {
      ctx.out(`${NAME_PREFIX[kind]}/${item.metadata?.name ?? ''}\n`);
    }
    return 0;
  }
  if (items.length === 0) {
    ctx.err(`No ${NOUN[kind]} found${project === undefined ? '' : ` in project ${project}`}.\n`);
    return 0;
  }
  ctx.out(await renderKind(kind, items, ctx, project, output.kind === 'wide'));
  return 0;
};

/** Renders items of one kind as the kind's table. */
const renderKind = async (
  kind: ResourceKind,
  items: unknown[],
  ctx: Context,
  project: string | undefined,
  wide: boolean,
): Promise<string> => {
  const now = ctx.now();
  switch (kind) {
    case 'projects':
      return projectsTable(items as Project[], now, wide);
    case 'warehouses':
      return warehousesTable(items as Warehouse[], now, wide);
    case 'stages': {
      const stages = items as Stage[];
      return stagesTable(stages, await freightAliases(stages, ctx, project), now, wide);
    }
    case 'freight':
      return freightTable(items as Freight[], now, wide);
    case 'promotions':
      return promotionsTable(items as Promotion[], now, wide);
  }
};

/** The `ferry get projects` table: NAME AGE; `wide` adds PHASE. */
export const projectsTable = (items: readonly Project[], now: number, wide = false): string =>
  renderTable(
    ['NAME', 'AGE', ...(wide ? ['PHASE'] : [])],
    items.map((p) => [
      p.metadata.name,
      formatAge(p.metadata.creationTimestamp, now),
      ...(wide ? [p.status?.phase ?? NONE] : []),
    ]),
  );

/**
 * The `ferry get warehouses` table: NAME SUBSCRIPTIONS LAST-DISCOVERY FREIGHT AGE; `wide` adds
 * INTERVAL, POLICY (`spec.freightCreationPolicy`) and HEALTH (`status.health.status`).
 */
export const warehousesTable = (items: readonly Warehouse[], now: number, wide = false): string =>
  renderTable(
    [
      'NAME',
      'SUBSCRIPTIONS',
      'LAST-DISCOVERY',
      'FREIGHT',
      'AGE',
      ...(wide ? ['INTERVAL', 'POLICY', 'HEALTH'] : []),
    ],
    items.map((w) => [
      w.metadata.name,
      list((w.spec?.subscriptions ?? []).map(subscriptionRepo)),
      w.status?.lastHandledRefresh ? formatAge(w.status.lastHandledRefresh, now) : NONE,
      shortId(w.status?.lastFreightID),
      formatAge(w.metadata.creationTimestamp, now),
      ...(wide
        ? [w.spec?.interval || NONE, w.spec?.freightCreationPolicy || NONE, w.status?.health?.status ?? NONE]
        : []),
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
 * `wide` adds FREIGHT-ID (the current Freight's full id), VERIFICATION (the phase of the latest
 * verification) and PROMOTION (the running Promotion, else the last one).
 */
export const stagesTable = (
  items: readonly Stage[],
  aliases: ReadonlyMap<string, string>,
  now: number,
  wide = false,
): string =>
  renderTable(
    [
      'NAME',
      'SOURCES',
      'CURRENT-FREIGHT',
      'PHASE',
      'HEALTH',
      'AGE',
      ...(wide ? ['FREIGHT-ID', 'VERIFICATION', 'PROMOTION'] : []),
    ],
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
        ...(wide
          ? [
              current?.id ?? NONE,
              s.status?.verification?.phase ?? NONE,
              s.status?.currentPromotion?.name ?? s.status?.lastPromotion?.name ?? NONE,
            ]
          : []),
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
 * `wide` adds COMMITS (`<repo>#<tag>` for a tagged commit, else `<repo>@<short id>`) and CURRENTLY-IN (the Stages using it).
 */
export const freightTable = (items: readonly Freight[], now: number, wide = false): string => {
  const withCharts = items.some((f) => (f.charts ?? []).length > 0);
  return renderTable(
    [
      'NAME',
      'ALIAS',
      'ORIGIN',
      'IMAGES',
      ...(withCharts ? ['CHARTS'] : []),
      'VERIFIED-IN',
      'AGE',
      ...(wide ? ['COMMITS', 'CURRENTLY-IN'] : []),
    ],
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
      ...(wide
        ? [
            list(
              (f.commits ?? []).map((c) =>
                c.tag ? `${c.repoURL}#${c.tag}` : `${c.repoURL}@${c.id.slice(0, 7)}`,
              ),
            ),
            list(Object.keys(f.status?.currentlyIn ?? {})),
          ]
        : []),
    ]),
  );
};

/**
 * The `ferry get promotions` table: NAME STAGE FREIGHT PHASE AGE; `wide` adds FREIGHT-ID (full id),
 * REQUESTED-BY and MESSAGE (`status.message`: what it waits for, what failed).
 */
export const promotionsTable = (items: readonly Promotion[], now: number, wide = false): string =>
  renderTable(
    ['NAME', 'STAGE', 'FREIGHT', 'PHASE', 'AGE', ...(wide ? ['FREIGHT-ID', 'REQUESTED-BY', 'MESSAGE'] : [])],
    items.map((p) => [
      p.metadata.name,
      p.spec?.stage ?? NONE,
      shortId(p.spec?.freight),
      p.status?.phase ?? NONE,
      formatAge(p.metadata.creationTimestamp ?? p.status?.createdAt, now),
      ...(wide ? [p.spec?.freight || NONE, p.status?.requestedBy || NONE, p.status?.message || NONE] : []),
    ]),
  );

const list = (values: readonly string[]): string => (values.length === 0 ? NONE : values.join(','));
