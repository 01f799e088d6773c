import { type ErrorCode, FerryError } from '@ferry/contracts';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.ts';
import { ANONYMOUS, hasRole, isSystemAdmin, principalOf } from '../auth/index.ts';
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
    {
      schema: {
        tags: ['projects'],
        summary: 'List the Projects the caller has a role in (a system admin sees every one)',
        querystring: ListQuerySchema(),
        response: { 200: ListAnswer },
      },
    },
    async (req, reply) => {
      // Only the Projects the token holds a role in; with auth off everyone is a system admin.
      const who = principalOf(req) ?? ANONYMOUS;
      const visible = (item: Item) => isSystemAdmin(who) || hasRole(who, item.metadata.name, 'viewer');
      return list(
        req,
        reply,
        'projects',
        '',
        () => store.listProjects(),
        (n) => store.getProject(n),
        visible,
      );
    },
  );
  app.get<{ Params: { project: string } }>(
    '/projects/:project',
    { schema: { tags: ['projects'], params: ProjectParams, response: { 200: Obj } } },
    async (req) => project(req.params.project),
  );

  /** One Project-scoped kind: how to list it, read one (watch), and find one by the name in a path. */
  interface ProjectKind {
    kind: Exclude<WatchKind, 'projects'>;
    /** The word in "… not found" messages, with what the name may be. */
    label: string;
    notFound: ErrorCode;
    /** A list filter from the query string (`?warehouse=`, `?stage=`), if the kind has one. */
    filter?: {
      param: 'warehouse' | 'stage';
      description: string;
      keep: (item: Item, value: string) => boolean;
    };
    load: (p: string, q: ListQuery) => Promise<Item[]>;
    get: (p: string, name: string) => Promise<Item | undefined>;
    /** The named route's lookup; `get` when absent. */
    find?: (p: string, name: string) => Promise<Item | undefined>;
  }

  const kinds: ProjectKind[] = [
    {
      kind: 'warehouses',
      label: 'Warehouse',
      notFound: 'FERRY_ERR_WAREHOUSE_NOT_FOUND',
      load: async (p) => Promise.all((await store.listWarehouses(p)).map((w) => warehouseView(store, p, w))),
      get: async (p, n) => {
        const w = await store.getWarehouse(p, n);
        return w && warehouseView(store, p, w);
      },
    },
    {
      kind: 'stages',
      label: 'Stage',
      notFound: 'FERRY_ERR_STAGE_NOT_FOUND',
      load: async (p) => Promise.all((await store.listStages(p)).map((s) => stageView(store, p, s))),
      get: async (p, n) => {
        const s = await store.getStage(p, n);
        return s && stageView(store, p, s);
      },
    },
    {
      kind: 'freight',
      label: 'Freight',
      notFound: 'FERRY_ERR_FREIGHT_NOT_FOUND',
      filter: {
        param: 'warehouse',
        description: 'only Freight from this Warehouse',
        keep: (f, wh) => (f as unknown as { origin: { name: string } }).origin.name === wh,
      },
      load: async (p, q) => freightViews(store, p, await store.listFreight(p, q.warehouse)),
      get: async (p, n) => {
        const f = await store.getFreight(p, n);
        return f && (await freightViews(store, p, [f]))[0];
      },
      find: async (p, n) => {
        const f = (await store.getFreight(p, n)) ?? (await store.getFreightByAlias(p, n));
        return f && (await freightViews(store, p, [f]))[0];
      },
    },
    {
      kind: 'promotions',
      label: 'Promotion',
      notFound: 'FERRY_ERR_PROMOTION_NOT_FOUND',
      filter: {
        param: 'stage',
        description: 'only Promotions to this Stage',
        keep: (x, stage) => (x as unknown as { spec: { stage: string } }).spec.stage === stage,
      },
      load: (p, q) => store.listPromotions(p, q.stage),
      get: (p, n) => store.getPromotion(p, n),
    },
  ];

  for (const k of kinds) {
    const extra = k.filter
      ? { [k.filter.param]: { type: 'string' as const, description: k.filter.description } }
      : {};
    app.get<{ Params: { project: string }; Querystring: ListQuery }>(
      `/projects/:project/${k.kind}`,
      {
        schema: {
          tags: [k.kind],
          params: ProjectParams,
          querystring: ListQuerySchema(extra),
          response: { 200: ListAnswer },
        },
      },
      async (req, reply) => {
        const p = req.params.project;
        await project(p);
        const value = k.filter ? req.query[k.filter.param] : undefined;
        const keep = k.filter && value ? (item: Item) => k.filter!.keep(item, value) : undefined;
        return list(
          req,
          reply,
          k.kind,
          p,
          () => k.load(p, req.query),
          (n) => k.get(p, n),
          keep,
        );
      },
    );
    app.get<{ Params: { project: string; name: string } }>(
      `/projects/:project/${k.kind}/:name`,
      { schema: { tags: [k.kind], params: NamedParams, response: { 200: Obj } } },
      async (req) => {
        const { project: p, name } = req.params;
        await project(p);
        const item = await (k.find ?? k.get)(p, name);
        if (!item) {
          const what = k.find ? ' (id or alias)' : '';
          throw new FerryError(k.notFound, `${k.label} "${name}"${what} not found in Project "${p}"`);
        }
        return item;
      },
    );
  }
};
