/**
 * The `spec` of each Kargo kind Ferry reads, with Kargo's field names and defaults, including the
 * older forms users still have (Kargo v0.3 Stages, `semverConstraint`, `allowTags`, `stage:` policies).
 */
import { posix } from 'node:path';
import {
  type ChartSubscription,
  type CommitSelectionStrategy,
  DNS1123_SUBDOMAIN,
  type FreightRequest,
  type GitSubscription,
  type ImageSelectionStrategy,
  type ImageSubscription,
  type PromotionPolicy,
  type PromotionStep,
  type PromotionTaskReference,
  type Stage,
  type StageSelector,
  type StageVerification,
  type Warehouse,
} from '@ferry/contracts';
import { formatGoDurationNs, parseGoDuration, parseGoDurationNs } from './duration.ts';
import { pathSelector } from './git-select.ts';
import { goRegExp, namePattern } from './patterns.ts';
import {
  boolAt,
  type Ctx,
  fields,
  IGNORED,
  isMap,
  listAt,
  mapAt,
  NOT_YET,
  type Obj,
  type Path,
  pointer,
  strAt,
  stringMapAt,
  stringsAt,
} from './read.ts';
import { parseSemverConstraint } from './semver.ts';
import { normalizeChart, normalizeGit, normalizeImage } from './urls.ts';

