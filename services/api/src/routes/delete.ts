/**
 * Deleting resources (`ferry delete`): one resource by its path, a whole Project, or every document
 * of a manifest file as `kubectl delete -f` does. Ferry's rules (docs/architecture.md, "Deleting
 * resources"): a Warehouse's Freight stays; Freight a Stage runs, or an unfinished Promotion takes,
 * cannot be deleted; a Promotion must be finished; a Stage or Project with a Running Promotion needs
 * `force`. Each delete removes every key naming the resource and publishes DefinitionsDeleted.
 */
import { createHash } from 'node:crypto';
import { type ErrorCode, FerryError, type Problem, ValidationError } from '@ferry/contracts';
import { SecretStore } from '@ferry/store';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { parseAllDocuments } from 'yaml';
import type { ApiDeps } from '../app.ts';
import {
  ANONYMOUS,
  hasRole,
  headerUser,
  isSystemAdmin,
  principalOf,
  setAuditProjects,
} from '../auth/index.ts';
import { NamedParams, ProjectParams } from './schemas.ts';

/** The kinds `ferry delete` knows, in the order a file's documents are deleted (a Project last). */
export const DeletableKinds = [
  'Promotion',
  'Freight',
  'Stage',
  'Warehouse',
  'PromotionTask',
  'AnalysisTemplate',
  'Secret',
  'ProjectConfig',
  'Project',
] as const;
/** A kind `ferry delete` knows. */
export type DeletableKind = (typeof DeletableKinds)[number];

/** What deleting one resource did: `kubectl delete`'s outcomes, plus `refused` with the reason. */
export interface DeleteResult {
  /** Kargo's kind, e.g. `Stage`. */
  kind: DeletableKind;
  /** The Project; for a Project, its own name. */
  project: string;
  /** The resource's name (a Freight's id when it was named by alias). */
  name: string;
  /** `deleted`, `not found` (nothing to delete), or `refused` (see `code` and `message`). */
  outcome: 'deleted' | 'not found' | 'refused';
  /** The error code of a `not found` or `refused` outcome. */
  code?: ErrorCode;
  /** Why, for `not found` and `refused`. */
  message?: string;
}

/** One path segment per kind of the per-resource route, and its not-found code. */
const ROUTES: ReadonlyArray<{ segment: string; kind: DeletableKind; notFound: ErrorCode }> = [
  { segment: 'warehouses', kind: 'Warehouse', notFound: 'FERRY_ERR_WAREHOUSE_NOT_FOUND' },
  { segment: 'stages', kind: 'Stage', notFound: 'FERRY_ERR_STAGE_NOT_FOUND' },
  { segment: 'freight', kind: 'Freight', notFound: 'FERRY_ERR_FREIGHT_NOT_FOUND' },
  { segment: 'promotions', kind: 'Promotion', notFound: 'FERRY_ERR_PROMOTION_NOT_FOUND' },
  { segment: 'promotiontasks', kind: 'PromotionTask', notFound: 'FERRY_ERR_RESOURCE_NOT_FOUND' },
  { segment: 'analysistemplates', kind: 'AnalysisTemplate', notFound: 'FERRY_ERR_RESOURCE_NOT_FOUND' },
  { segment: 'secrets', kind: 'Secret', notFound: 'FERRY_ERR_RESOURCE_NOT_FOUND' },
];

const NOT_FOUND: Readonly<Record<DeletableKind, ErrorCode>> = {
  ...(Object.fromEntries(ROUTES.map((r) => [r.kind, r.notFound])) as Record<DeletableKind, ErrorCode>),
  ProjectConfig: 'FERRY_ERR_RESOURCE_NOT_FOUND',
  Project: 'FERRY_ERR_PROJECT_NOT_FOUND',
};

const ForceQuery = {
  type: 'object',
  properties: {
    force: {
      type: 'boolean',
      description: 'delete even while a Promotion is Running (it is aborted); Stages and Projects only',
    },
  },
  additionalProperties: false,
} as const;

const ResultSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string' },
    project: { type: 'string' },
    name: { type: 'string' },
    outcome: { type: 'string', enum: ['deleted', 'not found', 'refused'] },
    code: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['kind', 'project', 'name', 'outcome'],
} as const;

const ManifestDeleteBody = {
  type: 'object',
  properties: {
    manifests: { type: 'string', minLength: 1, description: 'the text of a multi-document Kargo YAML file' },
    source: { type: 'string', description: 'the file name, used in error messages' },
    project: { type: 'string', description: 'Project for resources that name none' },
    force: { type: 'boolean', description: 'delete Stages and Projects even while a Promotion is Running' },
  },
  required: ['manifests'],
  additionalProperties: false,
} as const;

