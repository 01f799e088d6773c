import { type AnalysisTemplate, parseAnalysisTemplate } from '@ferry/analysis';
import {
  ValidationError as ContractValidationError,
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  type FreightRequest,
  KARGO_API_VERSION,
  type ObjectMeta,
  type Problem,
  type Project,
  type ProjectConfig,
  type PromotionTask,
  type Stage,
  ValidationError,
  type Warehouse,
} from '@ferry/contracts';
import {
  type Document,
  isNode,
  isScalar,
  isSeq,
  isMap as isYamlMap,
  LineCounter,
  parseAllDocuments,
} from 'yaml';
import { type ParsedSecret, readSecret } from './manifest-secrets.ts';
import { readPromotionTask } from './manifest-tasks.ts';
import { parseWebhookReceivers } from './manifest-webhooks.ts';
import { parsePromotionWindows } from './manifest-windows.ts';
import {
  type Ctx,
  fields,
  IGNORED,
  isMap,
  mapAt,
  type Obj,
  type Path,
  pointer,
  strAt,
  stringMapAt,
} from './read.ts';
import { parsePolicies, parseStageSpec, parseWarehouseSpec, type StageDraft } from './specs.ts';

/** How `parseManifests` decides which Project a resource belongs to and resolves v0.3 upstream Stages. */
export interface ParseOptions {
  /** The Project for resources without `metadata.namespace` (`ferry apply -n`); empty = none. */
  defaultProject?: string;
  /** Projects that already exist; a resource may belong to one of these or to one declared in the file. */
  knownProjects: ReadonlySet<string>;
  /** An already stored, normalised Stage; used to resolve v0.3 `upstreamStages` not in the file. */
  lookupStage?: (project: string, name: string) => Stage | undefined;
}

/** The resource kinds a manifest file yields. */
export type KargoResource = Project | ProjectConfig | Warehouse | Stage;

/** What a valid manifest file holds: normalised resources in document order, and warnings. */
export interface ParseResult {
  /** Each resource with the Project it belongs to (a Project belongs to itself). */
  resources: Array<{ project: string; resource: KargoResource }>;
  /** Things accepted but worth telling the user (deprecated fields, skipped documents), in document order. */
  warnings: string[];
  /** The file's `v1` Secrets, decoded; never part of `resources`, so they are never printed. */
  secrets: ParsedSecret[];
  /**
   * The file's `argoproj.io/v1alpha1` AnalysisTemplates (with their Project) and
   * ClusterAnalysisTemplates (no Project), checked; Stages' `verification` runs them.
   */
  analysisTemplates: ParsedAnalysisTemplate[];
  /** The file's PromotionTasks (with their Project) and ClusterPromotionTasks (no Project), checked. */
  promotionTasks: PromotionTask[];
}

/** An AnalysisTemplate or ClusterAnalysisTemplate read from a manifest. */
export interface ParsedAnalysisTemplate {
  /** The Project of an AnalysisTemplate; empty for a ClusterAnalysisTemplate. */
  project: string;
  template: AnalysisTemplate;
}

/** The label that makes a v1 Namespace a Kargo Project. */
export const PROJECT_LABEL = 'kargo.akuity.io/project';
/** Annotation set on a Stage translated from Kargo v0.3's `subscriptions`/`promotionMechanisms`. */
export const TRANSLATED_ANNOTATION = 'ferry.dev/translated-from';

interface Notes {
  problems: Array<{ doc: number; seq: number; problem: Problem }>;
  warnings: Array<{ doc: number; seq: number; text: string }>;
  /** `v1` Secrets, with where to report that their Project does not exist. */
  secrets: Array<{ ctx: DocContext; secret: ParsedSecret }>;
  /** AnalysisTemplates, with where to report that their Project does not exist. */
  analysisTemplates: Array<{ ctx: DocContext; parsed: ParsedAnalysisTemplate }>;
  /** PromotionTasks, with where to report that their Project does not exist or a duplicate. */
  promotionTasks: Array<{ ctx: DocContext; task: PromotionTask }>;
}

