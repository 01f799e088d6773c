import { createHash } from 'node:crypto';
import type { Promotion, Stage } from '@ferry/contracts';
import { FerryError, KARGO_API_VERSION } from '@ferry/contracts';
import { freightAvailability, parseManifests } from '@ferry/kargo';
import { extractTraceContext, Kinds, traceparentOf, withSpan } from '@ferry/observability';
import { type Store, secretKey } from '@ferry/store';
import type { FastifyPluginAsync } from 'fastify';
import { ulid } from 'ulid';
import type { ApiDeps } from '../app.ts';
import { prepareSecrets } from '../webhooks/index.ts';
import { NamedParams, ProjectParams } from './schemas.ts';

const ApplyBody = {
  type: 'object',
  properties: {
    manifests: { type: 'string', minLength: 1, description: 'the text of a multi-document Kargo YAML file' },
    source: { type: 'string', description: 'the file name, used in error messages' },
    project: { type: 'string', description: 'Project for resources that name none' },
    create: {
      type: 'boolean',
      description: 'create only (kubectl create): refuse the whole file when any resource in it exists',
    },
  },
  required: ['manifests'],
  additionalProperties: false,
} as const;

const PromoteBody = {
  type: 'object',
  properties: {
    stage: { type: 'string', minLength: 1 },
    freight: { type: 'string', pattern: '^[a-f0-9]{40}$' },
    freightAlias: { type: 'string', minLength: 1 },
  },
  required: ['stage'],
  additionalProperties: false,
} as const;

