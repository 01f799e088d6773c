import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ApiError,
  badRequest,
  internalError,
  methodNotAllowed,
  patchNotApplicable,
  pathNotFound,
  requestEntityTooLarge,
  type Status,
  unauthorized,
  unsupportedMediaType,
} from './errors.ts';
import { isObject, type JsonObject, sortKeys } from './json.ts';
import { apiVersionOf, type ResourceKind } from './kinds.ts';
import { applyJsonPatch, applyMergePatch, PatchError } from './patch.ts';
import { SelectorError } from './selectors.ts';
import { type ObjectStore, objectMatcher, type StoreEvent } from './store.ts';

/** Options for {@link ApiServer}. */
export interface ApiServerOptions {
  store: ObjectStore;
  /** The bearer token every request must carry (health and version endpoints excepted). */
  token: string;
  /** Interval between BOOKMARK events on watches that allow them; default 60 s, as the watch cache sends. */
  bookmarkIntervalMs?: number;
  /** Watch duration when the client sends no `timeoutSeconds`; default 1800 s (the min request timeout). */
  defaultWatchTimeoutSeconds?: number;
}

/** `Content-Type`s PATCH accepts on a custom resource here (no strategic merge, no server-side apply). */
export const PATCH_TYPES: readonly string[] = ['application/json-patch+json', 'application/merge-patch+json'];
const BODY_TYPES: readonly string[] = ['application/json'];
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Go's name for a JSON value's type, as encoding/json puts it in "cannot unmarshal X into ..." errors. */
function jsonTypeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return value === null ? 'null' : typeof value;
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw requestEntityTooLarge(MAX_BODY_BYTES);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Turns a store event into what a watch with this selection sees, or nothing. */
function watchEventFor(event: StoreEvent, kind: ResourceKind, matches: (o: JsonObject) => boolean) {
  if (event.kind !== kind) return undefined;
  const now = matches(event.object);
  const before = event.previous !== undefined && matches(event.previous);
  // Like the watch cache: an object entering the selection is ADDED to this watch, one leaving it DELETED.
  if (event.type === 'DELETED') return before ? { type: 'DELETED', object: event.object } : undefined;
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: event.object };
  return before ? { type: 'DELETED', object: event.object } : undefined;
}

/**
 * The HTTP front of the store: routing, bearer-token authentication, discovery, CRUD and PATCH with the
 * status codes and `Status` bodies of kube-apiserver, and chunked newline-delimited JSON watches.
 */
export class ApiServer {
  readonly #store: ObjectStore;
  readonly #token: Buffer;
  readonly #bookmarkIntervalMs: number;
  readonly #defaultWatchTimeoutSeconds: number;
  readonly #watches = new Set<() => void>();

  constructor(options: ApiServerOptions) {
    this.#store = options.store;
    this.#token = Buffer.from(options.token);
    this.#bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
    this.#defaultWatchTimeoutSeconds = options.defaultWatchTimeoutSeconds ?? 1800;
  }