const deprecated = (instead: string) => `is deprecated: use ${instead}`;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Parses `promotionPolicies` (of a ProjectConfig, or of an older Project's spec). */
export function parsePolicies(ctx: Ctx, v: unknown, path: Path): PromotionPolicy[] {
  const policies: PromotionPolicy[] = [];
  const exact = new Map<string, number>();
  listAt(ctx, v, path).forEach((item, i) => {
    const p = [...path, i];
    const o = mapAt(ctx, item, p);
    if (!o) return;
    fields(ctx, o, p, 'stage stageSelector autoPromotionEnabled', { autoRollback: IGNORED });
    const autoPromotionEnabled = boolAt(ctx, o.autoPromotionEnabled, [...p, 'autoPromotionEnabled'], false);
    let selector: StageSelector | undefined;
    if (o.stage !== undefined && o.stageSelector !== undefined) {
      ctx.problem(p, 'give either stageSelector or the older stage, not both');
    } else if (o.stage !== undefined) {
      const name = strAt(ctx, o.stage, [...p, 'stage'], 'the Stage this policy is for');
      if (name !== undefined && !DNS1123_SUBDOMAIN.test(name))
        ctx.problem([...p, 'stage'], 'must be a Stage name');
      else if (name !== undefined) {
        ctx.warn([...p, 'stage'], deprecated('stageSelector.name'));
        selector = { name };
      }
    } else {
      selector = parseSelector(ctx, o.stageSelector, [...p, 'stageSelector']);
    }
    if (!selector) return;
    const name = selector.name;
    const prefix = name?.includes(':') ? name.slice(0, name.indexOf(':')) : undefined;
    // Only stageSelector.name may hold a pattern: the older stage field must be a plain name.
    const namePath = [...p, 'stageSelector', 'name'];
    if (prefix !== undefined && !['glob', 'regex', 'regexp'].includes(prefix)) {
      ctx.problem(namePath, `invalid pattern identifier "${prefix}": must be "regex", "regexp" or "glob"`);
    } else if (prefix !== undefined) {
      try {
        namePattern(name!);
      } catch (e) {
        ctx.problem(namePath, `invalid ${prefix} pattern: ${message(e)}`);
      }
    } else if (name) {
      const first = exact.get(name);
      if (first !== undefined) ctx.problem(p, `stage name already defined at ${pointer([...path, first])}`);
      else exact.set(name, i);
    }
    policies.push({ stageSelector: selector, autoPromotionEnabled });
  });
  return policies;
}

/** Parses a `stageSelector` (name pattern or matchLabels; matchExpressions not yet). */
export function parseSelector(ctx: Ctx, v: unknown, p: Path): StageSelector | undefined {
  const o = mapAt(ctx, v, p, 'the Stages this policy applies to (or the older stage: NAME)');
  if (!o) return undefined;
  fields(ctx, o, p, 'name matchLabels', {
    matchExpressions: { problem: 'not supported yet by Ferry: use matchLabels' },
  });
  const name = strAt(ctx, o.name, [...p, 'name']);
  const selector: StageSelector = {};
  if (name) selector.name = name;
  if (o.matchLabels !== undefined)
    selector.matchLabels = stringMapAt(ctx, o.matchLabels, [...p, 'matchLabels']);
  return selector;
}

const STRATEGIES: readonly ImageSelectionStrategy[] = ['SemVer', 'Lexical', 'Digest', 'NewestBuild'];
/** Kargo's check of an image repository (no tag, no digest). */
const IMAGE_REPO = /^(\w+([.-]\w+)*(:\d+)?\/)?(\w+([.-]\w+)*)(\/\w+([.-]\w+)*)*$/;
/** Kargo's CRD pattern for durations: hours, minutes and seconds only. */
const KARGO_DURATION = /^([0-9]+(\.[0-9]+)?(s|m|h))+$/;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Reads a list of strings, reporting each one that `compile` throws on as "invalid <what>". */
function compiledStringsAt(
  ctx: Ctx,
  v: unknown,
  p: Path,
  what: string,
  compile: (s: string) => unknown,
): string[] {
  const list = stringsAt(ctx, v, p);
  list.forEach((item, j) => {
    try {
      compile(item);
    } catch (e) {
      ctx.problem([...p, j], `invalid ${what}: ${message(e)}`);
    }
  });
  return list;
}

/** Reads a list of Go regular expressions, reporting the ones that do not compile. */
const regexesAt = (ctx: Ctx, v: unknown, p: Path): string[] =>
  compiledStringsAt(ctx, v, p, 'regular expression', goRegExp);

function parseImageSub(ctx: Ctx, o: Obj, p: Path): ImageSubscription {
  fields(
    ctx,
    o,
    p,
    'repoURL imageSelectionStrategy tagSelectionStrategy constraint semverConstraint strictSemvers allowTags ' +
      'allowTagsRegexes ignoreTags ignoreTagsRegexes platform discoveryLimit cacheByTag minimumAge ' +
      'insecureSkipTLSVerify',
    { gitRepoURL: IGNORED },
  );
  const at = (k: string) => [...p, k];
  const repoURL = strAt(
    ctx,
    o.repoURL,
    at('repoURL'),
    'the image repository to watch, like ghcr.io/acme/app',
  );
  if (repoURL !== undefined && !IMAGE_REPO.test(repoURL)) {
    ctx.problem(
      at('repoURL'),
      'must be an image repository without a tag or digest, like "ghcr.io/acme/app"',
    );
  }
  const current = strAt(ctx, o.imageSelectionStrategy, at('imageSelectionStrategy'));
  const older = strAt(ctx, o.tagSelectionStrategy, at('tagSelectionStrategy'));
  if (older !== undefined) ctx.warn(at('tagSelectionStrategy'), deprecated('imageSelectionStrategy'));
  if (current !== undefined && older !== undefined && current !== older) {
    ctx.problem(
      at('tagSelectionStrategy'),
      `differs from imageSelectionStrategy ("${current}"): give only that`,
    );
  }
  const strategyKey = current !== undefined ? 'imageSelectionStrategy' : 'tagSelectionStrategy';
  let strategy = (current ?? older ?? 'SemVer') as ImageSelectionStrategy;
  if (!STRATEGIES.includes(strategy)) {
    ctx.problem(at(strategyKey), `must be one of ${STRATEGIES.join(', ')}`);
    strategy = 'SemVer';
  }
  const c = strAt(ctx, o.constraint, at('constraint')) || undefined;
  const sc = strAt(ctx, o.semverConstraint, at('semverConstraint')) || undefined;
  if (sc !== undefined) ctx.warn(at('semverConstraint'), deprecated('constraint'));
  if (c !== undefined && sc !== undefined && c !== sc) {
    ctx.problem(at('semverConstraint'), `differs from constraint ("${c}"): give only constraint`);
  }
  const constraint = c ?? sc;
  const constraintKey = c !== undefined ? 'constraint' : 'semverConstraint';
  if (strategy === 'Digest' && constraint === undefined) {
    ctx.problem(at('constraint'), 'required: the tag to follow when imageSelectionStrategy is Digest');
  }
  if (strategy === 'SemVer' && constraint !== undefined) {
    try {
      parseSemverConstraint(constraint);
    } catch (e) {
      ctx.problem(at(constraintKey), `invalid SemVer constraint: ${message(e)}`);
    }
  }
  const allowTagsRegexes = regexesAt(ctx, o.allowTagsRegexes, at('allowTagsRegexes'));
  const allowTags = strAt(ctx, o.allowTags, at('allowTags'));
  if (allowTags !== undefined) {
    ctx.warn(at('allowTags'), deprecated('allowTagsRegexes'));
    allowTagsRegexes.push(...regexesAt(ctx, [allowTags], at('allowTags')));
  }
  const ignoreTagsRegexes = regexesAt(ctx, o.ignoreTagsRegexes, at('ignoreTagsRegexes'));
  const ignoreTags = stringsAt(ctx, o.ignoreTags, at('ignoreTags'));
  if (o.ignoreTags !== undefined) ctx.warn(at('ignoreTags'), deprecated('ignoreTagsRegexes'));
  ignoreTagsRegexes.push(...ignoreTags.map((t) => `^${escapeRe(t)}$`));
  const platform = strAt(ctx, o.platform, at('platform'));
  if (platform && !/^[^/\s]+\/[^/\s]+(\/[^/\s]+)?$/.test(platform)) {
    ctx.problem(at('platform'), 'must be os/arch or os/arch/variant, like "linux/amd64"');
  }
  const limit = o.discoveryLimit ?? 20;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 100) {
    ctx.problem(at('discoveryLimit'), 'must be a whole number from 1 to 100');
  }
  return {
    repoURL: repoURL ?? '',
    imageSelectionStrategy: strategy,
    ...(constraint !== undefined && { constraint }),
    strictSemvers: boolAt(ctx, o.strictSemvers, at('strictSemvers'), true),
    allowTagsRegexes,
    ignoreTagsRegexes,
    ...(platform && { platform }),
    discoveryLimit: Number.isInteger(limit) ? (limit as number) : 20,
    ...(o.cacheByTag !== undefined && { cacheByTag: boolAt(ctx, o.cacheByTag, at('cacheByTag'), false) }),
    ...minimumAgeAt(ctx, o.minimumAge, at('minimumAge')),
    ...(boolAt(ctx, o.insecureSkipTLSVerify, at('insecureSkipTLSVerify'), false) && {
      insecureSkipTLSVerify: true,
    }),
  };
}

