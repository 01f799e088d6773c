/**
 * `POST /api/v1/projects/:project/freight`: manual Freight. The artifacts are checked against the
 * Warehouse's discovered artifacts, image digests are resolved by warehouse-poller's registry client,
 * and the Freight is made the normal way: a FreightDiscovered fact that freight-store turns into
 * Freight (same artifacts, same id, so a repeated request finds the Freight made before).
 */
import { FerryError, type Freight, type FreightImage } from '@ferry/contracts';
import { freightId } from '@ferry/kargo';
import { traceparentOf } from '@ferry/observability';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.ts';
import { type ChosenImage, chooseArtifacts, type ManualFreightBody } from '../manual-freight.ts';
import { askPoller } from '../poller-requests.ts';
import { freightViews } from '../views.ts';
import { Obj, ProjectParams } from './schemas.ts';

/** Options of {@link freightCreateRoutes}; the defaults suit production. */
export interface FreightCreateOptions {
  /** How long to wait for freight-store to store the Freight (default 15 s). */
  storeWaitMs?: number;
  /** How long to wait for warehouse-poller's digests (default 20 s). */
  resolveTimeoutMs?: number;
}

const Repo = { type: 'string', minLength: 1, maxLength: 512 } as const;

/** The request body: Kargo's Freight fields (`origin`, `images`, `commits`, `charts`). */
export const ManualFreightBodySchema = {
  type: 'object',
  required: ['origin'],
  additionalProperties: false,
  properties: {
    origin: {
      type: 'object',
      required: ['kind', 'name'],
      additionalProperties: false,
      properties: {
        kind: { type: 'string', enum: ['Warehouse'], description: 'always Warehouse' },
        name: { type: 'string', minLength: 1, maxLength: 253, description: 'the Warehouse' },
      },
    },
    images: {
      type: 'array',
      maxItems: 100,
      description: 'one per image subscription: a discovered tag (its digest is resolved now), or a digest',
      items: {
        type: 'object',
        required: ['repoURL'],
        additionalProperties: false,
        properties: {
          repoURL: Repo,
          tag: { type: 'string', minLength: 1, maxLength: 128 },
          digest: { type: 'string', pattern: '^sha256:[a-f0-9]{64}$' },
        },
      },
    },
    commits: {
      type: 'array',
      maxItems: 100,
      description: 'one per git subscription: a discovered commit by id (or a unique prefix of 7+) or tag',
      items: {
        type: 'object',
        required: ['repoURL'],
        additionalProperties: false,
        properties: {
          repoURL: Repo,
          id: { type: 'string', minLength: 1, maxLength: 64 },
          tag: { type: 'string', minLength: 1, maxLength: 256 },
        },
      },
    },
    charts: {
      type: 'array',
      maxItems: 100,
      description: 'one per chart subscription: a discovered version',
      items: {
        type: 'object',
        required: ['repoURL', 'version'],
        additionalProperties: false,
        properties: {
          repoURL: Repo,
          name: { type: 'string', minLength: 1, maxLength: 253 },
          version: { type: 'string', minLength: 1, maxLength: 128 },
        },
      },
    },
  },
} as const;