/** Where problems of one document go, with its number, kind, name and line numbers in the text. */
class DocContext implements Ctx {
  kind: string | undefined;
  name: string | undefined;
  problems = 0;
  readonly #n: number;
  readonly #doc: Document.Parsed;
  readonly #lines: LineCounter;
  readonly #notes: Notes;

  constructor(n: number, doc: Document.Parsed, lines: LineCounter, notes: Notes) {
    this.#n = n;
    this.#doc = doc;
    this.#lines = lines;
    this.#notes = notes;
  }

  /** The line of the deepest node of `path` present in the document (a key's line for mapping values). */
  #line(path: Path): number {
    let node: unknown = this.#doc.contents;
    let offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
    for (const seg of path) {
      if (isYamlMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
        if (!pair) break;
        offset = isNode(pair.key) ? (pair.key.range?.[0] ?? offset) : offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item: unknown = node.items[seg];
        if (!isNode(item)) break;
        node = item;
        offset = item.range?.[0] ?? offset;
      } else break;
    }
    return this.#lines.linePos(offset).line;
  }

  /** `document 3 (Stage "uat", line 41): /spec/...` */
  where(path: Path): string {
    const what = this.kind ? `${this.kind}${this.name ? ` "${this.name}"` : ''}, ` : '';
    return `document ${this.#n} (${what}line ${this.#line(path)})${path.length > 0 ? `: ${pointer(path)}` : ''}`;
  }

  problem(path: Path, message: string): void {
    this.problems++;
    const seq = this.#notes.problems.length;
    this.#notes.problems.push({ doc: this.#n, seq, problem: { path: this.where(path), message } });
  }

  warn(path: Path, message: string): void {
    this.#notes.warnings.push({
      doc: this.#n,
      seq: this.#notes.warnings.length,
      text: `${this.where(path)}: ${message}`,
    });
  }
}

interface Entry {
  doc: number;
  ctx: DocContext;
  kind: KargoResource['kind'];
  name: string;
  project: string | undefined;
  /** Where to report that the project does not exist. */
  projectPath: Path;
  resource: KargoResource;
  /** The document had no problem of its own. */
  ok: boolean;
  /** A ProjectConfig made from an older Project's `spec.promotionPolicies`. */
  derived?: boolean;
  legacy?: StageDraft['legacy'];
}

function readMeta(ctx: Ctx, raw: Obj, kind: string, label: boolean) {
  const m = mapAt(ctx, raw.metadata, ['metadata'], `the name of the ${kind}`) ?? {};
  const name = strAt(ctx, m.name, ['metadata', 'name'], `the name of the ${kind}`) ?? '';
  const [re, max] = label ? [DNS1123_LABEL, 63] : [DNS1123_SUBDOMAIN, 253];
  if (name && (!re.test(name) || name.length > max)) {
    ctx.problem(
      ['metadata', 'name'],
      `must be at most ${max} lowercase letters, digits${label ? ' or "-"' : ', "-" or "."'}, starting and ending with a letter or digit`,
    );
  }
  if (m.generateName !== undefined)
    ctx.problem(['metadata', 'generateName'], 'not supported: give metadata.name');
  return {
    name,
    namespace: strAt(ctx, m.namespace, ['metadata', 'namespace']) || undefined,
    labels: stringMapAt(ctx, m.labels, ['metadata', 'labels']),
    annotations: stringMapAt(ctx, m.annotations, ['metadata', 'annotations']),
  };
}