  /** The `node:http` request listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#route(req, res).catch((err: unknown) => {
      let status: ApiError;
      if (err instanceof ApiError) status = err;
      else if (err instanceof SelectorError) status = badRequest(err.message);
      else status = internalError(err instanceof Error ? err.message : String(err));
      if (res.headersSent) res.end();
      else sendJson(res, status.code, status.status);
    });
  };

  /** Ends every open watch (the server is shutting down). */
  close(): void {
    for (const end of [...this.#watches]) end();
  }

  #authenticated(req: IncomingMessage, path: string): boolean {
    const header = req.headers.authorization;
    // Like the default RBAC's system:public-info-viewer, health and version need no credentials.
    if (header === undefined) return PUBLIC_PATHS.has(path);
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const given = Buffer.from(match?.[1] ?? '');
    return given.length === this.#token.length && timingSafeEqual(given, this.#token);
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kube-sim');
    if (!this.#authenticated(req, url.pathname)) throw unauthorized();
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    const [root, group, version, ...rest] = parts;
    const getOnly = (body: () => unknown) => {
      if (method !== 'GET') throw methodNotAllowed();
      sendJson(res, 200, body());
    };
    if (parts.length === 1 && (root === 'healthz' || root === 'livez' || root === 'readyz')) {
      if (method !== 'GET') throw methodNotAllowed();
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (parts.length === 1 && root === 'version') return getOnly(() => this.#version());
    if (root === 'api' && parts.length <= 2) {
      if (parts.length === 2 && group !== 'v1') throw pathNotFound();
      return getOnly(() =>
        parts.length === 1
          ? {
              kind: 'APIVersions',
              versions: ['v1'],
              serverAddressByClientCIDRs: [
                { clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' },
              ],
            }
          : { kind: 'APIResourceList', groupVersion: 'v1', resources: [] },
      );
    }
    if (root !== 'apis') throw pathNotFound();
    const kinds = this.#store.kinds();
    const groupVersion = (k: ResourceKind) => ({ groupVersion: apiVersionOf(k), version: k.version });
    const groupOf = (name: string) => {
      const versions = kinds.filter((k) => k.group === name).map(groupVersion);
      const unique = versions.filter((v, i) => versions.findIndex((w) => w.version === v.version) === i);
      return unique.length === 0 ? undefined : { name, versions: unique, preferredVersion: unique[0] };
    };
    if (group === undefined) {
      const groups = [...new Set(kinds.map((k) => k.group))].map(groupOf);
      return getOnly(() => ({ kind: 'APIGroupList', apiVersion: 'v1', groups }));
    }
    if (version === undefined) {
      const found = groupOf(group);
      if (!found) throw pathNotFound();
      return getOnly(() => ({ kind: 'APIGroup', apiVersion: 'v1', ...found }));
    }
    if (rest.length === 0) {
      const served = kinds.filter((k) => k.group === group && k.version === version);
      if (served.length === 0) throw pathNotFound();
      return getOnly(() => ({
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: `${group}/${version}`,
        resources: served.map((k) => ({
          name: k.plural,
          singularName: k.singular,
          namespaced: true,
          kind: k.kind,
          verbs: VERBS,
          shortNames: k.shortNames,
        })),
      }));
    }
    let namespace: string | undefined;
    let plural = rest[0];
    let name: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && rest.length <= 4) {
      [, namespace, plural, name] = rest;
    } else if (rest.length !== 1) {
      throw pathNotFound();
    }
    const kind = this.#store.lookup(group, version, plural ?? '');
    if (!kind) throw pathNotFound();
    if (name !== undefined && namespace !== undefined) {
      return await this.#item(req, res, method, kind, namespace, name, url.searchParams);
    }
    return await this.#collection(req, res, method, kind, namespace, url.searchParams);
  }

  #version() {
    return {
      major: '1',
      minor: '31',
      gitVersion: 'v1.31.0+kube-sim',
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2024-08-13T07:28:49Z',
      goVersion: 'go1.22.5',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }

  async #decodeObject(req: IncomingMessage, kind: ResourceKind): Promise<unknown> {
    const type = mediaType(req);
    if (type !== '' && !BODY_TYPES.includes(type)) throw unsupportedMediaType(BODY_TYPES);
    const text = await readBody(req);
    try {
      return JSON.parse(text);
    } catch (err) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${kind.kind}): couldn't get version/kind; json parse error: ${(err as Error).message}`,
      );
    }
  }

