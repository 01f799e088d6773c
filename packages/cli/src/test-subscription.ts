/**
 * `ferry test subscription`: what a Warehouse's subscriptions would pick now and their ranked
 * candidates, changing nothing (no Freight, no Warehouse status). Takes a Kargo Warehouse manifest
 * or one image or git subscription described by flags.
 */
import type { SubscriptionTest } from '@ferry/contracts';
import { GLOBAL_OPTIONS_HELP, parseCommand } from './args.ts';
import { type Context, projectFrom, projectPath } from './context.ts';
import { UsageError } from './errors.ts';
import { NONE, type OutputOptions, parseOutputSync, renderData, renderTable } from './format.ts';

/** Usage text of `ferry test`. */
export const TEST_USAGE = `Usage: ferry test subscription -p PROJECT -f WAREHOUSE.yaml [-o table|json|yaml|jsonpath=TEMPLATE]
       ferry test subscription -p PROJECT --image REPO [--strategy S] [--constraint C] [--platform OS/ARCH]
                               [--allow-tags REGEX ...] [--ignore-tags REGEX ...] [--discovery-limit N]
       ferry test subscription -p PROJECT --git URL [--branch B] [--strategy S] [--constraint C] ...
       ferry test subscription -p PROJECT --chart URL [--name CHART] [--constraint C] [--discovery-limit N]

Shows what each subscription would pick now and its candidates, best first (with digests and
build times where discovery read them), through the warehouse-poller, with its registry and git
access. Nothing changes: no Freight is made and no Warehouse status is written. Exits 1 when a
subscription finds nothing.

Options:
  -p, --project NAME      Project whose access (and caches) to use (default $FERRY_PROJECT)
  -f, --filename FILE     A Kargo Warehouse manifest ("-" reads standard input)
  --image REPO            Test one image subscription of REPO, e.g. ghcr.io/acme/app
  --git URL               Test one git subscription of URL, e.g. https://github.com/acme/app.git
  --chart URL             Test one Helm chart subscription: an HTTP(S) chart repository (with
                          --name) or oci://REGISTRY/PATH/CHART
  --name CHART            chart: the chart's name in an HTTP(S) repository's index
  --strategy S            image: SemVer (default), Lexical, Digest, NewestBuild;
                          git: NewestFromBranch (default), SemVer, Lexical, NewestTag
  --constraint C          SemVer range (SemVer and charts), or the tag to follow (Digest)
  --platform OS/ARCH      image: only images offering this platform, e.g. linux/amd64
  --branch B              git: the branch NewestFromBranch follows (default: the repository's HEAD)
  --allow-tags REGEX      only tags matching this regular expression (repeatable)
  --ignore-tags REGEX     skip tags matching this regular expression (repeatable)
  --discovery-limit N     candidates to keep, 1 to 100 (default 20)
  -o, --output FORMAT     table (default), json, yaml or jsonpath=TEMPLATE (kubectl's JSONPath)

Examples:
  ferry test subscription -p shop -f warehouse.yaml
  ferry test subscription -p shop --image ghcr.io/acme/app --constraint '^1.0' --platform linux/amd64
  ferry test subscription -p shop --git https://github.com/acme/config.git --strategy NewestTag
  ferry test subscription -p shop --chart https://charts.example.com --name app --constraint '^2'
  ferry test subscription -p shop --chart oci://ghcr.io/acme/charts/app

${GLOBAL_OPTIONS_HELP}
`;