/**
 * Reads `minimumAge` (a Ferry extension of image subscriptions) as a Go duration of hours, minutes and
 * seconds, normalised like `interval`; zero means no minimum and is dropped.
 */
function minimumAgeAt(ctx: Ctx, v: unknown, p: Path): { minimumAge?: string } {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'string' || !KARGO_DURATION.test(v)) {
    ctx.problem(p, 'must be a duration in hours, minutes and seconds, like "24h" or "1h30m"');
    return {};
  }
  const ns = parseGoDurationNs(v);
  return ns > 0n ? { minimumAge: formatGoDurationNs(ns) } : {};
}

const COMMIT_STRATEGIES: readonly CommitSelectionStrategy[] = [
  'NewestFromBranch',
  'SemVer',
  'Lexical',
  'NewestTag',
];
/** Kargo's check of a git repository URL: http(s) with optional credentials, or scp-like `user@host:path`. */
const GIT_REPO =
  /(?:^(https?):\/\/(?:([\w-]+):(.+)@)?([\w-]+(?:\.[\w-]+)*)(?::(\d{1,5}))?(\/.*)$)|(?:^([\w-]+)@([\w+]+(?:\.[\w-]+)*):(\/?.*))/;
/** Kargo's check of a branch name. */
const GIT_BRANCH = /^\w+([-/]\w+)*$/;

/** Reads a list of path selectors (prefix, `glob:`, `regex:`/`regexp:`), reporting the ones that do not compile. */
const pathSelectorsAt = (ctx: Ctx, v: unknown, p: Path): string[] =>
  compiledStringsAt(ctx, v, p, 'path selector', pathSelector);

function parseGitSub(ctx: Ctx, o: Obj, p: Path): GitSubscription {
  fields(
    ctx,
    o,
    p,
    'repoURL commitSelectionStrategy branch semverConstraint strictSemvers allowTags allowTagsRegexes ' +
      'ignoreTags ignoreTagsRegexes includePaths excludePaths discoveryLimit insecureSkipTLSVerify',
    { expressionFilter: NOT_YET },
  );
  const at = (k: string) => [...p, k];
  const repoURL = strAt(
    ctx,
    o.repoURL,
    at('repoURL'),
    'the git repository to watch, like https://github.com/acme/app.git',
  );
  if (repoURL !== undefined && !GIT_REPO.test(repoURL)) {
    ctx.problem(
      at('repoURL'),
      'must be an http(s) URL or user@host:path, like "https://github.com/acme/app.git"',
    );
  }
  let strategy = (strAt(ctx, o.commitSelectionStrategy, at('commitSelectionStrategy')) ??
    'NewestFromBranch') as CommitSelectionStrategy;
  if (!COMMIT_STRATEGIES.includes(strategy)) {
    ctx.problem(at('commitSelectionStrategy'), `must be one of ${COMMIT_STRATEGIES.join(', ')}`);
    strategy = 'NewestFromBranch';
  }
  const branch = strAt(ctx, o.branch, at('branch')) || undefined;
  if (branch !== undefined && !GIT_BRANCH.test(branch)) {
    ctx.problem(at('branch'), 'must be a branch name of word characters separated by - or /, like "main"');
  }
  if (branch !== undefined && strategy !== 'NewestFromBranch') {
    ctx.warn(at('branch'), `has no effect with commitSelectionStrategy ${strategy}`);
  }
  const semverConstraint = strAt(ctx, o.semverConstraint, at('semverConstraint')) || undefined;
  if (semverConstraint !== undefined) {
    try {
      parseSemverConstraint(semverConstraint);
    } catch (e) {
      ctx.problem(at('semverConstraint'), `invalid SemVer constraint: ${message(e)}`);
    }
  }
  const allowTagsRegexes = regexesAt(ctx, o.allowTagsRegexes, at('allowTagsRegexes'));
  const allowTags = strAt(ctx, o.allowTags, at('allowTags'));
  if (allowTags !== undefined) {
    ctx.warn(at('allowTags'), deprecated('allowTagsRegexes'));
    allowTagsRegexes.push(...regexesAt(ctx, [allowTags], at('allowTags')));
  }
  const ignoreTagsRegexes = regexesAt(ctx, o.ignoreTagsRegexes, at('ignoreTagsRegexes'));
  const ignoreTags = stringsAt(ctx, o.ignoreTags, at('ignoreTags'));
  if (o.ignoreTags !== undefined) ctx.warn(at('ignoreTags'), deprecated('ignoreTagsRegexes'));
  ignoreTagsRegexes.push(...ignoreTags.map((t) => `^${escapeRe(t)}$`));
  const limit = o.discoveryLimit ?? 20;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 100) {
    ctx.problem(at('discoveryLimit'), 'must be a whole number from 1 to 100');
  }
  const insecure = boolAt(ctx, o.insecureSkipTLSVerify, at('insecureSkipTLSVerify'), false);
  return {
    repoURL: repoURL ?? '',
    commitSelectionStrategy: strategy,
    ...(branch !== undefined && { branch }),
    ...(semverConstraint !== undefined && { semverConstraint }),
    strictSemvers: boolAt(ctx, o.strictSemvers, at('strictSemvers'), true),
    allowTagsRegexes,
    ignoreTagsRegexes,
    includePaths: pathSelectorsAt(ctx, o.includePaths, at('includePaths')),
    excludePaths: pathSelectorsAt(ctx, o.excludePaths, at('excludePaths')),
    discoveryLimit: Number.isInteger(limit) ? (limit as number) : 20,
    ...(insecure && { insecureSkipTLSVerify: true }),
  };
}