function projectEntries(ctx: DocContext, doc: number, raw: Obj, fromNamespace: boolean): Entry[] {
  if (!fromNamespace) fields(ctx, raw, [], 'apiVersion kind metadata spec status');
  const m = readMeta(ctx, raw, 'Project', true);
  const metadata = { name: m.name, labels: m.labels, annotations: m.annotations };
  const base = { doc, ctx, name: m.name, project: m.name, projectPath: [], ok: true };
  const entries: Entry[] = [
    {
      ...base,
      kind: 'Project',
      resource: { apiVersion: KARGO_API_VERSION, kind: 'Project', metadata, spec: {} },
    },
  ];
  const spec = fromNamespace ? undefined : mapAt(ctx, raw.spec, ['spec']);
  if (spec) fields(ctx, spec, ['spec'], 'promotionPolicies');
  if (spec?.promotionPolicies !== undefined) {
    const promotionPolicies = parsePolicies(ctx, spec.promotionPolicies, ['spec', 'promotionPolicies']);
    ctx.warn(['spec', 'promotionPolicies'], `is deprecated: Ferry makes ProjectConfig "${m.name}" from it`);
    const cfgMeta = { name: m.name, namespace: m.name, labels: {}, annotations: {} };
    const resource: ProjectConfig = {
      apiVersion: KARGO_API_VERSION,
      kind: 'ProjectConfig',
      metadata: cfgMeta,
      spec: { promotionPolicies },
    };
    entries.push({ ...base, kind: 'ProjectConfig', resource, derived: true });
  }
  return entries;
}

function namespacedEntry(
  ctx: DocContext,
  doc: number,
  raw: Obj,
  kind: 'ProjectConfig' | 'Warehouse' | 'Stage',
  options: ParseOptions,
): Entry {
  fields(ctx, raw, [], 'apiVersion kind metadata spec status');
  const m = readMeta(ctx, raw, kind, false);
  const def = options.defaultProject || undefined;
  const nsPath = ['metadata', 'namespace'];
  if (m.namespace !== undefined && def !== undefined && m.namespace !== def) {
    ctx.problem(nsPath, `is "${m.namespace}" but the project given is "${def}"`);
  }
  const project = m.namespace ?? def;
  if (project === undefined) ctx.problem(nsPath, `required: the Project this ${kind} belongs to`);
  else if (!DNS1123_LABEL.test(project)) ctx.problem(nsPath, 'must be a Project name');
  const metadata: ObjectMeta = {
    name: m.name,
    namespace: project ?? '',
    labels: m.labels,
    annotations: m.annotations,
  };
  const base = { doc, ctx, kind, name: m.name, project, projectPath: m.namespace ? nsPath : [], ok: true };
  if (kind === 'ProjectConfig') {
    if (project && m.name && m.name !== project) {
      ctx.problem(['metadata', 'name'], `must be the name of its Project ("${project}")`);
    }
    const spec = mapAt(ctx, raw.spec, ['spec']) ?? {};
    fields(ctx, spec, ['spec'], 'promotionPolicies webhookReceivers promotionWindows', {
      freightLinks: IGNORED,
      stageLinks: IGNORED,
    });
    const promotionWindows = parsePromotionWindows(ctx, spec.promotionWindows, ['spec', 'promotionWindows']);
    const promotionPolicies = parsePolicies(ctx, spec.promotionPolicies, ['spec', 'promotionPolicies']);
    const webhookReceivers = parseWebhookReceivers(ctx, spec.webhookReceivers, ['spec', 'webhookReceivers']);
    return {
      ...base,
      resource: {
        apiVersion: KARGO_API_VERSION,
        kind,
        metadata,
        spec: {
          promotionPolicies,
          ...(webhookReceivers.length > 0 ? { webhookReceivers } : {}),
          ...(promotionWindows.length > 0 ? { promotionWindows } : {}),
        },
      },
    };
  }
  if (kind === 'Warehouse') {
    const spec = parseWarehouseSpec(ctx, raw.spec) ?? {
      interval: '5m0s',
      freightCreationPolicy: 'Automatic',
      subscriptions: [],
    };
    return { ...base, resource: { apiVersion: KARGO_API_VERSION, kind, metadata, spec } };
  }
  const draft = parseStageSpec(ctx, raw.spec);
  if (draft?.legacy)
    metadata.annotations = { ...metadata.annotations, [TRANSLATED_ANNOTATION]: 'promotionMechanisms' };
  const resource: Stage = {
    apiVersion: KARGO_API_VERSION,
    kind,
    metadata,
    spec: draft?.spec ?? { requestedFreight: [] },
  };
  return draft?.legacy ? { ...base, resource, legacy: draft.legacy } : { ...base, resource };
}