const OPTIONS = {
  project: { type: 'string', short: 'p' },
  filename: { type: 'string', short: 'f' },
  image: { type: 'string' },
  git: { type: 'string' },
  chart: { type: 'string' },
  name: { type: 'string' },
  strategy: { type: 'string' },
  constraint: { type: 'string' },
  platform: { type: 'string' },
  branch: { type: 'string' },
  'allow-tags': { type: 'string', multiple: true },
  'ignore-tags': { type: 'string', multiple: true },
  'discovery-limit': { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The body of `POST /api/v1/projects/:project/subscriptions/test`: a manifest's text or a spec. */
export type TestSubscriptionRequest =
  | { manifest: string }
  | { spec: { subscriptions: Array<Record<string, Record<string, unknown>>> } };

/** The API's answer. */
export interface TestSubscriptionAnswer {
  /** The Warehouse tested. */
  warehouse: string;
  /** One entry per subscription. */
  subscriptions: SubscriptionTest[];
  /** The id of the Freight the picks would make; absent when a subscription found nothing. */
  freight?: string;
  /** What reading the Warehouse warned about. */
  warnings: string[];
}

/** What the command line asks for: the Project, the input (a file to read, or a spec) and the format. */
export interface ParsedTest {
  project: string;
  file?: string;
  spec?: { subscriptions: Array<Record<string, Record<string, unknown>>> };
  output: string;
}

const FLAG_NAMES = [
  'name',
  'strategy',
  'constraint',
  'platform',
  'branch',
  'allow-tags',
  'ignore-tags',
  'discovery-limit',
] as const;

/** Reads `ferry test subscription` arguments. */
export function parseTestSubscription(
  args: string[],
  env: Record<string, string | undefined>,
): ParsedTest | 'help' {
  const { values, positionals } = parseCommand(args, OPTIONS, TEST_USAGE);
  if (values.help) return 'help';
  const [kind, ...extra] = positionals;
  if (kind === undefined) throw new UsageError('what to test is required: subscription', TEST_USAGE);
  if (!['subscription', 'subscriptions', 'sub'].includes(kind.toLowerCase()))
    throw new UsageError(`cannot test "${kind}": only subscriptions can be tested`, TEST_USAGE);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`, TEST_USAGE);
  const project = projectFrom(values.project, env);
  if (project === undefined)
    throw new UsageError('a Project is required: pass -p PROJECT or set FERRY_PROJECT', TEST_USAGE);
  const output = values.output ?? 'table';
  // Checked now (a jsonpath template too), before anything is sent.
  parseOutputSync(output, testOutput());
  const sources = [
    values.filename !== undefined,
    values.image !== undefined,
    values.git !== undefined,
    values.chart !== undefined,
  ];
  const count = sources.filter(Boolean).length;
  if (count === 0)
    throw new UsageError(
      'give what to test: -f WAREHOUSE.yaml, --image REPO, --git URL or --chart URL',
      TEST_USAGE,
    );
  if (count > 1) throw new UsageError('give only one of -f, --image, --git and --chart', TEST_USAGE);
  if (values.filename !== undefined) {
    const flag = FLAG_NAMES.find((f) => values[f] !== undefined);
    if (flag)
      throw new UsageError(
        `--${flag} goes with --image, --git or --chart; with -f the file says everything`,
        TEST_USAGE,
      );
    return { project, file: values.filename, output };
  }
  if (values.name !== undefined && values.chart === undefined)
    throw new UsageError('--name goes with --chart', TEST_USAGE);
  if (values.chart !== undefined) {
    const flag = (['strategy', 'platform', 'branch', 'allow-tags', 'ignore-tags'] as const).find(
      (f) => values[f] !== undefined,
    );
    if (flag) throw new UsageError(`--${flag} does not apply to --chart`, TEST_USAGE);
  }
  if (values.image !== undefined && values.branch !== undefined)
    throw new UsageError('--branch goes with --git, not --image', TEST_USAGE);
  if (values.git !== undefined && values.platform !== undefined)
    throw new UsageError('--platform goes with --image, not --git', TEST_USAGE);
  let limit: number | undefined;
  const rawLimit = values['discovery-limit'];
  if (rawLimit !== undefined) {
    limit = Number(rawLimit);
    if (!/^\d+$/.test(rawLimit) || limit < 1 || limit > 100)
      throw new UsageError(
        `--discovery-limit must be a whole number from 1 to 100, got "${rawLimit}"`,
        TEST_USAGE,
      );
  }
  const common = {
    ...(values['allow-tags'] ? { allowTagsRegexes: values['allow-tags'] } : {}),
    ...(values['ignore-tags'] ? { ignoreTagsRegexes: values['ignore-tags'] } : {}),
    ...(limit !== undefined ? { discoveryLimit: limit } : {}),
  };
  const sub: Record<string, Record<string, unknown>> = values.chart !== undefined
    ? {
        chart: {
          repoURL: values.chart,
          ...(values.name ? { name: values.name } : {}),
          ...(values.constraint ? { semverConstraint: values.constraint } : {}),
          ...(limit !== undefined ? { discoveryLimit: limit } : {}),
        },
      }
    : values.image !== undefined
      ? {
          image: {
            repoURL: values.image,
            ...(values.strategy ? { imageSelectionStrategy: values.strategy } : {}),
            ...(values.constraint ? { constraint: values.constraint } : {}),
            ...(values.platform ? { platform: values.platform } : {}),
            ...common,
          },
        }
      : {
          git: {
            repoURL: values.git!,
            ...(values.strategy ? { commitSelectionStrategy: values.strategy } : {}),
            ...(values.branch ? { branch: values.branch } : {}),
            ...(values.constraint ? { semverConstraint: values.constraint } : {}),
            ...common,
          },
        };
  return { project, spec: { subscriptions: [sub] }, output };
}

const cell = (v: string | undefined): string => v || NONE;

/** The answer as text: per subscription its pick (or error) and its ranked candidates. */
export function renderTestAnswer(a: TestSubscriptionAnswer): string {
  const parts: string[] = [];
  for (const w of a.warnings) parts.push(`warning: ${w}\n`);
  for (const s of a.subscriptions) {
    const what = `${s.kind} ${s.repoURL}${s.name ? ` chart ${s.name}` : ''}`;
    const pick = s.picked
      ? `picks ${s.kind === 'image' ? s.picked.tag : s.kind === 'git' ? (s.picked.tag ?? s.picked.id?.slice(0, 7)) : s.picked.version}`
      : `found nothing: ${s.error ?? 'no candidate'}`;
    parts.push(`${parts.length ? '\n' : ''}subscription ${s.index}: ${what}: ${pick}\n`);
    if (s.candidates.length === 0) continue;
    const rank = (i: number) => String(i + 1);
    if (s.kind === 'image') {
      parts.push(
        renderTable(
          ['#', 'TAG', 'DIGEST', 'CREATED'],
          s.candidates.map((c, i) => [rank(i), cell(c.tag), cell(c.digest), cell(c.createdAt)]),
        ),
      );
    } else if (s.kind === 'git') {
      parts.push(
        renderTable(
          ['#', 'COMMIT', 'TAG', 'BRANCH', 'DATE', 'SUBJECT'],
          s.candidates.map((c, i) => [
            rank(i),
            cell(c.id?.slice(0, 12)),
            cell(c.tag),
            cell(c.branch),
            cell(c.creatorDate),
            cell(c.subject),
          ]),
        ),
      );
    } else {
      parts.push(
        renderTable(
          ['#', 'VERSION'],
          s.candidates.map((c, i) => [rank(i), cell(c.version)]),
        ),
      );
    }
  }
  parts.push(
    a.freight
      ? `\nFreight of these picks: ${a.freight} (nothing was made; "ferry create freight" makes it)\n`
      : '\nNo Freight: a subscription found nothing.\n',
  );
  return parts.join('');
}

/** The `-o` formats of `ferry test subscription`. */
const testOutput = (): OutputOptions => ({
  allowed: ['table', 'json', 'yaml', 'jsonpath'],
  fallback: 'table',
  usage: TEST_USAGE,
});

/** Runs `ferry test`; returns the exit code: 1 when a subscription found nothing. */
export const runTest = async (args: string[], ctx: Context): Promise<number> => {
  const parsed = parseTestSubscription(args, ctx.env);
  if (parsed === 'help') {
    ctx.out(TEST_USAGE);
    return 0;
  }
  const body: TestSubscriptionRequest =
    parsed.file !== undefined ? { manifest: await ctx.readInput(parsed.file) } : { spec: parsed.spec! };
  const { body: answer } = await ctx.client.post(projectPath(parsed.project, 'subscriptions', 'test'), body);
  const a = answer as TestSubscriptionAnswer;
  ctx.out(renderData(parseOutputSync(parsed.output, testOutput()), a) ?? renderTestAnswer(a));
  return a.subscriptions.every((s) => s.picked !== undefined) ? 0 : 1;
};
