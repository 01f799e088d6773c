import { FerryError, isTerminalPhase } from '@ferry/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.ts';
import { actor } from './freight-operations.ts';
import { NamedParams, Obj } from './schemas.ts';

const ReasonBody = {
  type: 'object',
  properties: { reason: { type: 'string', maxLength: 2000 } },
  additionalProperties: false,
} as const;

/**
 * Approval gates: `POST .../promotions/:name/approve` and `.../reject` record a user's decision on
 * a Promotion with a `wait-for-approval` step (the promoter stores it and looks at the Stage again);
 * `GET .../promotions/:name/approvals` lists the decisions recorded so far.
 */
export const gateRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const { store, bus } = deps;
  const clock = deps.clock ?? (() => new Date());

  const decide =
    (reject: boolean) =>
    async (req: { params: { project: string; name: string }; body?: { reason?: string } }, by: string) => {
      const { project, name } = req.params;
      if (!(await store.getProject(project))) {
        throw new FerryError('FERRY_ERR_PROJECT_NOT_FOUND', `Project "${project}" not found`);
      }
      const p = await store.getPromotion(project, name);
      if (!p) {
        throw new FerryError(
          'FERRY_ERR_PROMOTION_NOT_FOUND',
          `Promotion "${name}" not found in Project "${project}"`,
        );
      }
      if (isTerminalPhase(p.status.phase)) {
        throw new FerryError(
          'FERRY_ERR_PROMOTION_FINISHED',
          `Promotion "${name}" already finished (${p.status.phase})`,
        );
      }
      if (!p.spec.steps.some((s) => s.uses === 'wait-for-approval')) {
        throw new FerryError(
          'FERRY_ERR_VALIDATION',
          `Promotion "${name}" has no wait-for-approval step: there is nothing to ${reject ? 'reject' : 'approve'}`,
        );
      }
      const reason = req.body?.reason;
      const at = clock().toISOString();
      await bus.publish(
        'ApprovePromotion',
        {
          project,
          promotion: name,
          by,
          at,
          ...(reject ? { reject: true } : {}),
          ...(reason ? { reason } : {}),
        },
        `approve-promotion:${project}:${name}:${by}:${reject ? 'reject' : 'approve'}`,
      );
      return { promotion: name, by, [reject ? 'rejected' : 'approved']: 'requested' };
    };

  app.get<{ Params: { project: string; name: string } }>(
    '/projects/:project/promotions/:name/approvals',
    {
      schema: {
        tags: ['operations'],
        summary: "The decisions recorded on a Promotion's wait-for-approval step, in the order they came",
        params: NamedParams,
        response: { 200: Obj },
      },
    },
    async (req) => {
      const { project, name } = req.params;
      if (!(await store.getPromotion(project, name))) {
        throw new FerryError(
          'FERRY_ERR_PROMOTION_NOT_FOUND',
          `Promotion "${name}" not found in Project "${project}"`,
        );
      }
      const decisions = (await store.promotionApprovals(project, name)).sort((a, b) =>
        a.at.localeCompare(b.at),
      );
      return { promotion: name, approvals: decisions };
    },
  );

  for (const reject of [false, true]) {
    app.post<{ Params: { project: string; name: string }; Body: { reason?: string } }>(
      `/projects/:project/promotions/:name/${reject ? 'reject' : 'approve'}`,
      {
        schema: {
          tags: ['operations'],
          summary: reject
            ? 'Reject a Promotion waiting in a wait-for-approval step (it fails)'
            : 'Approve a Promotion waiting in a wait-for-approval step',
          params: NamedParams,
          body: ReasonBody,
          response: { 202: Obj },
        },
      },
      async (req, reply) => reply.status(202).send(await decide(reject)(req, actor(req))),
    );
  }
};
