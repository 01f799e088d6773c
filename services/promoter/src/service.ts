import type { Freight, Promotion, Stage } from '@ferry/contracts';
import { isTerminalPhase, KARGO_API_VERSION } from '@ferry/contracts';
import { autoPromotionEnabled, freightAvailability, stagesFedBy } from '@ferry/kargo';
import { contextFromTraceparent, traceparentOf, withSpan } from '@ferry/observability';
import { every, type RunningService, type ServiceDeps } from '@ferry/runtime';
import { advancePromotion } from './execute.ts';
import { promotionNameFor, stageOfPromotion } from './names.ts';

/** Options for tests. */
export interface PromoterOptions {
  clock?: () => Date;
}

const STAGE_LEASE_MS = 60_000;

/**
 * promoter: owns Promotions and Stage history. Runs one Promotion at a time per Stage, in
 * order of request, step by step; a waiting step holds no worker. Every event only "kicks" a
 * Stage; what to do is decided from Redis, so a lost or repeated event changes nothing.
 */
export async function startPromoter(
  deps: ServiceDeps,
  options: PromoterOptions = {},
): Promise<RunningService> {
  const { bus, store, log, config } = deps;
  const clock = options.clock ?? (() => new Date());
  const dirtyKey = (p: string, s: string) => `ferry:promoter:dirty:${p}/${s}`;

  /** Makes a Promotion record (Pending) with the Stage's steps; false if the name exists. */
  const createPromotion = async (
    project: string,
    stage: Stage,
    freight: Freight,
    name: string,
    requestedBy: string,
  ): Promise<boolean> => {
    const now = clock().toISOString();
    const availability = freightAvailability(stage, freight);
    const promotion: Promotion = {
      apiVersion: KARGO_API_VERSION,
      kind: 'Promotion',
      metadata: {
        name,
        namespace: project,
        creationTimestamp: now,
        labels: { 'kargo.akuity.io/stage': stage.metadata.name },
      },
      spec: {
        stage: stage.metadata.name,
        freight: freight.metadata.name,
        steps: stage.spec.promotionTemplate?.spec.steps ?? [],
      },
      status: {
        phase: availability.available ? 'Pending' : 'Failed',
        ...(availability.available
          ? { message: 'waiting for its turn' }
          : { message: availability.reason, finishedAt: now }),
        currentStep: 0,
        stepExecutionMetadata: [],
        state: {},
        requestedBy,
        createdAt: now,
        revision: 0,
        ...(traceparentOf() ? { traceparent: traceparentOf() } : {}),
      },
    };
    const seq = await store.createPromotion(promotion);
    if (seq === 0) return false;
    log.info(
      { project, stage: stage.metadata.name, promotion: name, freight: freight.metadata.name, requestedBy },
      'promotion created',
    );
    await bus.publish(
      'PromotionCreated',
      { project, promotion: name, stage: stage.metadata.name, freight: freight.metadata.name },
      `promotion-created:${project}:${name}`,
    );
    return true;
  };

  /** Runs the Stage's queue as far as it goes. Serialised per Stage by a lease. */
  const kick = async (project: string, stage: string): Promise<void> => {
    await store.redis.set(dirtyKey(project, stage), '1', 'EX', 3600);
    for (let round = 0; round < 3; round++) {
      const lease = await store.acquireLease(`stage:${project}/${stage}`, STAGE_LEASE_MS);
      if (!lease) return; // the holder sees the dirty flag and goes round again
      try {
        while (await store.redis.getdel(dirtyKey(project, stage))) {
          await processStage(project, stage);
        }
      } finally {
        await store.releaseLease(lease);
      }
      // A kick that arrived between our last check and the release found the lease taken.
      if (!(await store.redis.exists(dirtyKey(project, stage)))) return;
    }
  };

  const processStage = async (project: string, stageName: string): Promise<void> => {
    for (let guard = 0; guard < 1000; guard++) {
      const promotions = await store.listPromotions(project, stageName);
      const current = promotions.find((p) => !isTerminalPhase(p.status.phase));
      if (!current) return;
      const waiting = await runOne(project, stageName, current);
      if (waiting) return;
    }
  };

  /** One pass over one Promotion; true when it now waits for something outside. */
  const runOne = async (project: string, stageName: string, promotion: Promotion): Promise<boolean> => {
    const parent = contextFromTraceparent(promotion.status.traceparent);
    return withSpan(
      'promotion advance',
      {
        parent,
        attributes: {
          'ferry.project': project,
          'ferry.stage': stageName,
          'ferry.promotion': promotion.metadata.name,
        },
      },
      async () => {
        const plog = log.child({
          project,
          stage: stageName,
          promotion: promotion.metadata.name,
          freight: promotion.spec.freight,
        });
        const now = clock();
        const [stage, freight] = await Promise.all([
          store.getStage(project, stageName),
          store.getFreight(project, promotion.spec.freight),
        ]);
        let next: Promotion['status'];
        let commands: Awaited<ReturnType<typeof advancePromotion>>['commands'] = [];
        if (!stage || !freight) {
          next = {
            ...promotion.status,
            phase: 'Errored',
            message: !stage
              ? `Stage "${stageName}" no longer exists`
              : `Freight ${promotion.spec.freight} no longer exists`,
            finishedAt: now.toISOString(),
          };
        } else if (promotion.status.phase === 'Pending' && !freightAvailability(stage, freight).available) {
          const a = freightAvailability(stage, freight);
          next = {
            ...promotion.status,
            phase: 'Failed',
            message: a.available ? '' : a.reason,
            finishedAt: now.toISOString(),
          };
        } else {
          ({ status: next, commands } = await advancePromotion(
            promotion,
            freight,
            { gitWrite: (id) => store.getGitWrite(id), argocdOp: (id) => store.getArgoCDOp(id) },
            now,
            { argocdTimeoutSeconds: config.argocdTimeoutSeconds },
          ));
        }
        const history =
          next.phase === 'Succeeded'
            ? {
                freight: promotion.spec.freight,
                promotion: promotion.metadata.name,
                promotedAt: now.toISOString(),
              }
            : undefined;
        const changed =
          JSON.stringify({ ...next, revision: 0 }) !== JSON.stringify({ ...promotion.status, revision: 0 });
        if (changed) {
          const ok = await store.casPromotionStatus(
            project,
            promotion.metadata.name,
            stageName,
            promotion.status.revision,
            next,
            history,
          );
          if (!ok) {
            plog.debug('promotion changed under us; going round again');
            return false;
          }
          if (next.phase !== promotion.status.phase)
            plog.info({ phase: next.phase, message: next.message }, 'promotion phase changed');
          await bus.publish(
            'PromotionChanged',
            {
              project,
              promotion: promotion.metadata.name,
              stage: stageName,
              phase: next.phase,
              step: next.currentStep,
              revision: promotion.status.revision + 1,
            },
            `promotion-changed:${project}:${promotion.metadata.name}:${promotion.status.revision + 1}`,
          );
        }
        for (const c of commands) {
          if (c.type === 'WriteGit') await bus.publish('WriteGit', c.payload, c.msgId);
          else await bus.publish('SyncArgoCDApp', c.payload, c.msgId);
        }
        if (next.phase === 'Succeeded' && changed) {
          // No verification configured: the Promotion succeeded and its Argo CD apps (if any)
          // were Synced and Healthy at the revision, so the Freight is verified here.
          await bus.publish(
            'MarkFreightVerified',
            {
              project,
              freight: promotion.spec.freight,
              stage: stageName,
              promotion: promotion.metadata.name,
              verifiedAt: now.toISOString(),
            },
            `verify:${project}:${promotion.spec.freight}:${stageName}`,
          );
        }
        // Not finished means a step waits for git-writer or Argo CD: their facts kick us again.
        return !isTerminalPhase(next.phase);
      },
    );
  };

  /** Auto-promotion: promote `freight` to each candidate Stage whose policy allows it. */
  const autoPromote = async (
    project: string,
    freightId: string,
    candidates: (stages: Stage[]) => Stage[],
  ) => {
    const [freight, stages, pc] = await Promise.all([
      store.getFreight(project, freightId),
      store.listStages(project),
      store.getProjectConfig(project),
    ]);
    if (!freight) return;
    for (const stage of candidates(stages)) {
      if (!autoPromotionEnabled(pc, stage)) continue;
      if (!freightAvailability(stage, freight).available) continue;
      if (!(stage.spec.promotionTemplate?.spec.steps.length ?? 0)) continue;
      // Newest Freight wins: never auto-promote something older than what the Stage has had.
      const history = await store.listPromotions(project, stage.metadata.name);
      const newer = await Promise.all(history.map((p) => store.getFreight(project, p.spec.freight)));
      if (
        newer.some(
          (f) => f && (f.metadata.creationTimestamp ?? '') > (freight.metadata.creationTimestamp ?? ''),
        )
      )
        continue;
      const claim = await store.redis.set(
        `ferry:p:${project}:auto:${stage.metadata.name}:${freightId}`,
        '1',
        'NX',
      );
      if (!claim) continue;
      const name = promotionNameFor(stage.metadata.name, freightId, clock().getTime());
      await createPromotion(project, stage, freight, name, 'ferry:auto-promotion');
      await kick(project, stage.metadata.name);
    }
  };

  const consumers = [
    await bus.consume({
      type: 'CreatePromotion',
      durable: 'promoter-create',
      handler: async (cmd, ctx) => {
        const [stage, freight] = await Promise.all([
          store.getStage(cmd.project, cmd.stage),
          store.getFreight(cmd.project, cmd.freight),
        ]);
        if (!stage || !freight) {
          ctx.log.warn(
            { stage: cmd.stage, freight: cmd.freight },
            'promotion asked for a missing stage or freight; dropped',
          );
          return;
        }
        await createPromotion(cmd.project, stage, freight, cmd.promotion, cmd.requestedBy);
        await kick(cmd.project, cmd.stage);
      },
    }),
    await bus.consume({
      type: 'GitWritten',
      durable: 'promoter-git-written',
      handler: async (evt) => kick(evt.project, stageOfPromotion(evt.writeId.split('/')[0]!)),
    }),
    await bus.consume({
      type: 'ArgoCDSynced',
      durable: 'promoter-argocd-synced',
      handler: async (evt) => kick(evt.project, stageOfPromotion(evt.opId.split('/')[0]!)),
    }),
    await bus.consume({
      type: 'FreightCreated',
      durable: 'promoter-freight-created',
      handler: async (evt) =>
        autoPromote(evt.project, evt.freight, (stages) =>
          stages.filter((s) =>
            s.spec.requestedFreight.some((r) => r.origin.name === evt.warehouse && r.sources.direct),
          ),
        ),
    }),
    await bus.consume({
      type: 'FreightVerified',
      durable: 'promoter-freight-verified',
      handler: async (evt) =>
        autoPromote(evt.project, evt.freight, (stages) => stagesFedBy(stages, evt.stage)),
    }),
  ];

  // Slow timer: every Stage with Promotions is looked at, so nothing waits on a lost message.
  const reconcile = every(
    config.reconcileIntervalMs,
    async () => {
      for (const member of await store.activeStages()) {
        const i = member.indexOf('/');
        await kick(member.slice(0, i), member.slice(i + 1));
      }
    },
    log,
  );

  return {
    stop: async () => {
      await Promise.all(consumers.map((c) => c.stop()));
      await reconcile.stop();
    },
  };
}