/** Kargo's CRD pattern for a chart repository: `http(s)://` (a classic repository) or `oci://`. */
const CHART_REPO = /^(((https?)|(oci)):\/\/)([\w\d.-]+)(:[\d]+)?(\/.*)*$/;

/**
 * Reads a `chart` subscription with Kargo's rules: `repoURL` is an HTTP(S) repository (then `name`,
 * the chart in its index, is required) or `oci://registry/path/chart` (then `name` must be empty).
 */
function parseChartSub(ctx: Ctx, o: Obj, p: Path): ChartSubscription {
  fields(ctx, o, p, 'repoURL name semverConstraint discoveryLimit insecureSkipTLSVerify');
  const at = (k: string) => [...p, k];
  const repoURL = strAt(
    ctx,
    o.repoURL,
    at('repoURL'),
    'the chart repository to watch, like https://charts.example.com or oci://ghcr.io/acme/charts/app',
  );
  if (repoURL !== undefined && !CHART_REPO.test(repoURL)) {
    ctx.problem(
      at('repoURL'),
      'must be an http(s):// chart repository or an oci:// chart, like "https://charts.example.com" or ' +
        '"oci://ghcr.io/acme/charts/app"',
    );
  }
  const name = strAt(ctx, o.name, at('name')) || undefined;
  const oci = repoURL?.startsWith('oci://') ?? false;
  if (oci && name !== undefined) {
    ctx.problem(at('name'), 'must be empty when repoURL starts with oci://: the URL already names the chart');
  }
  if (repoURL !== undefined && /^https?:\/\//.test(repoURL) && name === undefined) {
    ctx.problem(
      at('name'),
      'required when repoURL is an http(s):// chart repository: the name of the chart in its index.yaml',
    );
  }
  const semverConstraint = strAt(ctx, o.semverConstraint, at('semverConstraint')) || undefined;
  if (semverConstraint !== undefined) {
    try {
      parseSemverConstraint(semverConstraint);
    } catch (e) {
      ctx.problem(at('semverConstraint'), `invalid SemVer constraint: ${message(e)}`);
    }
  }
  const limit = o.discoveryLimit ?? 20;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 100) {
    ctx.problem(at('discoveryLimit'), 'must be a whole number from 1 to 100');
  }
  return {
    repoURL: repoURL ?? '',
    ...(name !== undefined && !oci && { name }),
    ...(semverConstraint !== undefined && { semverConstraint }),
    discoveryLimit: Number.isInteger(limit) ? (limit as number) : 20,
    ...(boolAt(ctx, o.insecureSkipTLSVerify, at('insecureSkipTLSVerify'), false) && {
      insecureSkipTLSVerify: true,
    }),
  };
}