/** Operations: apply manifests, refresh a Warehouse, promote. */
export const operationRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const { store, bus } = deps;
  const clock = deps.clock ?? (() => new Date());

  app.post<{ Body: { manifests: string; source?: string; project?: string; create?: boolean } }>(
    '/apply',
    {
      schema: {
        tags: ['operations'],
        summary: 'Apply Kargo manifests (all or nothing); with create, only when none of them exists',
        body: ApplyBody,
        response: {
          200: {
            type: 'object',
            properties: {
              results: { type: 'array', items: { type: 'object', additionalProperties: true } },
              warnings: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
    async (req) => {
      const projects = await store.listProjects();
      const known = new Set(projects.map((p) => p.metadata.name));
      const stages = new Map<string, Stage>();
      await Promise.all(
        projects.map(async (p) => {
          for (const s of await store.listStages(p.metadata.name))
            stages.set(`${p.metadata.name}/${s.metadata.name}`, s);
        }),
      );
      const parsed = parseManifests(req.body.manifests, {
        knownProjects: known,
        ...(req.body.project ? { defaultProject: req.body.project } : {}),
        lookupStage: (p, n) => stages.get(`${p}/${n}`),
      });
      // Refuses the whole file up front when it holds Secrets and no encryption key is set.
      const secrets = prepareSecrets(store, parsed.secrets);
      if (req.body.create) {
        // Checked before anything is written; a create racing another create of the same name may
        // still both pass, and then the second one applies (as apply would).
        const existing = await existingResources(store, parsed);
        if (existing.length > 0) {
          throw new FerryError(
            'FERRY_ERR_ALREADY_EXISTS',
            `nothing created: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; use ferry apply to change ${existing.length === 1 ? 'it' : 'them'}`,
          );
        }
      }
      // Projects first, so a file that declares one and fills it applies in the right order.
      const ordered = [...parsed.resources].sort((a, b) => rank(a.resource.kind) - rank(b.resource.kind));
      const results = [
        ...(await store.applyResources(ordered, clock().toISOString())),
        ...(await store.applyAnalysisTemplates(parsed.analysisTemplates)),
        ...(await store.applyPromotionTasks(parsed.promotionTasks)),
      ];
      const byProject = new Map<string, typeof results>();
      for (const r of results) {
        // Cluster-scoped resources (Cluster*Templates, ClusterPromotionTasks) belong to no Project's events.
        if (r.action === 'unchanged' || !r.project) continue;
        byProject.set(r.project, [...(byProject.get(r.project) ?? []), r]);
      }
      for (const [project, changed] of byProject) {
        const resources = changed.map((r) => ({ kind: r.kind, name: r.name, generation: r.generation }));
        const digest = createHash('sha1').update(JSON.stringify(resources)).digest('hex');
        await bus.publish('DefinitionsApplied', { project, resources }, `defs:${project}:${digest}`);
      }
      results.push(...(await secrets.apply()));
      req.log.info({ source: req.body.source, results: results.length }, 'manifests applied');
      return { results, warnings: parsed.warnings };
    },
  );

  app.post<{ Params: { project: string; name: string } }>(
    '/projects/:project/warehouses/:name/refresh',
    {
      schema: {
        tags: ['operations'],
        params: NamedParams,
        summary: 'Discover a Warehouse now',
        response: { 202: { type: 'object', additionalProperties: true } },
      },
    },
    async (req, reply) => {
      const { project, name } = req.params;
      if (!(await store.getProject(project)))
        throw new FerryError('FERRY_ERR_PROJECT_NOT_FOUND', `Project "${project}" not found`);
      if (!(await store.getWarehouse(project, name))) {
        throw new FerryError(
          'FERRY_ERR_WAREHOUSE_NOT_FOUND',
          `Warehouse "${name}" not found in Project "${project}"`,
        );
      }
      await bus.publish(
        'RefreshWarehouse',
        { project, warehouse: name },
        `refresh:${project}:${name}:${clock().getTime()}`,
      );
      return reply.status(202).send({ project, warehouse: name, refresh: 'requested' });
    },
  );

  app.post<{ Params: { project: string }; Body: { stage: string; freight?: string; freightAlias?: string } }>(
    '/projects/:project/promotions',
    {
      schema: {
        tags: ['operations'],
        params: ProjectParams,
        summary: 'Promote Freight to a Stage',
        body: PromoteBody,
        response: { 201: { type: 'object', additionalProperties: true } },
      },
    },
    async (req, reply) => {
      const { project } = req.params;
      const { stage: stageName, freight: id, freightAlias } = req.body;
      if (!!id === !!freightAlias) {
        throw new FerryError(
          'FERRY_ERR_VALIDATION',
          'give exactly one of "freight" (an id) and "freightAlias"',
        );
      }
      if (!(await store.getProject(project)))
        throw new FerryError('FERRY_ERR_PROJECT_NOT_FOUND', `Project "${project}" not found`);
      const stage = await store.getStage(project, stageName);
      if (!stage)
        throw new FerryError(
          'FERRY_ERR_STAGE_NOT_FOUND',
          `Stage "${stageName}" not found in Project "${project}"`,
        );
      const freight = id
        ? await store.getFreight(project, id)
        : await store.getFreightByAlias(project, freightAlias!);
      if (!freight) {
        throw new FerryError(
          'FERRY_ERR_FREIGHT_NOT_FOUND',
          `Freight "${id ?? freightAlias}" not found in Project "${project}"`,
        );
      }
      const availability = freightAvailability(stage, freight);
      if (!availability.available)
        throw new FerryError('FERRY_ERR_FREIGHT_NOT_AVAILABLE', availability.reason);
      const now = clock();
      const name = `${stageName}.${ulid(now.getTime()).toLowerCase()}.${freight.metadata.name.slice(0, 7)}`;
      // The Promotion's trace starts here (or continues the caller's traceparent header).
      const parent = extractTraceContext({
        get: (k) => {
          const v = req.headers[k];
          return Array.isArray(v) ? v[0] : v;
        },
        set: () => {},
      });
      return withSpan(
        'POST /api/v1/projects/:project/promotions',
        {
          kind: Kinds.server,
          parent,
          attributes: { 'ferry.project': project, 'ferry.stage': stageName, 'ferry.promotion': name },
        },
        async () => {
          await bus.publish(
            'CreatePromotion',
            {
              project,
              promotion: name,
              stage: stageName,
              freight: freight.metadata.name,
              requestedBy: 'api',
              requestedAt: now.toISOString(),
            },
            `create-promotion:${project}:${name}`,
          );
          const promotion: Promotion = {
            apiVersion: KARGO_API_VERSION,
            kind: 'Promotion',
            metadata: { name, namespace: project, creationTimestamp: now.toISOString() },
            spec: {
              stage: stageName,
              freight: freight.metadata.name,
              steps: stage.spec.promotionTemplate?.spec.steps ?? [],
              ...(stage.spec.promotionTemplate?.spec.vars
                ? { vars: stage.spec.promotionTemplate.spec.vars }
                : {}),
            },
            status: {
              phase: 'Pending',
              message: 'requested',
              currentStep: 0,
              stepExecutionMetadata: [],
              state: {},
              requestedBy: 'api',
              createdAt: now.toISOString(),
              revision: 0,
              ...(traceparentOf() ? { traceparent: traceparentOf() } : {}),
            },
          };
          req.log.info(
            { project, stage: stageName, promotion: name, freight: freight.metadata.name },
            'promotion requested',
          );
          return reply.status(201).send(promotion);
        },
      );
    },
  );
};

const rank = (kind: string) => ({ Project: 0, ProjectConfig: 1, Warehouse: 2, Stage: 3 })[kind] ?? 9;

/** The resources of a manifest file that exist already, as `kind "name" in Project "p"`, in file order. */
async function existingResources(store: Store, parsed: ReturnType<typeof parseManifests>): Promise<string[]> {
  const out: string[] = [];
  const where = (project: string) => (project ? ` in Project "${project}"` : '');
  for (const { project, resource } of parsed.resources) {
    const name = resource.metadata.name;
    const found =
      resource.kind === 'Project'
        ? await store.getProject(name)
        : resource.kind === 'ProjectConfig'
          ? await store.getProjectConfig(project)
          : resource.kind === 'Warehouse'
            ? await store.getWarehouse(project, name)
            : await store.getStage(project, name);
    if (found) out.push(`${resource.kind} "${name}"${resource.kind === 'Project' ? '' : where(project)}`);
  }
  for (const { project, template } of parsed.analysisTemplates) {
    if (await store.getAnalysisTemplate(project, template.name))
      out.push(`${template.kind} "${template.name}"${where(project)}`);
  }
  for (const task of parsed.promotionTasks) {
    if (await store.getPromotionTask(task.project, task.name))
      out.push(`${task.kind} "${task.name}"${where(task.project)}`);
  }
  for (const secret of parsed.secrets) {
    if ((await store.redis.exists(secretKey(secret.project, secret.name))) === 1)
      out.push(`Secret "${secret.name}"${where(secret.project)}`);
  }
  return out;
}