function readDocument(
  doc: Document.Parsed,
  n: number,
  lines: LineCounter,
  notes: Notes,
  options: ParseOptions,
): Entry[] {
  const ctx = new DocContext(n, doc, lines, notes);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const { line, col } = lines.linePos(e.pos[0]);
      const problem = {
        path: `document ${n} (line ${line}, column ${col})`,
        message: `YAML syntax error: ${e.message}`,
      };
      notes.problems.push({ doc: n, seq: notes.problems.length, problem });
    }
    return [];
  }
  if (doc.contents === null) return [];
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (e) {
    ctx.problem([], `cannot read the document: ${e instanceof Error ? e.message : String(e)}`);
    return [];
  }
  if (raw === null || raw === undefined) return [];
  if (!isMap(raw)) {
    ctx.problem([], 'must be a mapping with apiVersion, kind and metadata');
    return [];
  }
  ctx.kind = typeof raw.kind === 'string' ? raw.kind : undefined;
  ctx.name = isMap(raw.metadata) && typeof raw.metadata.name === 'string' ? raw.metadata.name : undefined;
  const apiVersion = strAt(
    ctx,
    raw.apiVersion,
    ['apiVersion'],
    'the API version, such as kargo.akuity.io/v1alpha1',
  );
  const kind = strAt(ctx, raw.kind, ['kind'], 'the kind of resource, such as Stage');
  if (apiVersion === undefined || kind === undefined) return [];
  const done = (entries: Entry[]) => entries.map((e) => ({ ...e, ok: ctx.problems === 0 }));
  if (apiVersion === 'v1' && kind === 'Secret') {
    const secret = readSecret(ctx, raw, options.defaultProject || undefined);
    if (secret) notes.secrets.push({ ctx, secret });
    return [];
  }
  if (
    apiVersion === 'argoproj.io/v1alpha1' &&
    (kind === 'AnalysisTemplate' || kind === 'ClusterAnalysisTemplate')
  ) {
    try {
      const template = parseAnalysisTemplate(raw, `document ${n}`);
      const project = kind === 'AnalysisTemplate' ? template.namespace || options.defaultProject || '' : '';
      if (kind === 'AnalysisTemplate' && !project) {
        ctx.problem(['metadata', 'namespace'], 'required: the Project this AnalysisTemplate belongs to');
      }
      notes.analysisTemplates.push({ ctx, parsed: { project, template } });
    } catch (e) {
      if (!(e instanceof ContractValidationError)) throw e;
      for (const p of e.problems) {
        const path = p.path
          .split('/')
          .filter(Boolean)
          .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
        ctx.problem(path, p.message);
      }
    }
    return [];
  }
  if (apiVersion === 'v1' && kind === 'Namespace') {
    const labels = isMap(raw.metadata) && isMap(raw.metadata.labels) ? raw.metadata.labels : {};
    if (labels[PROJECT_LABEL] === 'true') return done(projectEntries(ctx, n, raw, true));
    ctx.warn([], `a Namespace without the label ${PROJECT_LABEL}: "true" is not a Project; skipped`);
    return [];
  }
  if (!apiVersion.startsWith('kargo.akuity.io/')) {
    if (kind === 'List') ctx.problem(['kind'], 'List is not supported: write one resource per document');
    else ctx.warn([], `${apiVersion} ${kind} is not a Kargo resource; skipped`);
    return [];
  }
  if (apiVersion !== KARGO_API_VERSION) {
    ctx.problem(['apiVersion'], `must be ${KARGO_API_VERSION}`);
    return [];
  }
  switch (kind) {
    case 'Project':
      return done(projectEntries(ctx, n, raw, false));
    case 'ProjectConfig':
    case 'Warehouse':
    case 'Stage':
      return done([namespacedEntry(ctx, n, raw, kind, options)]);
    case 'Freight':
    case 'Promotion':
      ctx.problem(['kind'], `${kind} is not supported yet by Ferry`);
      return [];
    case 'PromotionTask':
    case 'ClusterPromotionTask': {
      const task = readPromotionTask(ctx, raw, kind, options.defaultProject || undefined);
      if (task) notes.promotionTasks.push({ ctx, task });
      return [];
    }
    case 'ClusterConfig':
      ctx.warn([], `${kind} is not supported yet by Ferry; skipped`);
      return [];
    default:
      ctx.problem(['kind'], `unknown kind "${kind}" in ${KARGO_API_VERSION}`);
      return [];
  }
}