/** Parses a Warehouse's spec, filling in Kargo's defaults. */
export function parseWarehouseSpec(ctx: Ctx, v: unknown): Warehouse['spec'] | undefined {
  const s = mapAt(ctx, v, ['spec'], 'the subscriptions of the Warehouse');
  if (!s) return undefined;
  fields(ctx, s, ['spec'], 'interval freightCreationPolicy subscriptions', {
    shard: IGNORED,
    freightCreationCriteria: NOT_YET,
  });
  let interval = strAt(ctx, s.interval, ['spec', 'interval']) ?? '5m0s';
  if (!KARGO_DURATION.test(interval)) {
    ctx.problem(
      ['spec', 'interval'],
      'must be a duration in hours, minutes and seconds, like "5m0s" or "1h30m"',
    );
  } else {
    interval = formatGoDurationNs(parseGoDurationNs(interval));
  }
  const policy = strAt(ctx, s.freightCreationPolicy, ['spec', 'freightCreationPolicy']) ?? 'Automatic';
  if (policy !== 'Automatic' && policy !== 'Manual') {
    ctx.problem(['spec', 'freightCreationPolicy'], 'must be Automatic or Manual');
  }
  const subscriptions: Warehouse['spec']['subscriptions'] = [];
  const seen = new Map<string, number>();
  const list = listAt(ctx, s.subscriptions, ['spec', 'subscriptions']);
  if (list.length === 0) ctx.problem(['spec', 'subscriptions'], 'required: at least one subscription');
  list.forEach((item, i) => {
    const p = ['spec', 'subscriptions', i];
    const o = mapAt(ctx, item, p);
    if (!o) return;
    const types = Object.keys(o).filter((k) => k !== 'name');
    if (o.name !== undefined)
      ctx.warn([...p, 'name'], 'subscription names are not supported yet by Ferry; ignored');
    const type = types[0];
    if (types.length !== 1 || type === undefined) {
      ctx.problem(p, 'must have exactly one of image, git or chart (besides an optional name)');
    } else if (type === 'image') {
      const img = mapAt(ctx, o.image, [...p, 'image'], 'the image subscription');
      if (!img) return;
      const sub = parseImageSub(ctx, img, [...p, 'image']);
      const key = normalizeImage(sub.repoURL);
      const first = seen.get(key);
      if (sub.repoURL && first !== undefined) {
        const at = pointer(['spec', 'subscriptions', first]);
        ctx.problem([...p, 'image', 'repoURL'], `subscription for image repository already exists at ${at}`);
      }
      seen.set(key, first ?? i);
      subscriptions.push({ image: sub });
    } else if (type === 'git') {
      const g = mapAt(ctx, o.git, [...p, 'git'], 'the git subscription');
      if (!g) return;
      const sub = parseGitSub(ctx, g, [...p, 'git']);
      // Two subscriptions of one repository would pick the same commits twice; Kargo refuses them too.
      const key = `git:${normalizeGit(sub.repoURL)}`;
      const first = seen.get(key);
      if (sub.repoURL && first !== undefined) {
        const at = pointer(['spec', 'subscriptions', first]);
        ctx.problem([...p, 'git', 'repoURL'], `subscription for git repository already exists at ${at}`);
      }
      seen.set(key, first ?? i);
      subscriptions.push({ git: sub });
    } else if (type === 'chart') {
      const c = mapAt(ctx, o.chart, [...p, 'chart'], 'the chart subscription');
      if (!c) return;
      const sub = parseChartSub(ctx, c, [...p, 'chart']);
      // As Kargo: one subscription per OCI chart, or per chart name in a classic repository.
      const http = /^https?:\/\//.test(sub.repoURL);
      const key = `chart:${normalizeChart(sub.repoURL)}${http ? `:${sub.name ?? ''}` : ''}`;
      const first = seen.get(key);
      if (sub.repoURL && first !== undefined) {
        const at = pointer(['spec', 'subscriptions', first]);
        ctx.problem(
          [...p, 'chart', 'repoURL'],
          http
            ? `subscription for chart "${sub.name ?? ''}" already exists at ${at}`
            : `subscription for chart already exists at ${at}`,
        );
      }
      seen.set(key, first ?? i);
      subscriptions.push({ chart: sub });
    } else {
      ctx.problem([...p, type], `subscription type "${type}" is not supported by Ferry`);
    }
  });
  return {
    interval,
    freightCreationPolicy: policy as Warehouse['spec']['freightCreationPolicy'],
    subscriptions,
  };
}

/** A Stage spec before upstream Stages of the v0.3 form are resolved to a Warehouse. */
export interface StageDraft {
  /** The normalised spec; for the v0.3 form `requestedFreight` is filled in later. */
  spec: Stage['spec'];
  /** Set for the v0.3 form: the Warehouse, or the upstream Stages, it subscribes to. */
  legacy?: { warehouse?: string; upstream: Array<{ name: string; path: Path }> };
}

