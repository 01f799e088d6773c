/**
 * `POST /api/v1/projects/:project/subscriptions/test`: what a Warehouse's subscriptions would pick
 * now, and their ranked candidates, without changing anything. The Warehouse is read like `ferry
 * apply` reads it; warehouse-poller discovers it with a read-only view of its caches.
 */
import {
  FerryError,
  KARGO_API_VERSION,
  type Problem,
  ValidationError,
  type Warehouse,
} from '@ferry/contracts';
import { parseManifests } from '@ferry/kargo';
import type { FastifyPluginAsync } from 'fastify';
import YAML from 'yaml';
import type { ApiDeps } from '../app.ts';
import { askPoller } from '../poller-requests.ts';
import { ProjectParams } from './schemas.ts';

/** The request body: a Kargo Warehouse manifest as text, or a Warehouse spec as an object. */
export interface SubscriptionTestBody {
  /** YAML of one Kargo Warehouse (`ferry test subscription -f FILE`); problems name its lines. */
  manifest?: string;
  /** A Kargo Warehouse `spec` (its `subscriptions`, as in a manifest). */
  spec?: Record<string, unknown>;
  /** The Warehouse's name in answers and messages (with `spec`); default `test`. */
  name?: string;
}

const Candidate = {
  type: 'object',
  properties: {
    tag: { type: 'string' },
    digest: { type: 'string' },
    createdAt: { type: 'string' },
    id: { type: 'string' },
    branch: { type: 'string' },
    subject: { type: 'string' },
    creatorDate: { type: 'string' },
    version: { type: 'string' },
  },
} as const;

/** The answer: one entry per subscription, and the Freight id the picks would make. */
export const SubscriptionTestAnswerSchema = {
  type: 'object',
  required: ['warehouse', 'subscriptions', 'warnings'],
  properties: {
    warehouse: { type: 'string', description: 'the Warehouse tested' },
    freight: {
      type: 'string',
      description: 'id of the Freight the picks would make; absent if one found nothing',
    },
    warnings: {
      type: 'array',
      items: { type: 'string' },
      description: 'what reading the Warehouse warned about',
    },
    subscriptions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'kind', 'repoURL', 'candidates'],
        properties: {
          index: { type: 'integer' },
          kind: { type: 'string', enum: ['image', 'git', 'chart'] },
          repoURL: { type: 'string' },
          name: { type: 'string' },
          picked: Candidate,
          candidates: { type: 'array', items: Candidate },
          error: { type: 'string' },
        },
      },
    },
  },
} as const;

/** Reads the one Warehouse of a body; throws a 400 naming every problem. */
export function warehouseOfBody(
  project: string,
  body: SubscriptionTestBody,
): { warehouse: Warehouse; warnings: string[] } {
  if ((body.manifest === undefined) === (body.spec === undefined)) {
    throw new FerryError(
      'FERRY_ERR_VALIDATION',
      'give exactly one of "manifest" (Warehouse YAML) and "spec" (a Warehouse spec)',
    );
  }
  const fromSpec = body.spec !== undefined;
  const text =
    body.manifest ??
    YAML.stringify({
      apiVersion: KARGO_API_VERSION,
      kind: 'Warehouse',
      metadata: { name: body.name ?? 'test', namespace: project },
      spec: body.spec,
    });
  // A spec has no file of its own: its problems are named by their path under /spec alone.
  const unfile = (s: string) => (fromSpec ? s.replace(/^document 1 \([^)]*\)(: )?/, '') : s);
  let parsed: ReturnType<typeof parseManifests>;
  try {
    parsed = parseManifests(text, { defaultProject: project, knownProjects: new Set([project]) });
  } catch (err) {
    if (err instanceof ValidationError && fromSpec) {
      const problems: Problem[] = err.problems.map((p) => ({ path: unfile(p.path), message: p.message }));
      throw new ValidationError('the Warehouse spec is invalid', problems, 'FERRY_ERR_BAD_MANIFEST');
    }
    throw err;
  }
  const found = parsed.resources.filter((r) => r.resource.kind === 'Warehouse');
  const other = parsed.resources.find((r) => r.resource.kind !== 'Warehouse');
  if (found.length !== 1 || other) {
    const kinds = parsed.resources.map((r) => `${r.resource.kind} "${r.resource.metadata.name}"`);
    throw new FerryError(
      'FERRY_ERR_BAD_MANIFEST',
      `the manifest must hold exactly one Warehouse and nothing else; it holds ${kinds.length ? kinds.join(', ') : 'no Kargo resource'}`,
    );
  }
  if (found[0]!.project !== project) {
    throw new FerryError(
      'FERRY_ERR_BAD_MANIFEST',
      `the Warehouse belongs to Project "${found[0]!.project}", not "${project}"; drop its metadata.namespace or use -p ${found[0]!.project}`,
    );
  }
  return { warehouse: found[0]!.resource as Warehouse, warnings: parsed.warnings.map(unfile) };
}

/** Registers `POST /projects/:project/subscriptions/test`. */
export const subscriptionTestRoutes: FastifyPluginAsync<{ deps: ApiDeps; timeoutMs?: number }> = async (
  app,
  { deps, timeoutMs },
) => {
  app.post<{ Params: { project: string }; Body: SubscriptionTestBody }>(
    '/projects/:project/subscriptions/test',
    {
      schema: {
        tags: ['operations'],
        summary: "Show what a Warehouse's subscriptions would pick now, changing nothing",
        description:
          'Discovers the given Warehouse (not stored) with the registry and git, reading but never writing ' +
          'the discovery caches: no Warehouse status, no Freight, no schedule. Each subscription lists its ' +
          'ranked candidates, its pick, or its error.',
        params: ProjectParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            manifest: {
              type: 'string',
              minLength: 1,
              maxLength: 1_000_000,
              description: 'YAML of one Kargo Warehouse',
            },
            spec: { type: 'object', additionalProperties: true, description: 'a Kargo Warehouse spec' },
            name: { type: 'string', minLength: 1, maxLength: 253, description: 'the name used with spec' },
          },
        },
        response: { 200: SubscriptionTestAnswerSchema },
      },
    },
    async (req) => {
      const { project } = req.params;
      if (!(await deps.store.getProject(project)))
        throw new FerryError('FERRY_ERR_PROJECT_NOT_FOUND', `Project "${project}" not found`);
      const { warehouse, warnings } = warehouseOfBody(project, req.body);
      const answer = await askPoller(
        deps.bus,
        'TestSubscriptions',
        {
          project,
          warehouse: warehouse as unknown as Parameters<
            typeof askPoller<'TestSubscriptions'>
          >[2]['warehouse'],
        },
        timeoutMs,
      );
      return { warehouse: warehouse.metadata.name, warnings, ...answer };
    },
  );
};