/** Fills in `requestedFreight` of v0.3 Stages, following upstream Stages to the Warehouse they take from. */
function resolveUpstreams(entries: Entry[], options: ParseOptions): void {
  const stages = new Map<string, Entry>();
  for (const e of entries) {
    const key = `${e.project}/${e.name}`;
    if (e.kind === 'Stage' && !stages.has(key)) stages.set(key, e);
  }
  const resolving = new Set<Entry>();
  const resolved = new Map<Entry, FreightRequest[] | undefined>();
  const requestsOf = (e: Entry): FreightRequest[] | undefined => {
    const stage = e.resource as Stage;
    if (!e.legacy) return e.ok ? stage.spec.requestedFreight : undefined;
    if (resolved.has(e)) return resolved.get(e);
    let result: FreightRequest[] | undefined;
    if (e.legacy.warehouse !== undefined) {
      result = [
        { origin: { kind: 'Warehouse', name: e.legacy.warehouse }, sources: { direct: true, stages: [] } },
      ];
    } else if (e.legacy.upstream.length > 0 && e.project !== undefined) {
      resolving.add(e);
      const byOrigin = new Map<string, string[]>();
      let ok = true;
      for (const u of e.legacy.upstream) {
        const up = stages.get(`${e.project}/${u.name}`);
        if (up && resolving.has(up)) {
          e.ctx.problem(
            u.path,
            `upstream Stage "${u.name}" leads back to Stage "${e.name}": Stages must not form a cycle`,
          );
          ok = false;
          continue;
        }
        const requests = up
          ? requestsOf(up)
          : options.lookupStage?.(e.project, u.name)?.spec.requestedFreight;
        if (!up && !requests) {
          e.ctx.problem(
            u.path,
            `upstream Stage "${u.name}" not found: define it in this file or apply it first to project "${e.project}"`,
          );
        } else if (requests?.length === 0) {
          e.ctx.problem(
            u.path,
            `upstream Stage "${u.name}" takes no Freight, so there is no Warehouse to follow`,
          );
        }
        if (!requests?.length) {
          ok = false;
          continue;
        }
        for (const r of requests) {
          const list = byOrigin.get(r.origin.name) ?? [];
          if (!list.includes(u.name)) list.push(u.name);
          byOrigin.set(r.origin.name, list);
        }
      }
      resolving.delete(e);
      if (ok) {
        result = [...byOrigin].map(([name, upstream]) => ({
          origin: { kind: 'Warehouse' as const, name },
          sources: { direct: false, stages: upstream },
        }));
      }
    }
    resolved.set(e, result);
    if (result) stage.spec.requestedFreight = result;
    return result;
  };
  for (const e of entries) if (e.legacy) requestsOf(e);
}