/** Parses a Stage's spec in its current form or the v0.3 form (translated into steps). */
export function parseStageSpec(ctx: Ctx, v: unknown): StageDraft | undefined {
  const s = mapAt(ctx, v, ['spec'], 'where the Stage takes Freight from and how it is promoted');
  if (!s) return undefined;
  fields(
    ctx,
    s,
    ['spec'],
    'requestedFreight promotionTemplate verification vars subscriptions promotionMechanisms',
    {
      shard: IGNORED,
      targets: NOT_YET,
    },
  );
  const current = s.requestedFreight !== undefined || s.promotionTemplate !== undefined;
  const older = s.subscriptions !== undefined || s.promotionMechanisms !== undefined;
  if (current && older) {
    ctx.problem(
      ['spec'],
      'mixes the current form (requestedFreight, promotionTemplate) with the Kargo v0.3 form ' +
        '(subscriptions, promotionMechanisms): use one',
    );
    return undefined;
  }
  const spec: Stage['spec'] & Obj = { requestedFreight: [] };
  let legacy: StageDraft['legacy'];
  let steps: PromotionStep[] = [];
  if (older) {
    legacy = parseSubscriptions(ctx, s.subscriptions);
    steps = translateMechanisms(ctx, s.promotionMechanisms);
    ctx.warn(
      ['spec'],
      'Kargo v0.3 form (subscriptions, promotionMechanisms) translated to requestedFreight and steps',
    );
  } else {
    spec.requestedFreight = parseRequests(ctx, s.requestedFreight);
    const pt = mapAt(ctx, s.promotionTemplate, ['spec', 'promotionTemplate']);
    if (pt) fields(ctx, pt, ['spec', 'promotionTemplate'], 'spec');
    const pts = pt && mapAt(ctx, pt.spec, ['spec', 'promotionTemplate', 'spec'], 'the promotion steps');
    if (pts) {
      fields(ctx, pts, ['spec', 'promotionTemplate', 'spec'], 'steps vars');
      steps = parseSteps(ctx, pts.steps, ['spec', 'promotionTemplate', 'spec', 'steps']);
      if (pts.vars !== undefined) {
        const vars = listAt(ctx, pts.vars, ['spec', 'promotionTemplate', 'spec', 'vars']);
        spec.promotionTemplate = { spec: { steps, vars } as { steps: PromotionStep[] } };
      }
    }
  }
  if (steps.length > 0 && !spec.promotionTemplate) spec.promotionTemplate = { spec: { steps } };
  if (s.verification !== undefined) {
    const v = mapAt(ctx, s.verification, ['spec', 'verification']);
    if (v) {
      const refs =
        listAt(ctx, v.analysisTemplates ?? [], ['spec', 'verification', 'analysisTemplates']) ?? [];
      refs.forEach((r, i) => {
        const at = ['spec', 'verification', 'analysisTemplates', i];
        const m = mapAt(ctx, r, at);
        if (m && (typeof m.name !== 'string' || m.name === '')) {
          ctx.problem([...at, 'name'], 'required: the AnalysisTemplate to run');
        }
      });
      spec.verification = { ...v, analysisTemplates: refs } as unknown as StageVerification;
    }
  }
  if (s.vars !== undefined) spec.vars = listAt(ctx, s.vars, ['spec', 'vars']);
  return legacy ? { spec, legacy } : { spec };
}

function parseRequests(ctx: Ctx, v: unknown): FreightRequest[] {
  const path = ['spec', 'requestedFreight'];
  const list = listAt(ctx, v, path);
  if (list.length === 0) ctx.problem(path, 'required: the Freight this Stage takes, and where from');
  const requests: FreightRequest[] = [];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const p = [...path, i];
    const o = mapAt(ctx, item, p);
    if (!o) return;
    fields(ctx, o, p, 'origin sources');
    const origin = mapAt(ctx, o.origin, [...p, 'origin'], 'where the Freight comes from');
    if (origin) fields(ctx, origin, [...p, 'origin'], 'kind name');
    const kind =
      origin && strAt(ctx, origin.kind, [...p, 'origin', 'kind'], 'Warehouse, the only kind of origin');
    if (kind !== undefined && kind !== 'Warehouse')
      ctx.problem([...p, 'origin', 'kind'], 'must be Warehouse');
    const name =
      origin &&
      strAt(ctx, origin.name, [...p, 'origin', 'name'], 'the Warehouse this Stage takes Freight from');
    const sp = [...p, 'sources'];
    const src = mapAt(ctx, o.sources, sp) ?? {};
    fields(ctx, src, sp, 'direct stages availabilityStrategy requiredSoakTime autoPromotionOptions');
    const availabilityStrategy = src.availabilityStrategy === 'All' ? ('All' as const) : undefined;
    if (!['All', 'OneOf', '', undefined].includes(src.availabilityStrategy as string)) {
      ctx.problem([...sp, 'availabilityStrategy'], 'must be OneOf or All');
    }
    const soak = src.requiredSoakTime;
    let requiredSoakTime: string | undefined;
    if (soak !== undefined && (typeof soak !== 'string' || !KARGO_DURATION.test(soak))) {
      ctx.problem([...sp, 'requiredSoakTime'], 'must be a duration like 30m, 1h or 1h30m');
    } else if (soak && parseGoDuration(soak) > 0) {
      requiredSoakTime = soak;
    }
    const apo = mapAt(ctx, src.autoPromotionOptions, [...sp, 'autoPromotionOptions']);
    if (apo) fields(ctx, apo, [...sp, 'autoPromotionOptions'], 'selectionPolicy');
    const policyPath = [...sp, 'autoPromotionOptions', 'selectionPolicy'];
    const policy = apo?.selectionPolicy;
    if (policy !== undefined && policy !== '' && policy !== 'NewestFreight' && policy !== 'MatchUpstream')
      ctx.problem(policyPath, 'must be NewestFreight or MatchUpstream');
    const direct = boolAt(ctx, src.direct, [...sp, 'direct'], false);
    const stages = stringsAt(ctx, src.stages, [...sp, 'stages']);
    // Kargo's Stage webhook: MatchUpstream follows exactly one upstream Stage, never the Warehouse.
    if (policy === 'MatchUpstream') {
      if (direct)
        ctx.problem(
          policyPath,
          'MatchUpstream cannot be used with direct: true (Freight straight from the Warehouse)',
        );
      if (stages.length !== 1)
        ctx.problem(
          policyPath,
          `MatchUpstream needs exactly one upstream Stage in stages (found ${stages.length})`,
        );
    }
    if (!direct && stages.length === 0)
      ctx.problem(sp, 'needs direct: true or at least one upstream Stage in stages');
    if (name === undefined) return;
    if (seen.has(name))
      ctx.problem([...p, 'origin'], `Freight from Warehouse "${name}" is requested more than once`);
    seen.add(name);
    requests.push({
      origin: { kind: 'Warehouse', name },
      sources: {
        direct,
        stages,
        ...(availabilityStrategy && stages.length > 0 ? { availabilityStrategy } : {}),
        ...(requiredSoakTime && stages.length > 0 ? { requiredSoakTime } : {}),
        ...(policy === 'MatchUpstream' || policy === 'NewestFreight'
          ? { autoPromotionOptions: { selectionPolicy: policy } }
          : {}),
      },
    });
  });
  return requests;
}

