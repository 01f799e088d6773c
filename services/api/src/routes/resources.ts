import { FerryError } from '@ferry/contracts';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.ts';
import type { ChangeFeed, WatchKind } from '../feed.ts';
import { freightViews, stageView, warehouseView } from '../views.ts';
import { NamedParams, Obj, ProjectParams } from './schemas.ts';

/** Query of every list route: paging and watching. */
interface ListQuery {
  limit?: number;
  continue?: string;
  watch?: boolean;
  stage?: string;
  warehouse?: string;
}

const ListQuerySchema = (extra: Record<string, { type: 'string'; description: string }> = {}) =>
  ({
    type: 'object',
    properties: {
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 1000,
        description: 'page size; the answer carries metadata.continue when more remain',
      },
      continue: { type: 'string', description: 'the metadata.continue of the previous page' },
      watch: { type: 'boolean', description: 'stream the list, then every change, as Server-Sent Events' },
      ...extra,
    },
    additionalProperties: false,
  }) as const;

const ListAnswer = {
  type: 'object',
  properties: {
    items: { type: 'array', items: Obj },
    metadata: { type: 'object', properties: { continue: { type: 'string' } } },
  },
  required: ['items'],
} as const;

/** A listed object: Kargo-shaped, with a name. */
type Item = { metadata: { name: string } };

const encodeContinue = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64url');
const decodeContinue = (token: string): number => {
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {}
  throw new FerryError(
    'FERRY_ERR_VALIDATION',
    'continue: not a token from a previous page; start again without it',
  );
};

