import type { Freight, Stage } from '@ferry/contracts';
import { FerryError, isTerminalPhase } from '@ferry/contracts';
import { freightAvailability, stagesFedBy } from '@ferry/kargo';
import { extractTraceContext, Kinds, withSpan } from '@ferry/observability';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ulid } from 'ulid';
import type { ApiDeps } from '../app.ts';
import { ANONYMOUS, headerUser, principalOf } from '../auth/index.ts';
import { NamedParams, Obj, ProjectParams } from './schemas.ts';

/** Who asked: the authenticated token's subject, else (auth off) the `X-Ferry-User` header or `api`. */
export const actor = (req: FastifyRequest): string => {
  const p = principalOf(req);
  return p && p !== ANONYMOUS ? p.subject : headerUser(req);
};

const FreightBody = {
  type: 'object',
  properties: {
    freight: { type: 'string', pattern: '^[a-f0-9]{40}$' },
    freightAlias: { type: 'string', minLength: 1 },
  },
  additionalProperties: false,
} as const;

/** Operations on Freight and Promotions beyond promote: approve, reject, abort, rollback, promote downstream. */
export const freightOperationRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const { store, bus } = deps;
  const clock = deps.clock ?? (() => new Date());

  const projectOr404 = async (project: string) => {
    if (!(await store.getProject(project))) {
      throw new FerryError('FERRY_ERR_PROJECT_NOT_FOUND', `Project "${project}" not found`);
    }
  };
  const stageOr404 = async (project: string, name: string): Promise<Stage> => {
    const stage = await store.getStage(project, name);
    if (!stage)
      throw new FerryError('FERRY_ERR_STAGE_NOT_FOUND', `Stage "${name}" not found in Project "${project}"`);
    return stage;
  };
  const freightOr404 = async (
    project: string,
    body: { freight?: string; freightAlias?: string },
  ): Promise<Freight> => {
    if (!!body.freight === !!body.freightAlias) {
      throw new FerryError(
        'FERRY_ERR_VALIDATION',
        'give exactly one of "freight" (an id) and "freightAlias"',
      );
    }
    const f = body.freight
      ? await store.getFreight(project, body.freight)
      : await store.getFreightByAlias(project, body.freightAlias!);
    if (!f) {
      throw new FerryError(
        'FERRY_ERR_FREIGHT_NOT_FOUND',
        `Freight "${body.freight ?? body.freightAlias}" not found in Project "${project}"`,
      );
    }
    return f;
  };

  /** Asks the promoter for a Promotion of `freight` to `stage`, inside a new server span. */
  const requestPromotion = async (req: FastifyRequest, project: string, stage: Stage, freight: Freight) => {
    const availability = freightAvailability(stage, freight);
    if (!availability.available) throw new FerryError('FERRY_ERR_FREIGHT_NOT_AVAILABLE', availability.reason);
    const now = clock();
    const name = `${stage.metadata.name}.${ulid(now.getTime()).toLowerCase()}.${freight.metadata.name.slice(0, 7)}`;
    const parent = extractTraceContext({
      get: (k) => {
        const v = req.headers[k];
        return Array.isArray(v) ? v[0] : v;
      },
      set: () => {},
    });
    await withSpan(
      `POST ${req.routeOptions.url}`,
      {
        kind: Kinds.server,
        parent,
        attributes: { 'ferry.project': project, 'ferry.stage': stage.metadata.name, 'ferry.promotion': name },
      },
      () =>
        bus.publish(
          'CreatePromotion',
          {
            project,
            promotion: name,
            stage: stage.metadata.name,
            freight: freight.metadata.name,
            requestedBy: actor(req),
            requestedAt: now.toISOString(),
          },
          `create-promotion:${project}:${name}`,
        ),
    );
    return { name, stage: stage.metadata.name, freight: freight.metadata.name, phase: 'Pending' };
  };

  app.post<{ Params: { project: string }; Body: { freight?: string; freightAlias?: string; stage: string } }>(
    '/projects/:project/freight/approve',
    {
      schema: {
        tags: ['operations'],
        summary: 'Approve Freight for a Stage: it may go there without being verified upstream',
        params: ProjectParams,
        body: {
          ...FreightBody,
          properties: { ...FreightBody.properties, stage: { type: 'string', minLength: 1 } },
          required: ['stage'],
        },
        response: { 202: Obj },
      },
    },
    async (req, reply) => {
      const { project } = req.params;
      await projectOr404(project);
      const stage = await stageOr404(project, req.body.stage);
      const freight = await freightOr404(project, req.body);
      const by = actor(req);
      await bus.publish(
        'ApproveFreight',
        {
          project,
          freight: freight.metadata.name,
          stage: stage.metadata.name,
          by,
          at: clock().toISOString(),
        },
        `approve:${project}:${freight.metadata.name}:${stage.metadata.name}`,
      );
      return reply.status(202).send({
        freight: freight.metadata.name,
        alias: freight.alias,
        stage: stage.metadata.name,
        approved: 'requested',
      });
    },
  );

  app.post<{
    Params: { project: string };
    Body: { freight?: string; freightAlias?: string; stage?: string; reason?: string; undo?: boolean };
  }>(
    '/projects/:project/freight/reject',
    {
      schema: {
        tags: ['operations'],
        summary:
          'Reject Freight for a Stage (or every Stage): it is no longer available there, never auto-promoted',
        params: ProjectParams,
        body: {
          ...FreightBody,
          properties: {
            ...FreightBody.properties,
            stage: { type: 'string', minLength: 1, description: 'omit to reject everywhere' },
            reason: { type: 'string', maxLength: 1000 },
            undo: { type: 'boolean', description: 'undo an earlier rejection' },
          },
        },
        response: { 202: Obj },
      },
    },
    async (req, reply) => {
      const { project } = req.params;
      await projectOr404(project);
      if (req.body.stage) await stageOr404(project, req.body.stage);
      const freight = await freightOr404(project, req.body);
      const stage = req.body.stage ?? '*';
      const at = clock().toISOString();
      await bus.publish(
        'RejectFreight',
        {
          project,
          freight: freight.metadata.name,
          stage,
          by: actor(req),
          reason: req.body.reason ?? '',
          at,
          undo: !!req.body.undo,
        },
        `reject:${project}:${freight.metadata.name}:${stage}:${at}`,
      );
      return reply.status(202).send({
        freight: freight.metadata.name,
        alias: freight.alias,
        stage,
        [req.body.undo ? 'unrejected' : 'rejected']: 'requested',
      });
    },
  );

  app.post<{ Params: { project: string; name: string } }>(
    '/projects/:project/promotions/:name/abort',
    {
      schema: {
        tags: ['operations'],
        summary: 'Abort a Promotion that has not finished',
        params: NamedParams,
        response: { 202: Obj },
      },
    },
    async (req, reply) => {
      const { project, name } = req.params;
      await projectOr404(project);
      const p = await store.getPromotion(project, name);
      if (!p)
        throw new FerryError(
          'FERRY_ERR_PROMOTION_NOT_FOUND',
          `Promotion "${name}" not found in Project "${project}"`,
        );
      if (isTerminalPhase(p.status.phase)) {
        throw new FerryError(
          'FERRY_ERR_PROMOTION_FINISHED',
          `Promotion "${name}" already finished (${p.status.phase})`,
        );
      }
      await bus.publish(
        'AbortPromotion',
        { project, promotion: name, by: actor(req), at: clock().toISOString() },
        `abort:${project}:${name}`,
      );
      return reply.status(202).send({ promotion: name, abort: 'requested' });
    },
  );

  app.post<{ Params: { project: string; name: string }; Body: { abort?: boolean } }>(
    '/projects/:project/stages/:name/verify',
    {
      schema: {
        tags: ['operations'],
        summary: "Run the Stage's verification again for its current Freight, or abort the running one",
        params: NamedParams,
        body: { type: 'object', properties: { abort: { type: 'boolean' } }, additionalProperties: false },
        response: { 202: Obj },
      },
    },
    async (req, reply) => {
      const { project, name } = req.params;
      await projectOr404(project);
      const stage = await stageOr404(project, name);
      if (!stage.spec.verification?.analysisTemplates.length) {
        throw new FerryError(
          'FERRY_ERR_VALIDATION',
          `Stage "${name}" has no verification (spec.verification.analysisTemplates)`,
        );
      }
      const at = clock().toISOString();
      const abort = !!req.body?.abort;
      await bus.publish(
        'VerifyStage',
        { project, stage: name, abort, by: actor(req), at },
        `verify-stage:${project}:${name}:${at}`,
      );
      return reply.status(202).send({ stage: name, [abort ? 'abort' : 'verify']: 'requested' });
    },
  );

  app.post<{ Params: { project: string; name: string } }>(
    '/projects/:project/stages/:name/rollback',
    {
      schema: {
        tags: ['operations'],
        summary: 'Promote the Freight verified in the Stage before its current one',
        params: NamedParams,
        response: { 201: Obj },
      },
    },
    async (req, reply) => {
      const { project, name } = req.params;
      await projectOr404(project);
      const stage = await stageOr404(project, name);
      const history = await store.stageHistory(project, name);
      const current = history[0]?.freight;
      for (const h of history.slice(1)) {
        if (h.freight === current) continue;
        const f = await store.getFreight(project, h.freight);
        if (f?.status.verifiedIn[name] && freightAvailability(stage, f).available) {
          return reply.status(201).send(await requestPromotion(req, project, stage, f));
        }
      }
      throw new FerryError(
        'FERRY_ERR_NOTHING_TO_ROLL_BACK',
        `Stage "${name}" has no Freight verified in it before its current one${current ? ` (${current.slice(0, 7)})` : ''} that is still available`,
      );
    },
  );

  app.post<{ Params: { project: string; name: string }; Body: { freight?: string; freightAlias?: string } }>(
    '/projects/:project/stages/:name/promote-downstream',
    {
      schema: {
        tags: ['operations'],
        summary: 'Promote Freight to every Stage immediately downstream of this one',
        params: NamedParams,
        body: FreightBody,
        response: { 201: { type: 'object', properties: { items: { type: 'array', items: Obj } } } },
      },
    },
    async (req, reply) => {
      const { project, name } = req.params;
      await projectOr404(project);
      await stageOr404(project, name);
      const freight = await freightOr404(project, req.body);
      const downstream = stagesFedBy(await store.listStages(project), name);
      if (downstream.length === 0) {
        throw new FerryError('FERRY_ERR_STAGE_NOT_FOUND', `no Stage takes Freight from Stage "${name}"`);
      }
      // Check all first, so that either every downstream Stage gets a Promotion or none does.
      for (const s of downstream) {
        const a = freightAvailability(s, freight);
        if (!a.available) throw new FerryError('FERRY_ERR_FREIGHT_NOT_AVAILABLE', a.reason);
      }
      const items = [];
      for (const s of downstream) items.push(await requestPromotion(req, project, s, freight));
      return reply.status(201).send({ items });
    },
  );
};