/**
 * Reads a list of promotion steps. Stage templates (`allowTasks`) may hold `task` steps, which a
 * Promotion replaces by the task's steps; a PromotionTask's own steps cannot, as in Kargo.
 */
export function parseSteps(ctx: Ctx, v: unknown, path: Path, allowTasks = true): PromotionStep[] {
  const steps: PromotionStep[] = [];
  const aliases = new Map<string, number>();
  listAt(ctx, v, path).forEach((item, i) => {
    const p = [...path, i];
    const o = mapAt(ctx, item, p);
    if (!o) return;
    fields(
      ctx,
      o,
      p,
      `uses as if continueOnError retry vars config${allowTasks ? ' task' : ''}`,
      allowTasks ? {} : { task: { problem: 'a PromotionTask step cannot itself use a task' } },
    );
    const task = allowTasks ? parseTaskReference(ctx, o.task, [...p, 'task']) : undefined;
    if (task && o.uses !== undefined) ctx.problem([...p, 'uses'], 'give either uses or task, not both');
    if (task && o.config !== undefined)
      ctx.problem([...p, 'config'], 'a task step takes no config: give the task its inputs in vars');
    const uses = task
      ? ''
      : strAt(
          ctx,
          o.uses,
          [...p, 'uses'],
          o.task === undefined ? 'the step to run, such as git-clone' : undefined,
        );
    const as = strAt(ctx, o.as, [...p, 'as']);
    const alias = as?.trim();
    if (alias) {
      const first = aliases.get(alias);
      if (first !== undefined)
        ctx.problem([...p, 'as'], `step alias duplicates that of ${pointer([...path, first])}`);
      else aliases.set(alias, i);
      if (/^(step|task)-\d+$/.test(alias)) ctx.problem([...p, 'as'], 'step alias is reserved');
      if (alias.includes('::')) ctx.problem([...p, 'as'], 'step alias must not contain "::"');
    }
    const config = mapAt(ctx, o.config, [...p, 'config']);
    if (uses === undefined) return;
    // Unknown-to-Ferry step fields (if, continueOnError, retry, vars) are kept as they are.
    const step: PromotionStep & Obj = { uses };
    if (as !== undefined) step.as = as;
    for (const k of ['if', 'continueOnError', 'retry', 'vars']) if (o[k] !== undefined) step[k] = o[k];
    if (config && !task) step.config = config;
    if (task) step.task = task;
    steps.push(step);
  });
  return steps;
}

/** A step's `task: {name, kind?}`; undefined when absent or wrong (the problem is reported). */
function parseTaskReference(ctx: Ctx, v: unknown, path: Path): PromotionTaskReference | undefined {
  const o = mapAt(ctx, v, path);
  if (!o) return undefined;
  fields(ctx, o, path, 'name kind');
  const name = strAt(ctx, o.name, [...path, 'name'], 'the name of the PromotionTask');
  const kind = strAt(ctx, o.kind, [...path, 'kind']);
  if (kind !== undefined && kind !== 'PromotionTask' && kind !== 'ClusterPromotionTask') {
    ctx.problem([...path, 'kind'], 'must be PromotionTask or ClusterPromotionTask');
    return undefined;
  }
  if (name === undefined) return undefined;
  return kind ? { name, kind } : { name };
}

