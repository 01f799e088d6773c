import type { IncomingMessage } from 'node:http';
import { FerryError, ValidationError } from '@ferry/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseAllDocuments } from 'yaml';
import type { ApiDeps } from '../app.ts';
import { AUDIT_KEEP, AuditLog } from './audit.ts';
import { looksLikeJwt } from './oidc.ts';
import {
  AUTH_CONFIG_URL,
  authConfigAnswer,
  authConfigRoute,
  OidcAuthenticator,
  type OidcAuthOptions,
} from './oidc-auth.ts';
import { hasRole, isSystemAdmin, type Principal, type Requirement, Roles, requirementFor } from './roles.ts';
import { TokenStore } from './tokens.ts';

/**
 * How the api authenticates: not at all (local tries, most tests), by API token (and, with `oidc`,
 * also by OIDC ID token), or by OIDC ID token only.
 */
export type AuthOptions =
  | { mode: 'none' }
  | { mode: 'token'; bootstrapAdminToken?: string; oidc?: OidcAuthOptions }
  | { mode: 'oidc'; oidc: OidcAuthOptions };

const principals = new WeakMap<FastifyRequest, Principal>();
const auditProjects = new WeakMap<FastifyRequest, readonly string[]>();

/** The principal of a request that passed authentication; undefined for public routes. */
export const principalOf = (req: FastifyRequest): Principal | undefined => principals.get(req);

/**
 * Sets the Projects a request's audit entry goes to, for routes whose Projects are in the body
 * (`POST /api/v1/manifests/delete`); call it from the route's preHandler.
 */
export const setAuditProjects = (req: FastifyRequest, projects: readonly string[]): void => {
  auditProjects.set(req, projects);
};

/** The principal every request has when auth is off: a system admin named by nobody. */
export const ANONYMOUS: Principal = { name: 'anonymous', subject: 'anonymous', roles: [{ role: 'admin' }] };

const UNAUTHENTICATED = 'send Authorization: Bearer <token>; get one with ferry login';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const bearer = (req: FastifyRequest): string | undefined => {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m ? m[1] : undefined;
};

/**
 * Fastify's `rewriteUrl`: EventSource cannot set headers, so a GET watch stream (and only that)
 * may carry the token as `?access_token=`. It is moved into the Authorization header and cut out
 * of the URL before routing, so request logs never show it.
 */
export const liftQueryToken = (req: IncomingMessage): string => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  if (q < 0 || !url.includes('access_token=')) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const token = params.get('access_token');
  params.delete('access_token');
  if (req.method === 'GET' && params.get('watch') === 'true' && token && !req.headers.authorization) {
    req.headers.authorization = `Bearer ${token}`;
  }
  const rest = params.toString();
  return rest === '' ? url.slice(0, q) : `${url.slice(0, q)}?${rest}`;
};

const forbidden = (role: string, project?: string): FerryError =>
  new FerryError(
    'FERRY_ERR_FORBIDDEN',
    project === undefined
      ? `this needs the system role "admin"; ask an admin for a token that has it`
      : `this needs the role "${role}" in Project "${project}"; ask an admin of the Project for it`,
  );

const check = (p: Principal, need: Requirement): void => {
  if (need.kind === 'system' && !isSystemAdmin(p)) throw forbidden('admin');
  if (need.kind === 'project' && !hasRole(p, need.project, need.role))
    throw forbidden(need.role, need.project);
};

/** The Projects a manifest file touches, and whether it declares each (for the apply check). */
const touchedProjects = (manifests: string, dflt: string | undefined) => {
  const declared = new Set<string>();
  const used = new Set<string>();
  let clusterScoped = false;
  for (const doc of parseAllDocuments(manifests)) {
    const o = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
    if (!o || typeof o !== 'object') continue;
    const name = typeof o.metadata?.name === 'string' ? o.metadata.name : undefined;
    if (o.kind === 'Project' && name) declared.add(name);
    else {
      const ns = typeof o.metadata?.namespace === 'string' ? o.metadata.namespace : dflt;
      if (ns) used.add(ns);
      else clusterScoped = true;
    }
  }
  return { declared, used, clusterScoped };
};