  async #collection(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    kind: ResourceKind,
    namespace: string | undefined,
    query: URLSearchParams,
  ): Promise<void> {
    const selection = {
      namespace,
      labelSelector: query.get('labelSelector') ?? undefined,
      fieldSelector: query.get('fieldSelector') ?? undefined,
    };
    if (method === 'GET') {
      const watch = query.get('watch');
      if (watch === 'true' || watch === '1') return this.#watch(res, kind, selection, query);
      const list = this.#store.list(kind, selection);
      const metadata = { resourceVersion: list.resourceVersion };
      return sendJson(
        res,
        200,
        sortKeys({ apiVersion: apiVersionOf(kind), kind: kind.listKind, metadata, items: list.items }),
      );
    }
    if (namespace === undefined) throw methodNotAllowed();
    const dryRun = query.get('dryRun') === 'All';
    if (method === 'POST') {
      const created = this.#store.create(kind, namespace, await this.#decodeObject(req, kind), { dryRun });
      return sendJson(res, 201, sortKeys(created));
    }
    throw methodNotAllowed();
  }

  async #item(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    kind: ResourceKind,
    namespace: string,
    name: string,
    query: URLSearchParams,
  ): Promise<void> {
    const dryRun = query.get('dryRun') === 'All';
    switch (method) {
      case 'GET':
        return sendJson(res, 200, sortKeys(this.#store.get(kind, namespace, name)));
      case 'PUT': {
        const body = await this.#decodeObject(req, kind);
        return sendJson(res, 200, sortKeys(this.#store.update(kind, namespace, name, body, { dryRun })));
      }
      case 'PATCH': {
        const patch = await this.#decodePatch(req);
        const patched = this.#store.patch(
          kind,
          namespace,
          name,
          (current) => {
            try {
              return Array.isArray(patch) ? applyJsonPatch(current, patch) : applyMergePatch(current, patch);
            } catch (err) {
              if (err instanceof PatchError) throw patchNotApplicable(err.message);
              throw err;
            }
          },
          { dryRun },
        );
        return sendJson(res, 200, sortKeys(patched));
      }
      case 'DELETE': {
        const text = await readBody(req);
        let options: unknown = {};
        try {
          options = text.trim() === '' ? {} : JSON.parse(text);
        } catch (err) {
          throw badRequest(`error decoding DeleteOptions: ${(err as Error).message}`);
        }
        const pre = isObject(options) && isObject(options.preconditions) ? options.preconditions : {};
        const result = this.#store.delete(kind, namespace, name, {
          dryRun:
            dryRun || (isObject(options) && Array.isArray(options.dryRun) && options.dryRun.includes('All')),
          preconditions: {
            uid: typeof pre.uid === 'string' ? pre.uid : undefined,
            resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined,
          },
        });
        if (!result.deleted) return sendJson(res, 200, sortKeys(result.object));
        const meta = result.object.metadata as JsonObject;
        const status: Status = {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, group: kind.group, kind: kind.plural, uid: String(meta.uid) },
        };
        return sendJson(res, 200, status);
      }
      default:
        throw methodNotAllowed();
    }
  }

  /** Decodes a PATCH body per Content-Type: an op array for JSON patch, an object for merge patch. */
  async #decodePatch(req: IncomingMessage): Promise<unknown> {
    const type = mediaType(req);
    if (!PATCH_TYPES.includes(type)) throw unsupportedMediaType(PATCH_TYPES);
    let patch: unknown;
    try {
      patch = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw badRequest(`error decoding patch: ${(err as Error).message}`);
    }
    if (type === 'application/json-patch+json' && !Array.isArray(patch)) {
      throw badRequest(
        `error decoding patch: json: cannot unmarshal ${jsonTypeName(patch)} into Go value of type []handlers.jsonPatchOp`,
      );
    }
    if (type === 'application/merge-patch+json' && !isObject(patch)) {
      throw badRequest(
        `error decoding patch: json: cannot unmarshal ${jsonTypeName(patch)} into Go value of type map[string]interface {}`,
      );
    }
    return patch;
  }

  #watch(
    res: ServerResponse,
    kind: ResourceKind,
    selection: { namespace?: string; labelSelector?: string; fieldSelector?: string },
    query: URLSearchParams,
  ): void {
    const matches = objectMatcher(selection);
    const resourceVersion = query.get('resourceVersion') ?? '';
    if (resourceVersion !== '' && !/^\d+$/.test(resourceVersion)) {
      throw badRequest(
        `resourceVersion: Invalid value: "${resourceVersion}": must be a non-negative integer`,
      );
    }
    const bookmarks = query.get('allowWatchBookmarks') === 'true';
    const timeoutParam = Number(query.get('timeoutSeconds') ?? '');
    const timeoutSeconds =
      Number.isFinite(timeoutParam) && timeoutParam > 0 ? timeoutParam : this.#defaultWatchTimeoutSeconds;

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const send = (type: string, object: unknown) =>
      res.write(`${JSON.stringify({ type, object: sortKeys(object) })}\n`);
    const bookmark = () =>
      send('BOOKMARK', {
        kind: kind.kind,
        apiVersion: apiVersionOf(kind),
        metadata: { resourceVersion: this.#store.resourceVersion },
      });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      unsubscribe?.();
      clearInterval(bookmarkTimer);
      clearTimeout(timeoutTimer);
      this.#watches.delete(end);
      res.end();
    };
    let unsubscribe: (() => void) | undefined;
    let bookmarkTimer: NodeJS.Timeout | undefined;
    const timeoutTimer = setTimeout(end, timeoutSeconds * 1000);
    this.#watches.add(end);
    res.on('close', end);

    // Snapshot (or history replay) and subscription happen in one tick: the store is synchronous.
    if (resourceVersion === '' || resourceVersion === '0') {
      for (const object of this.#store.list(kind, selection).items) send('ADDED', object);
    } else {
      try {
        for (const event of this.#store.eventsSince(Number(resourceVersion))) {
          const out = watchEventFor(event, kind, matches);
          if (out) send(out.type, out.object);
        }
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        send('ERROR', err.status);
        end();
        return;
      }
    }
    unsubscribe = this.#store.subscribe((event) => {
      const out = watchEventFor(event, kind, matches);
      if (out) send(out.type, out.object);
    });
    if (bookmarks) bookmarkTimer = setInterval(() => bookmark(), this.#bookmarkIntervalMs);
  }
}
