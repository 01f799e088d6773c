/**
 * `POST /projects/:project/promotions/dry-run`: what promoting would do, changing nothing. The body
 * is the promote body (plus optional `vars`); the promoter answers the plan over its request
 * subject, asking git-writer for the diff of each git push. No Promotion is created, nothing is
 * committed or pushed.
 */
import type { Bus } from '@ferry/bus';
import {
  type ErrorCode,
  ErrorCodes,
  FerryError,
  type PromotionPlan,
  PromotionPlanReplySchema,
  type PromotionPlanRequest,
  PromotionPlanSchema,
  promotionPlanSubject,
  validate,
} from '@ferry/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.ts';
import { ProjectParams } from './schemas.ts';

/** How long the api waits for the promoter's plan (below the CLI's 30 s request timeout). */
export const PLAN_TIMEOUT_MS = 25_000;

/** The plan's JSON Schema without TypeBox's symbol keys, for fastify and the OpenAPI document. */
const PlanAnswer = JSON.parse(JSON.stringify(PromotionPlanSchema)) as Record<string, unknown>;

const DryRunBody = {
  type: 'object',
  properties: {
    stage: { type: 'string', minLength: 1, description: 'the Stage to promote to' },
    freight: { type: 'string', pattern: '^[a-f0-9]{40}$', description: 'the Freight, by id' },
    freightAlias: { type: 'string', minLength: 1, description: 'the Freight, by alias' },
    vars: {
      type: 'array',
      maxItems: 100,
      description: "variables added after the Stage template's vars (a later one of the same name wins)",
      items: {
        type: 'object',
        properties: { name: { type: 'string', minLength: 1 }, value: { type: 'string' } },
        required: ['name', 'value'],
        additionalProperties: false,
      },
    },
  },
  required: ['stage'],
  additionalProperties: false,
} as const;

/** The body of a dry run: the promote body and optional `vars`. */
interface DryRunBodyType {
  stage: string;
  freight?: string;
  freightAlias?: string;
  vars?: Array<{ name: string; value: string }>;
}

/**
 * Asks the promoter for a plan. Throws `FERRY_ERR_UNAVAILABLE` (503) when no promoter answers in
 * time, and the promoter's own code (Stage or Freight not found, bad request) when it refuses.
 */
export async function askPlan(
  bus: Pick<Bus, 'nc'>,
  request: PromotionPlanRequest,
  timeoutMs = PLAN_TIMEOUT_MS,
): Promise<PromotionPlan> {
  let raw: unknown;
  try {
    const msg = await bus.nc.request(promotionPlanSubject(request.project), JSON.stringify(request), {
      timeout: timeoutMs,
    });
    raw = msg.json();
  } catch (err) {
    const e = err as Error & { isNoResponders?: () => boolean };
    const why =
      e.isNoResponders?.() === true
        ? 'no promoter is running'
        : `the promoter did not answer within ${timeoutMs / 1000}s (${e.message})`;
    throw new FerryError('FERRY_ERR_UNAVAILABLE', `${why}; start it (or check its logs) and try again`, {
      cause: err,
    });
  }
  const reply = validate(PromotionPlanReplySchema, raw, "the promoter's plan reply");
  if ('error' in reply) {
    const code: ErrorCode = reply.code in ErrorCodes ? (reply.code as ErrorCode) : 'FERRY_ERR_INTERNAL';
    throw new FerryError(code, reply.error);
  }
  return reply.plan;
}

/** Registers `POST /projects/:project/promotions/dry-run` (the promoter role, like promote). */
export const promotionDryRunRoutes: FastifyPluginAsync<{ deps: ApiDeps; timeoutMs?: number }> = async (
  app,
  { deps, timeoutMs },
) => {
  app.post<{ Params: { project: string }; Body: DryRunBodyType }>(
    '/projects/:project/promotions/dry-run',
    {
      schema: {
        tags: ['operations'],
        summary: 'Show what promoting Freight to a Stage would do, changing nothing',
        description:
          'Builds the steps a Promotion would run (template, PromotionTasks, vars) and walks them: ' +
          'expressions and ifs evaluated, file edits planned, the diff of each git-push computed by ' +
          'git-writer without committing or pushing; steps with outside effects (Argo CD, HTTP, pull ' +
          'requests, approvals) are listed with their evaluated config (secrets redacted) and not run. ' +
          'No Promotion is created. Freight not available to the Stage is planned with a warning.',
        params: ProjectParams,
        body: DryRunBody,
        response: { 200: PlanAnswer },
      },
    },
    async (req) => {
      const { project } = req.params;
      const { stage, freight, freightAlias, vars } = req.body;
      if (!!freight === !!freightAlias) {
        throw new FerryError(
          'FERRY_ERR_VALIDATION',
          'give exactly one of "freight" (an id) and "freightAlias"',
        );
      }
      if (!(await deps.store.getProject(project)))
        throw new FerryError('FERRY_ERR_PROJECT_NOT_FOUND', `Project "${project}" not found`);
      const plan = await askPlan(
        deps.bus,
        { project, stage, freight: (freight ?? freightAlias)!, ...(vars ? { vars } : {}) },
        timeoutMs,
      );
      req.log.info(
        { project, stage, freight: plan.freight.id, steps: plan.steps.length },
        'promotion dry run',
      );
      return plan;
    },
  );
};