/**
 * Installs authentication, authorization and the audit log on the root app (so its hooks see
 * every route) and adds the token, whoami and audit routes. Call before the routes are registered.
 */
export async function installAuth(app: FastifyInstance, deps: ApiDeps, options: AuthOptions): Promise<void> {
  const clock = deps.clock ?? (() => new Date());
  const tokens = new TokenStore(
    deps.store.redis,
    clock,
    options.mode === 'token' ? options.bootstrapAdminToken : undefined,
  );
  const audit = new AuditLog(deps.store.redis);
  const oidc =
    options.mode !== 'none' && options.oidc ? new OidcAuthenticator(options.oidc, clock) : undefined;
  // A JWT goes to the OIDC verifier (whose 401 says why), anything else to the token store.
  const authenticate = async (token: string): Promise<Principal | undefined> => {
    if (oidc && looksLikeJwt(token)) return oidc.authenticate(token);
    return options.mode === 'token' ? tokens.authenticate(token) : undefined;
  };

  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.url === AUTH_CONFIG_URL) return;
    const need = requirementFor(req.method, req.routeOptions.url, req.params as Record<string, string>);
    if (need.kind === 'public') return;
    let principal: Principal | undefined = ANONYMOUS;
    if (options.mode !== 'none') {
      const token = bearer(req);
      principal = token === undefined ? undefined : await authenticate(token);
      if (!principal) throw new FerryError('FERRY_ERR_UNAUTHENTICATED', UNAUTHENTICATED);
    }
    principals.set(req, principal);
    check(principal, need);
  });

  // Apply needs the body to know its Projects: admin on each it touches, system admin for new ones.
  app.addHook('preHandler', async (req) => {
    if (req.routeOptions.url !== '/api/v1/apply') return;
    const principal = principals.get(req);
    const body = req.body as { manifests?: unknown; project?: unknown } | undefined;
    if (!principal || typeof body?.manifests !== 'string') return;
    const t = touchedProjects(body.manifests, typeof body.project === 'string' ? body.project : undefined);
    auditProjects.set(req, [...new Set([...t.declared, ...t.used])]);
    if (isSystemAdmin(principal)) return;
    if (t.clusterScoped) throw forbidden('admin');
    for (const p of t.declared) {
      if (!(await deps.store.getProject(p))) throw forbidden('admin');
    }
    for (const p of new Set([...t.declared, ...t.used]))
      check(principal, { kind: 'project', project: p, role: 'admin' });
  });

  app.addHook('onResponse', async (req, reply) => {
    const url = req.routeOptions.url;
    if (!MUTATING.has(req.method) || url === undefined) return;
    const params = req.params as Record<string, string | undefined>;
    const principal = principals.get(req);
    const who =
      principal && principal !== ANONYMOUS
        ? principal.subject
        : url.startsWith('/webhook/')
          ? 'webhook'
          : principal === ANONYMOUS
            ? headerUser(req)
            : 'unauthenticated';
    try {
      await audit.record(
        {
          at: clock().toISOString(),
          who,
          ...(principal && principal !== ANONYMOUS ? { token: principal.name } : {}),
          route: `${req.method} ${url}`,
          ...(params.name ? { target: params.name } : {}),
          status: reply.statusCode,
          from: req.ip,
        },
        auditProjects.get(req) ?? (params.project ? [params.project] : []),
      );
    } catch (err) {
      req.log.warn({ err }, 'audit entry not written');
    }
  });

  authConfigRoute(app, authConfigAnswer(options.mode, options.mode === 'none' ? undefined : options.oidc));

  const RoleBindingSchema = {
    type: 'object',
    properties: {
      project: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
      role: { type: 'string', enum: Object.values(Roles) },
    },
    required: ['role'],
    additionalProperties: false,
  } as const;

  await app.register(
    async (r) => {
      r.post<{
        Body: {
          name: string;
          subject?: string;
          roles: { project?: string; role: 'viewer' | 'promoter' | 'admin' }[];
          expiresAt?: string;
        };
      }>(
        '/tokens',
        {
          schema: {
            tags: ['access'],
            summary: 'Create an API token (system admin); the answer holds the token, shown only this once',
            body: {
              type: 'object',
              properties: {
                name: { type: 'string', pattern: '^[A-Za-z0-9][-A-Za-z0-9_.@]{0,99}$' },
                subject: { type: 'string', minLength: 1, maxLength: 200 },
                roles: { type: 'array', items: RoleBindingSchema, maxItems: 100 },
                expiresAt: { type: 'string', format: 'date-time' },
              },
              required: ['name', 'roles'],
              additionalProperties: false,
            },
          },
        },
        async (req, reply) => {
          const expires = req.body.expiresAt === undefined ? undefined : Date.parse(req.body.expiresAt);
          if (expires !== undefined && expires <= clock().getTime()) {
            throw new ValidationError('the token request is invalid', [
              {
                path: '/expiresAt',
                message: `${req.body.expiresAt} is not in the future; give a later time or leave it out for a token that does not expire`,
              },
            ]);
          }
          for (const b of req.body.roles) {
            if (!b.project && b.role !== 'admin') {
              throw new FerryError(
                'FERRY_ERR_VALIDATION',
                `role "${b.role}" needs a "project"; only "admin" exists without one (the system admin)`,
              );
            }
          }
          const created = await tokens.create(req.body);
          if (!created) {
            throw new FerryError('FERRY_ERR_TOKEN_EXISTS', `an API token named "${req.body.name}" exists`);
          }
          return reply.status(201).send({ ...created.info, token: created.token });
        },
      );
      r.get(
        '/tokens',
        {
          schema: {
            tags: ['access'],
            summary: 'List API tokens, without secrets; `expired` marks those past their expiresAt',
          },
        },
        async () => {
          const now = clock().getTime();
          return {
            items: (await tokens.list()).map((t) =>
              t.expiresAt === undefined ? t : { ...t, expired: Date.parse(t.expiresAt) <= now },
            ),
          };
        },
      );
      r.delete<{ Params: { name: string } }>(
        '/tokens/:name',
        { schema: { tags: ['access'], summary: 'Revoke an API token' } },
        async (req, reply) => {
          if (!(await tokens.delete(req.params.name))) {
            throw new FerryError('FERRY_ERR_TOKEN_NOT_FOUND', `no API token named "${req.params.name}"`);
          }
          return reply.status(204).send();
        },
      );
      r.get(
        '/whoami',
        { schema: { tags: ['access'], summary: 'Who the token belongs to, and its roles' } },
        async (req) => {
          const p = principalOf(req) ?? ANONYMOUS;
          return { name: p.name, subject: p.subject, roles: p.roles, auth: options.mode };
        },
      );
      r.get<{ Params: { project: string }; Querystring: { limit?: number } }>(
        '/projects/:project/audit',
        {
          schema: {
            tags: ['access'],
            summary: "A Project's audit log, newest first (Project admin)",
            querystring: {
              type: 'object',
              properties: { limit: { type: 'integer', minimum: 1, maximum: AUDIT_KEEP } },
            },
          },
        },
        async (req) => ({ items: await audit.list(req.params.project, req.query.limit) }),
      );
    },
    { prefix: '/api/v1' },
  );
}

/** With auth off, who asked is the `X-Ferry-User` header, else `api`, as before auth existed. */
export const headerUser = (req: FastifyRequest): string => {
  const h = req.headers['x-ferry-user'];
  return (Array.isArray(h) ? h[0] : h)?.slice(0, 200) || 'api';
};