/** A document of a file to delete: what it names. */
interface Target {
  kind: DeletableKind;
  project: string;
  name: string;
}

/**
 * Reads what each document of a manifest file names; every problem is listed with its document and
 * field path, and nothing is deleted when there is one (as apply refuses a bad file whole).
 */
export function parseDeleteTargets(
  text: string,
  defaultProject: string | undefined,
  source = 'manifests',
): Target[] {
  const targets: Target[] = [];
  const problems: Problem[] = [];
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const at = `${source}[${i}]`;
    if (doc.errors.length > 0) {
      problems.push({ path: at, message: `not YAML: ${doc.errors[0]!.message.split('\n')[0]}` });
      return;
    }
    const o = doc.toJS() as unknown;
    if (o === null || o === undefined) return;
    if (typeof o !== 'object' || Array.isArray(o)) {
      problems.push({ path: at, message: 'a document must be a mapping with kind and metadata' });
      return;
    }
    const { kind, metadata } = o as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
    if (typeof kind !== 'string' || !(DeletableKinds as readonly string[]).includes(kind)) {
      problems.push({
        path: `${at}.kind`,
        message: `${typeof kind === 'string' ? `"${kind}"` : 'missing'}: ferry delete knows ${DeletableKinds.join(', ')}`,
      });
      return;
    }
    const name = metadata?.name;
    if (typeof name !== 'string' || name === '') {
      problems.push({ path: `${at}.metadata.name`, message: `required: the ${kind} to delete` });
      return;
    }
    if (kind === 'Project') {
      targets.push({ kind, project: name, name });
      return;
    }
    const ns =
      typeof metadata?.namespace === 'string' && metadata.namespace ? metadata.namespace : defaultProject;
    if (!ns) {
      problems.push({
        path: `${at}.metadata.namespace`,
        message: `required: the ${kind}'s Project; set it or give one with -p`,
      });
      return;
    }
    targets.push({ kind: kind as DeletableKind, project: ns, name });
  });
  if (problems.length > 0)
    throw new ValidationError('nothing was deleted', problems, 'FERRY_ERR_BAD_MANIFEST');
  return targets.sort((a, b) => DeletableKinds.indexOf(a.kind) - DeletableKinds.indexOf(b.kind));
}

/** Who asked, for the event's `by`. */
const actor = (req: FastifyRequest): string => {
  const p = principalOf(req);
  return p && p !== ANONYMOUS ? p.subject : headerUser(req);
};