/** Reports resources of unknown Projects and resources defined twice. */
function checkProjects(entries: Entry[], options: ParseOptions): void {
  const declared = new Set(entries.filter((e) => e.kind === 'Project').map((e) => e.name));
  const seen = new Map<string, Entry>();
  for (const e of entries) {
    const p = e.project;
    if (e.kind !== 'Project' && p && !declared.has(p) && !options.knownProjects.has(p)) {
      e.ctx.problem(
        e.projectPath,
        `project "${p}" does not exist: apply its Project first or in the same file`,
      );
    }
    if (!e.name || !p) continue;
    const key = `${e.kind}/${p}/${e.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, e);
      continue;
    }
    const from = (x: Entry) => `document ${x.doc}${x.derived ? ' (its spec.promotionPolicies)' : ''}`;
    e.ctx.problem(
      e.derived ? ['spec', 'promotionPolicies'] : ['metadata', 'name'],
      `${e.kind} "${e.name}" of project "${p}" is defined twice: also in ${from(first)}`,
    );
  }
}

/** Reports Secrets of unknown Projects and Secrets defined twice. */
function checkSecretProjects(notes: Notes, entries: Entry[], options: ParseOptions): void {
  const declared = new Set(entries.filter((e) => e.kind === 'Project').map((e) => e.name));
  const seen = new Set<string>();
  for (const { ctx, secret } of notes.secrets) {
    const p = secret.project;
    if (!declared.has(p) && !options.knownProjects.has(p)) {
      ctx.problem(
        ['metadata', 'namespace'],
        `project "${p}" does not exist: apply its Project first or in the same file`,
      );
    }
    const key = `${p}/${secret.name}`;
    if (seen.has(key)) {
      ctx.problem(['metadata', 'name'], `Secret "${secret.name}" of project "${p}" is defined twice`);
    }
    seen.add(key);
  }
}

/**
 * Reads a multi-document Kargo YAML file (`ferry apply -f FILE`) and returns its Projects,
 * ProjectConfigs, Warehouses and Stages normalised (defaults filled in, older forms translated), or
 * throws one ValidationError (`FERRY_ERR_BAD_MANIFEST`) listing every problem in the file, each with a
 * path such as `document 3 (Stage "uat", line 41): /spec/requestedFreight/0/origin/name`. Nothing is
 * returned when any problem exists. Documents that are not Kargo resources are skipped with a warning.
 */
export function parseManifests(text: string, options: ParseOptions): ParseResult {
  const lines = new LineCounter();
  // Kubernetes' YAML reader (go-yaml) honours `<<` merge keys, so Kargo manifests may use them.
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const notes: Notes = { problems: [], warnings: [], secrets: [], analysisTemplates: [], promotionTasks: [] };
  const entries = docs.flatMap((doc, i) => readDocument(doc, i + 1, lines, notes, options));
  resolveUpstreams(entries, options);
  checkProjects(entries, options);
  checkSecretProjects(notes, entries, options);
  const declared = new Set(entries.filter((e) => e.kind === 'Project').map((e) => e.name));
  for (const { ctx, parsed } of notes.analysisTemplates) {
    if (parsed.project && !declared.has(parsed.project) && !options.knownProjects.has(parsed.project)) {
      ctx.problem(
        ['metadata', 'namespace'],
        `project "${parsed.project}" does not exist: apply its Project first or in the same file`,
      );
    }
  }
  const seenTasks = new Set<string>();
  for (const { ctx, task } of notes.promotionTasks) {
    if (task.project && !declared.has(task.project) && !options.knownProjects.has(task.project)) {
      ctx.problem(
        ['metadata', 'namespace'],
        `project "${task.project}" does not exist: apply its Project first or in the same file`,
      );
    }
    const key = `${task.kind}/${task.project}/${task.name}`;
    if (task.name && seenTasks.has(key)) {
      const of = task.project ? ` of project "${task.project}"` : '';
      ctx.problem(['metadata', 'name'], `${task.kind} "${task.name}"${of} is defined twice`);
    }
    seenTasks.add(key);
  }
  const order = (a: { doc: number; seq: number }, b: { doc: number; seq: number }) =>
    a.doc - b.doc || a.seq - b.seq;
  if (notes.problems.length > 0) {
    const problems = notes.problems.sort(order).map((p) => p.problem);
    throw new ValidationError('the manifests are invalid', problems, 'FERRY_ERR_BAD_MANIFEST');
  }
  return {
    resources: entries.map((e) => ({ project: e.project ?? '', resource: e.resource })),
    warnings: notes.warnings.sort(order).map((w) => w.text),
    secrets: notes.secrets.map((s) => s.secret),
    analysisTemplates: notes.analysisTemplates.map((a) => a.parsed),
    promotionTasks: notes.promotionTasks.map((t) => t.task),
  };
}
