import { FerryError } from '@ferry/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.ts';
import { freightViews, stageView, warehouseView } from '../views.ts';
import { List, NamedParams, Obj, ProjectParams } from './schemas.ts';

/** Read routes for every resource: lists as `{items}`, named ones as the object. */
export const resourceRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const { store } = deps;
  const project = async (name: string) => {
    const p = await store.getProject(name);
    if (!p)
      throw new FerryError(
        'FERRY_ERR_PROJECT_NOT_FOUND',
        `Project "${name}" not found: apply its Project manifest first`,
      );
    return p;
  };

  app.get('/projects', { schema: { tags: ['projects'], response: { 200: List } } }, async () => ({
    items: await store.listProjects(),
  }));
  app.get<{ Params: { project: string } }>(
    '/projects/:project',
    { schema: { tags: ['projects'], params: ProjectParams, response: { 200: Obj } } },
    async (req) => project(req.params.project),
  );

  app.get<{ Params: { project: string } }>(
    '/projects/:project/warehouses',
    { schema: { tags: ['warehouses'], params: ProjectParams, response: { 200: List } } },
    async (req) => {
      await project(req.params.project);
      const list = await store.listWarehouses(req.params.project);
      return { items: await Promise.all(list.map((w) => warehouseView(store, req.params.project, w))) };
    },
  );
  app.get<{ Params: { project: string; name: string } }>(
    '/projects/:project/warehouses/:name',
    { schema: { tags: ['warehouses'], params: NamedParams, response: { 200: Obj } } },
    async (req) => {
      await project(req.params.project);
      const wh = await store.getWarehouse(req.params.project, req.params.name);
      if (!wh) {
        throw new FerryError(
          'FERRY_ERR_WAREHOUSE_NOT_FOUND',
          `Warehouse "${req.params.name}" not found in Project "${req.params.project}"`,
        );
      }
      return warehouseView(store, req.params.project, wh);
    },
  );

  app.get<{ Params: { project: string } }>(
    '/projects/:project/stages',
    { schema: { tags: ['stages'], params: ProjectParams, response: { 200: List } } },
    async (req) => {
      await project(req.params.project);
      const list = await store.listStages(req.params.project);
      return { items: await Promise.all(list.map((s) => stageView(store, req.params.project, s))) };
    },
  );
  app.get<{ Params: { project: string; name: string } }>(
    '/projects/:project/stages/:name',
    { schema: { tags: ['stages'], params: NamedParams, response: { 200: Obj } } },
    async (req) => {
      await project(req.params.project);
      const stage = await store.getStage(req.params.project, req.params.name);
      if (!stage) {
        throw new FerryError(
          'FERRY_ERR_STAGE_NOT_FOUND',
          `Stage "${req.params.name}" not found in Project "${req.params.project}"`,
        );
      }
      return stageView(store, req.params.project, stage);
    },
  );

  app.get<{ Params: { project: string }; Querystring: { warehouse?: string } }>(
    '/projects/:project/freight',
    {
      schema: {
        tags: ['freight'],
        params: ProjectParams,
        querystring: { type: 'object', properties: { warehouse: { type: 'string' } } },
        response: { 200: List },
      },
    },
    async (req) => {
      await project(req.params.project);
      const list = await store.listFreight(req.params.project, req.query.warehouse);
      return { items: await freightViews(store, req.params.project, list) };
    },
  );
  app.get<{ Params: { project: string; name: string } }>(
    '/projects/:project/freight/:name',
    { schema: { tags: ['freight'], params: NamedParams, response: { 200: Obj } } },
    async (req) => {
      await project(req.params.project);
      const f =
        (await store.getFreight(req.params.project, req.params.name)) ??
        (await store.getFreightByAlias(req.params.project, req.params.name));
      if (!f) {
        throw new FerryError(
          'FERRY_ERR_FREIGHT_NOT_FOUND',
          `Freight "${req.params.name}" (id or alias) not found in Project "${req.params.project}"`,
        );
      }
      return (await freightViews(store, req.params.project, [f]))[0];
    },
  );

  app.get<{ Params: { project: string }; Querystring: { stage?: string } }>(
    '/projects/:project/promotions',
    {
      schema: {
        tags: ['promotions'],
        params: ProjectParams,
        querystring: { type: 'object', properties: { stage: { type: 'string' } } },
        response: { 200: List },
      },
    },
    async (req) => {
      await project(req.params.project);
      return { items: await store.listPromotions(req.params.project, req.query.stage) };
    },
  );
  app.get<{ Params: { project: string; name: string } }>(
    '/projects/:project/promotions/:name',
    { schema: { tags: ['promotions'], params: NamedParams, response: { 200: Obj } } },
    async (req) => {
      await project(req.params.project);
      const p = await store.getPromotion(req.params.project, req.params.name);
      if (!p) {
        throw new FerryError(
          'FERRY_ERR_PROMOTION_NOT_FOUND',
          `Promotion "${req.params.name}" not found in Project "${req.params.project}"`,
        );
      }
      return p;
    },
  );
};