function parseSubscriptions(ctx: Ctx, v: unknown): StageDraft['legacy'] {
  const path = ['spec', 'subscriptions'];
  const o = mapAt(ctx, v, path, 'the Warehouse or upstream Stages this Stage takes Freight from') ?? {};
  fields(ctx, o, path, 'warehouse upstreamStages');
  const warehouse = strAt(ctx, o.warehouse, [...path, 'warehouse']) || undefined;
  const upstream: Array<{ name: string; path: Path }> = [];
  listAt(ctx, o.upstreamStages, [...path, 'upstreamStages']).forEach((item, i) => {
    const p = [...path, 'upstreamStages', i];
    const u = mapAt(ctx, item, p);
    if (u) fields(ctx, u, p, 'name');
    const name = u && strAt(ctx, u.name, [...p, 'name'], 'the upstream Stage');
    if (name !== undefined) upstream.push({ name, path: [...p, 'name'] });
  });
  if (warehouse !== undefined && o.upstreamStages !== undefined) {
    ctx.problem(path, 'give either warehouse or upstreamStages, not both');
  } else if (isMap(v) && warehouse === undefined && o.upstreamStages === undefined) {
    ctx.problem(path, 'required: warehouse or upstreamStages');
  }
  return warehouse !== undefined ? { warehouse, upstream: [] } : { upstream };
}

/** Turns v0.3 `promotionMechanisms` into the steps Kargo's current form would spell out. */
function translateMechanisms(ctx: Ctx, v: unknown): PromotionStep[] {
  const path = ['spec', 'promotionMechanisms'];
  const o = mapAt(ctx, v, path) ?? {};
  fields(ctx, o, path, 'gitRepoUpdates argoCDAppUpdates');
  const steps: PromotionStep[] = [];
  listAt(ctx, o.gitRepoUpdates, [...path, 'gitRepoUpdates']).forEach((item, i) => {
    const p = [...path, 'gitRepoUpdates', i];
    const u = mapAt(ctx, item, p);
    if (!u) return;
    fields(ctx, u, p, 'repoURL readBranch writeBranch kustomize', {
      pullRequest: NOT_YET,
      render: NOT_YET,
      helm: NOT_YET,
    });
    const repoURL = strAt(ctx, u.repoURL, [...p, 'repoURL'], 'the Git repository to update');
    const writeBranch = strAt(ctx, u.writeBranch, [...p, 'writeBranch'], 'the branch to commit to');
    const readBranch = strAt(ctx, u.readBranch, [...p, 'readBranch']);
    const needed = u.render === undefined && u.helm === undefined ? 'kustomize images to set' : undefined;
    const k = mapAt(ctx, u.kustomize, [...p, 'kustomize'], needed);
    if (k) fields(ctx, k, [...p, 'kustomize'], 'images');
    const images = listAt(ctx, k?.images, [...p, 'kustomize', 'images']);
    if (k && images.length === 0) ctx.problem([...p, 'kustomize', 'images'], 'required: at least one image');
    const dir = `./repo-${i}`;
    const edits: PromotionStep[] = [];
    images.forEach((img, j) => {
      const ip = [...p, 'kustomize', 'images', j];
      const io = mapAt(ctx, img, ip);
      if (!io) return;
      fields(ctx, io, ip, 'image path useDigest');
      const image = strAt(ctx, io.image, [...ip, 'image'], 'the image to set');
      const at = strAt(ctx, io.path, [...ip, 'path'], 'the directory of the kustomization');
      if (boolAt(ctx, io.useDigest, [...ip, 'useDigest'], false))
        ctx.problem([...ip, 'useDigest'], 'not supported yet by Ferry');
      if (at !== undefined && (at.startsWith('/') || at.split('/').includes('..'))) {
        ctx.problem([...ip, 'path'], 'must be a relative path inside the repository');
      }
      if (image === undefined || at === undefined) return;
      const config = { path: `./${posix.join(`repo-${i}`, at)}`, images: [{ image }] };
      edits.push({ uses: 'kustomize-set-image', as: `update-image-${i}-${j}`, config });
    });
    if (repoURL === undefined || writeBranch === undefined) return;
    steps.push(
      {
        uses: 'git-clone',
        as: `clone-${i}`,
        config: { repoURL, checkout: [{ branch: readBranch || writeBranch, path: dir }] },
      },
      ...edits,
      {
        uses: 'git-commit',
        as: `commit-${i}`,
        config: { path: dir, messageFromSteps: edits.map((e) => e.as) },
      },
      { uses: 'git-push', as: `push-${i}`, config: { path: dir, targetBranch: writeBranch } },
    );
  });
  const apps: Array<{ name: string; namespace: string }> = [];
  listAt(ctx, o.argoCDAppUpdates, [...path, 'argoCDAppUpdates']).forEach((item, i) => {
    const p = [...path, 'argoCDAppUpdates', i];
    const a = mapAt(ctx, item, p);
    if (!a) return;
    fields(ctx, a, p, 'appName appNamespace', { sourceUpdates: NOT_YET });
    const name = strAt(ctx, a.appName, [...p, 'appName'], 'the Argo CD Application to sync');
    const namespace = strAt(ctx, a.appNamespace, [...p, 'appNamespace']) || 'argocd';
    if (name !== undefined) apps.push({ name, namespace });
  });
  if (apps.length > 0) steps.push({ uses: 'argocd-update', as: 'argocd-update', config: { apps } });
  return steps;
}