/** Read routes for every resource: lists as `{items}` (paged, or watched over SSE), named ones as the object. */
export const resourceRoutes: FastifyPluginAsync<{ deps: ApiDeps & { feed: ChangeFeed } }> = async (
  app,
  { deps },
) => {
  const { store } = deps;
  const project = async (name: string) => {
    const p = await store.getProject(name);
    if (!p) {
      throw new FerryError(
        'FERRY_ERR_PROJECT_NOT_FOUND',
        `Project "${name}" not found: apply its Project manifest first`,
      );
    }
    return p;
  };

  /** Answers a list: one page, or an SSE stream of the list and then its changes. */
  const list = async (
    req: FastifyRequest<{ Querystring: ListQuery }>,
    reply: FastifyReply,
    kind: WatchKind,
    projectName: string,
    load: () => Promise<Item[]>,
    get: (name: string) => Promise<Item | undefined>,
    keep: (item: Item) => boolean = () => true,
  ) => {
    const q = req.query;
    if (q.watch) return watch(req, reply, kind, projectName, load, get, keep);
    const all = (await load()).filter(keep);
    const offset = q.continue ? decodeContinue(q.continue) : 0;
    const end = q.limit ? offset + q.limit : all.length;
    const items = all.slice(offset, end);
    return end < all.length ? { items, metadata: { continue: encodeContinue(end) } } : { items };
  };

  const watch = async (
    req: FastifyRequest,
    reply: FastifyReply,
    kind: WatchKind,
    projectName: string,
    load: () => Promise<Item[]>,
    get: (name: string) => Promise<Item | undefined>,
    keep: (item: Item) => boolean,
  ) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (type: string, obj: unknown) =>
      res.write(`event: ${type}\ndata: ${JSON.stringify(obj)}\n\n`);
    const seen = new Set<string>();
    // Notices that arrive while the initial list is read are queued, not lost.
    const queue: string[] = [];
    let draining = Promise.resolve();
    const handle = (name: string) => {
      draining = draining.then(async () => {
        const obj = await get(name).catch(() => undefined);
        if (res.writableEnded) return;
        if (obj && keep(obj)) {
          send(seen.has(name) ? 'MODIFIED' : 'ADDED', obj);
          seen.add(name);
        } else if (seen.delete(name)) {
          send('DELETED', { metadata: { name } });
        }
      });
    };
    let ready = false;
    const stop = deps.feed.listen((n) => {
      if (n.kind !== kind || (kind !== 'projects' && n.project !== projectName)) return;
      if (ready) handle(n.name);
      else queue.push(n.name);
    });
    const ping = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => {
      stop();
      clearInterval(ping);
    });
    for (const item of (await load()).filter(keep)) {
      seen.add(item.metadata.name);
      send('ADDED', item);
    }
    send('BOOKMARK', { metadata: {} });
    ready = true;
    for (const name of queue.splice(0)) handle(name);
  };

  app.get<{ Querystring: ListQuery }>(
    '/projects',
    { schema: { tags: ['projects'], querystring: ListQuerySchema(), response: { 200: ListAnswer } } },
    async (req, reply) =>
      list(
        req,
        reply,
        'projects',
        '',
        () => store.listProjects(),
        (n) => store.getProject(n),
      ),
  );
  app.get<{ Params: { project: string } }>(
    '/projects/:project',
    { schema: { tags: ['projects'], params: ProjectParams, response: { 200: Obj } } },
    async (req) => project(req.params.project),
  );

  app.get<{ Params: { project: string }; Querystring: ListQuery }>(
    '/projects/:project/warehouses',
    {
      schema: {
        tags: ['warehouses'],
        params: ProjectParams,
        querystring: ListQuerySchema(),
        response: { 200: ListAnswer },
      },
    },
    async (req, reply) => {
      const p = req.params.project;
      await project(p);
      return list(
        req,
        reply,
        'warehouses',
        p,
        async () => Promise.all((await store.listWarehouses(p)).map((w) => warehouseView(store, p, w))),
        async (n) => {
          const w = await store.getWarehouse(p, n);
          return w && warehouseView(store, p, w);
        },
      );
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

  app.get<{ Params: { project: string }; Querystring: ListQuery }>(
    '/projects/:project/stages',
    {
      schema: {
        tags: ['stages'],
        params: ProjectParams,
        querystring: ListQuerySchema(),
        response: { 200: ListAnswer },
      },
    },
    async (req, reply) => {
      const p = req.params.project;
      await project(p);
      return list(
        req,
        reply,
        'stages',
        p,
        async () => Promise.all((await store.listStages(p)).map((s) => stageView(store, p, s))),
        async (n) => {
          const s = await store.getStage(p, n);
          return s && stageView(store, p, s);
        },
      );
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

  app.get<{ Params: { project: string }; Querystring: ListQuery }>(
    '/projects/:project/freight',
    {
      schema: {
        tags: ['freight'],
        params: ProjectParams,
        querystring: ListQuerySchema({
          warehouse: { type: 'string', description: 'only Freight from this Warehouse' },
        }),
        response: { 200: ListAnswer },
      },
    },
    async (req, reply) => {
      const p = req.params.project;
      const wh = req.query.warehouse;
      await project(p);
      return list(
        req,
        reply,
        'freight',
        p,
        async () => freightViews(store, p, await store.listFreight(p, wh)),
        async (n) => {
          const f = await store.getFreight(p, n);
          return f && (await freightViews(store, p, [f]))[0];
        },
        (f) => !wh || (f as unknown as { origin: { name: string } }).origin.name === wh,
      );
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

  app.get<{ Params: { project: string }; Querystring: ListQuery }>(
    '/projects/:project/promotions',
    {
      schema: {
        tags: ['promotions'],
        params: ProjectParams,
        querystring: ListQuerySchema({
          stage: { type: 'string', description: 'only Promotions to this Stage' },
        }),
        response: { 200: ListAnswer },
      },
    },
    async (req, reply) => {
      const p = req.params.project;
      const stage = req.query.stage;
      await project(p);
      return list(
        req,
        reply,
        'promotions',
        p,
        () => store.listPromotions(p, stage),
        (n) => store.getPromotion(p, n),
        (x) => !stage || (x as unknown as { spec: { stage: string } }).spec.stage === stage,
      );
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