/** Registers `POST /projects/:project/freight`. */
export const freightCreateRoutes: FastifyPluginAsync<{
  deps: ApiDeps;
  options?: FreightCreateOptions;
}> = async (app, { deps, options = {} }) => {
  const { store, bus } = deps;
  const clock = deps.clock ?? (() => new Date());
  const storeWaitMs = options.storeWaitMs ?? 15_000;

  /** Resolves the chosen tags now; a given digest must be what the tag points at. */
  const resolve = async (
    project: string,
    warehouse: string,
    chosen: ChosenImage[],
  ): Promise<FreightImage[]> => {
    if (chosen.length === 0) return [];
    const { images } = await askPoller(
      bus,
      'ResolveImages',
      {
        project,
        warehouse,
        images: chosen.map((c) => ({
          repoURL: c.repoURL,
          tag: c.tag,
          ...(c.platform ? { platform: c.platform } : {}),
        })),
      },
      options.resolveTimeoutMs,
    );
    const problems: Array<{ path: string; message: string }> = [];
    const out: FreightImage[] = [];
    chosen.forEach((c, i) => {
      const r = images[i];
      if (!r || r.repoURL !== c.repoURL || r.tag !== c.tag) {
        throw new Error(
          `warehouse-poller answered image ${i} with ${r?.repoURL}:${r?.tag}, not ${c.repoURL}:${c.tag}`,
        );
      }
      if (r.digest === undefined) {
        problems.push({ path: `/images/${i}`, message: r.error ?? `cannot resolve ${c.repoURL}:${c.tag}` });
      } else if (c.digest !== undefined && c.digest !== r.digest) {
        problems.push({
          path: `/images/${i}/digest`,
          message: `${c.repoURL}:${c.tag} now points at ${r.digest}, not ${c.digest}; leave the digest out to take what the tag points at now`,
        });
      } else out.push({ repoURL: c.repoURL, tag: c.tag, digest: r.digest });
    });
    if (problems.length > 0) {
      throw new FerryError(
        'FERRY_ERR_ARTIFACT_UNRESOLVED',
        `${problems.map((p) => p.message).join('; ')}; run "ferry refresh warehouse ${warehouse} -p ${project}" and pick a tag it lists`,
        { details: { problems } },
      );
    }
    return out;
  };

  app.post<{ Params: { project: string }; Body: ManualFreightBody }>(
    '/projects/:project/freight',
    {
      schema: {
        tags: ['operations'],
        summary: 'Make Freight from artifacts a Warehouse discovered (Kargo: create a Freight resource)',
        description:
          'Exactly one artifact per subscription of the Warehouse, each among its status.discoveredArtifacts ' +
          '(422 FERRY_ERR_ARTIFACT_NOT_DISCOVERED otherwise); no artifact at all takes the best candidate of ' +
          'every subscription. Image digests are resolved from the registry now. 201 with the new Freight, ' +
          '200 with the Freight already made of the same artifacts.',
        params: ProjectParams,
        body: ManualFreightBodySchema,
        response: { 200: Obj, 201: Obj },
      },
    },
    async (req, reply) => {
      const { project } = req.params;
      const warehouse = req.body.origin.name;
      if (!(await store.getProject(project)))
        throw new FerryError('FERRY_ERR_PROJECT_NOT_FOUND', `Project "${project}" not found`);
      const wh = await store.getWarehouse(project, warehouse);
      if (!wh) {
        throw new FerryError(
          'FERRY_ERR_WAREHOUSE_NOT_FOUND',
          `Warehouse "${warehouse}" not found in Project "${project}"`,
        );
      }
      const chosen = chooseArtifacts(
        project,
        wh,
        await store.getWarehouseStatus(project, warehouse),
        req.body,
      );
      const images = await resolve(project, warehouse, chosen.images);
      const origin = { kind: 'Warehouse' as const, name: warehouse };
      const id = freightId({ origin, images, commits: chosen.commits, charts: chosen.charts });
      const view = async (f: Freight) => (await freightViews(store, project, [f]))[0]!;
      const existing = await store.getFreight(project, id);
      if (existing) return reply.status(200).send(await view(existing));
      const tp = traceparentOf();
      await bus.publish(
        'FreightDiscovered',
        {
          project,
          warehouse,
          images,
          ...(chosen.commits.length ? { commits: chosen.commits } : {}),
          ...(chosen.charts.length ? { charts: chosen.charts } : {}),
          discoveredAt: clock().toISOString(),
          ...(tp ? { traceparent: tp } : {}),
        },
        // The poller's message id for the same Freight: whichever comes first is stored once.
        `discovered:${project}:${warehouse}:${id}`,
      );
      req.log.info({ project, warehouse, freight: id }, 'manual freight requested');
      const until = Date.now() + storeWaitMs;
      for (;;) {
        const made = await store.getFreight(project, id);
        if (made) return reply.status(201).send(await view(made));
        if (Date.now() > until) {
          throw new FerryError(
            'FERRY_ERR_UNAVAILABLE',
            `freight-store did not store Freight ${id} within ${storeWaitMs / 1000}s; is it running? ` +
              `The request stays queued: "ferry get freight ${id} -p ${project}" shows it once stored`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  );
};