/** Delete routes: per resource, per Project, and a manifest file's documents. */
export const deleteRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const { store, bus } = deps;
  const clock = deps.clock ?? (() => new Date());
  const secrets = new SecretStore(store.redis, undefined);

  /**
   * Deletes one resource; `not found` and `refused` come back as results, not thrown. The
   * Project must exist (for kinds inside one).
   */
  const deleteOne = async (t: Target, force: boolean): Promise<DeleteResult> => {
    const base = { kind: t.kind, project: t.project, name: t.name };
    const notFound = (what = `${t.kind} "${t.name}" not found in Project "${t.project}"`): DeleteResult => ({
      ...base,
      outcome: 'not found',
      code: NOT_FOUND[t.kind],
      message: what,
    });
    try {
      if (t.kind === 'Project') {
        return (await store.deleteProject(t.name, { force })) === undefined
          ? notFound(`Project "${t.name}" not found`)
          : { ...base, outcome: 'deleted' };
      }
      if (!(await store.getProject(t.project))) {
        return { ...notFound(`Project "${t.project}" not found`), code: 'FERRY_ERR_PROJECT_NOT_FOUND' };
      }
      let name = t.name;
      let found: boolean;
      switch (t.kind) {
        case 'Warehouse':
          found = await store.deleteWarehouse(t.project, t.name);
          break;
        case 'Stage':
          found = (await store.deleteStage(t.project, t.name, { force })).deleted;
          break;
        case 'Freight': {
          const id = await store.deleteFreight(t.project, t.name);
          found = id !== undefined;
          if (id) name = id;
          break;
        }
        case 'Promotion':
          found = await store.deletePromotion(t.project, t.name);
          break;
        case 'PromotionTask':
          found = await store.deletePromotionTask(t.project, t.name);
          break;
        case 'AnalysisTemplate':
          found = await store.deleteAnalysisTemplate(t.project, t.name);
          break;
        case 'Secret':
          found = await secrets.delete(t.project, t.name);
          break;
        case 'ProjectConfig':
          found = await store.deleteProjectConfig(t.project);
          break;
      }
      return found ? { ...base, name, outcome: 'deleted' } : notFound();
    } catch (err) {
      if (err instanceof FerryError && err.status === 409) {
        return { ...base, outcome: 'refused', code: err.code, message: err.message };
      }
      throw err;
    }
  };

  /** Announces what was deleted, one fact per Project, so services and watchers react. */
  const announce = async (results: readonly DeleteResult[], by: string, force: boolean) => {
    const at = clock().toISOString();
    const byProject = new Map<string, { kind: string; name: string }[]>();
    for (const r of results) {
      if (r.outcome !== 'deleted') continue;
      byProject.set(r.project, [...(byProject.get(r.project) ?? []), { kind: r.kind, name: r.name }]);
    }
    for (const [project, resources] of byProject) {
      const digest = createHash('sha1').update(JSON.stringify({ resources, at })).digest('hex');
      await bus.publish(
        'DefinitionsDeleted',
        { project, resources, by, at, force },
        `defs-deleted:${project}:${digest}`,
      );
    }
  };

  /** Runs one delete of a route: 200 with the result, else the result's error. */
  const single = async (req: FastifyRequest, t: Target, force: boolean) => {
    const r = await deleteOne(t, force);
    if (r.outcome !== 'deleted') throw new FerryError(r.code!, r.message!);
    await announce([r], actor(req), force);
    req.log.info({ project: t.project, kind: t.kind, name: r.name, force }, 'resource deleted');
    return r;
  };

  for (const route of ROUTES) {
    app.delete<{ Params: { project: string; name: string }; Querystring: { force?: boolean } }>(
      `/projects/:project/${route.segment}/:name`,
      {
        schema: {
          tags: [route.segment],
          summary: `Delete a ${route.kind}${route.kind === 'Freight' ? ' (by id or alias)' : ''} (Project admin)`,
          params: NamedParams,
          ...(route.kind === 'Stage' ? { querystring: ForceQuery } : {}),
          response: { 200: ResultSchema },
        },
      },
      async (req) =>
        single(
          req,
          { kind: route.kind, project: req.params.project, name: req.params.name },
          req.query.force === true,
        ),
    );
  }

  app.delete<{ Params: { project: string } }>(
    '/projects/:project/projectconfig',
    {
      schema: {
        tags: ['projects'],
        summary: "Delete the Project's ProjectConfig (Project admin)",
        params: ProjectParams,
        response: { 200: ResultSchema },
      },
    },
    async (req) =>
      single(req, { kind: 'ProjectConfig', project: req.params.project, name: req.params.project }, false),
  );

  app.delete<{ Params: { project: string }; Querystring: { force?: boolean } }>(
    '/projects/:project',
    {
      schema: {
        tags: ['projects'],
        summary: 'Delete a Project and everything in it (system admin)',
        params: ProjectParams,
        querystring: ForceQuery,
        response: { 200: ResultSchema },
      },
    },
    async (req) =>
      single(
        req,
        { kind: 'Project', project: req.params.project, name: req.params.project },
        req.query.force === true,
      ),
  );

  app.post<{ Body: { manifests: string; source?: string; project?: string; force?: boolean } }>(
    '/manifests/delete',
    {
      schema: {
        tags: ['operations'],
        summary:
          'Delete the resources a manifest file names, as kubectl delete -f (Project admin of each; system admin for Projects)',
        body: ManifestDeleteBody,
        response: {
          200: { type: 'object', properties: { results: { type: 'array', items: ResultSchema } } },
        },
      },
      // The Projects are in the body: checked here, after the body is read.
      preHandler: async (req) => {
        const targets = parseDeleteTargets(req.body.manifests, req.body.project, req.body.source);
        const projects = [...new Set(targets.map((t) => t.project))];
        setAuditProjects(req, projects);
        const who = principalOf(req) ?? ANONYMOUS;
        if (isSystemAdmin(who)) return;
        if (targets.some((t) => t.kind === 'Project')) {
          throw new FerryError(
            'FERRY_ERR_FORBIDDEN',
            'deleting a Project needs the system role "admin"; ask an admin for a token that has it',
          );
        }
        for (const p of projects) {
          if (!hasRole(who, p, 'admin')) {
            throw new FerryError(
              'FERRY_ERR_FORBIDDEN',
              `this needs the role "admin" in Project "${p}"; ask an admin of the Project for it`,
            );
          }
        }
      },
    },
    async (req) => {
      const force = req.body.force === true;
      const results: DeleteResult[] = [];
      for (const t of parseDeleteTargets(req.body.manifests, req.body.project, req.body.source)) {
        results.push(await deleteOne(t, force));
      }
      await announce(results, actor(req), force);
      req.log.info(
        { source: req.body.source, deleted: results.filter((r) => r.outcome === 'deleted').length },
        'manifests deleted',
      );
      return { results };
    },
  );
};
