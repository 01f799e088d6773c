import { isFinished } from '@ferry/analysis';
import type { Freight, Promotion, Stage } from '@ferry/contracts';
import { isTerminalPhase, KARGO_API_VERSION } from '@ferry/contracts';
import { autoPromotionEnabled, freightAvailability, inflateTaskSteps, stagesFedBy } from '@ferry/kargo';
import { recordPromotionFinished, recordQueue } from '@ferry/metrics';
import { contextFromTraceparent, traceparentOf, withSpan } from '@ferry/observability';
import { every, type RunningService, type ServiceDeps } from '@ferry/runtime';
import { SecretStore } from '@ferry/store';
import {
  AUTO_PROMOTION_ACTOR,
  candidateFor,
  decideAutoPromotion,
  holdIntent,
  originKey,
  selectionPolicyOf,
} from './auto-promotion.ts';
import { advancePromotion } from './execute.ts';
import { promotionNameFor, stageOfPromotion } from './names.ts';
import { startPlanResponder } from './plan.ts';
import { stepPorts } from './steps/ports.ts';
import { Verifier, verifies } from './verification.ts';
import { windowDecision } from './windows.ts';

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
  // `secret('name')` in promotion expressions reads the Project's generic Secrets (encrypted at rest).
  const secrets = new SecretStore(store.redis, config.encryptionKey);
  const clock = options.clock ?? (() => new Date());
  const dirtyKey = (p: string, s: string) => `ferry:promoter:dirty:${p}/${s}`;
  const verifier = new Verifier({ store, bus, log });

  /** Makes a Promotion record (Pending) with the Stage's steps; false if the name exists. */
  const createPromotion = async (
    project: string,
    stage: Stage,
    freight: Freight,
    name: string,
    requestedBy: string,
  ): Promise<boolean> => {
    const now = clock().toISOString();
    const availability = freightAvailability(stage, freight, clock());
    const template = stage.spec.promotionTemplate?.spec;
    // Task steps are replaced by their tasks' steps now, as Kargo does, so a later change to a
    // PromotionTask never alters a Promotion already made.
    const inflated = await inflateTaskSteps(template?.steps ?? [], template?.vars, (ref) =>
      store.getPromotionTask(ref.kind === 'ClusterPromotionTask' ? '' : project, ref.name),
    );
    const problem = 'problem' in inflated ? inflated.problem : undefined;
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
        steps: 'steps' in inflated ? inflated.steps : (template?.steps ?? []),
        ...(stage.spec.promotionTemplate?.spec.vars ? { vars: stage.spec.promotionTemplate.spec.vars } : {}),
      },
      status: {
        phase: problem ? 'Errored' : availability.available ? 'Pending' : 'Failed',
        ...(problem
          ? { message: `cannot use the Stage's PromotionTasks: ${problem}`, finishedAt: now }
          : availability.available
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
    await applyHoldIntent(project, stage, freight, promotion).catch((err) =>
      log.error({ err, promotion: name }, 'auto-promotion hold not updated'),
    );
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

  /** The auto-promotion candidate of one origin of a Stage (NewestFreight or MatchUpstream). */
  const candidateOf = async (
    project: string,
    stage: Stage,
    warehouse: string,
  ): Promise<string | undefined> => {
    const request = stage.spec.requestedFreight.find((r) => r.origin.name === warehouse);
    if (!request) return undefined;
    const all = await store.listFreight(project, warehouse);
    const available = all.filter((f) => freightAvailability(stage, f, clock()).available);
    let upstreamCurrent: string | undefined;
    const upstream = request.sources.stages[0];
    if (selectionPolicyOf(request) === 'MatchUpstream' && upstream) {
      const ids = new Set(all.map((f) => f.metadata.name));
      upstreamCurrent = (await store.stageHistory(project, upstream)).find((h) =>
        ids.has(h.freight),
      )?.freight;
    }
    return candidateFor({ request, available, ...(upstreamCurrent ? { upstreamCurrent } : {}) });
  };

  /**
   * A Promotion asked for by hand sets or releases the Stage's hold on its Freight's origin (Kargo's
   * hold semantics; Ferry applies the intent when the Promotion is created, Kargo when it ends).
   */
  const applyHoldIntent = async (project: string, stage: Stage, freight: Freight, promotion: Promotion) => {
    const requestedBy = promotion.status.requestedBy ?? '';
    if (requestedBy === AUTO_PROMOTION_ACTOR) return;
    const enabled = autoPromotionEnabled(await store.getProjectConfig(project), stage);
    const warehouse = freight.origin.name;
    const intent = holdIntent({
      requestedBy,
      autoPromotionEnabled: enabled,
      freight: freight.metadata.name,
      candidate: enabled ? await candidateOf(project, stage, warehouse) : undefined,
    });
    if (!intent) return;
    const key = originKey(warehouse);
    await store.setStageHold(
      project,
      stage.metadata.name,
      key,
      intent === 'hold'
        ? {
            freight: freight.metadata.name,
            origin: { kind: 'Warehouse', name: warehouse },
            promotion: promotion.metadata.name,
            actor: requestedBy,
            createdAt: promotion.status.createdAt ?? clock().toISOString(),
          }
        : null,
    );
    log.info({ project, stage: stage.metadata.name, origin: key, intent }, 'auto-promotion hold updated');
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

  /**
   * Keeps the Stage's verification going: starts it for Freight a Promotion just delivered (also
   * after a crash between the two), takes the measurements that are due, and says whether the
   * Stage must wait ("the next Promotion does not start while the current Freight's verification
   * runs").
   */
  const verificationBlocks = async (project: string, stageName: string): Promise<string | undefined> => {
    const stage = await store.getStage(project, stageName);
    if (!stage || !verifies(stage)) return undefined;
    const [last] = await store.stageHistory(project, stageName);
    if (!last) return undefined;
    let state = await verifier.current(project, stageName);
    if (!state || state.promotion !== last.promotion) {
      state = await verifier.start(project, stage, last.freight, last.promotion, clock());
    } else if (!isFinished(state.run.phase)) {
      state = await verifier.advance(project, stageName, state, clock());
    }
    if (isFinished(state.run.phase)) return undefined;
    return `waiting for the verification of Freight ${state.freight.slice(0, 7)} in ${stageName} (${state.run.phase}) to finish`;
  };

  const processStage = async (project: string, stageName: string): Promise<void> => {
    for (let guard = 0; guard < 1000; guard++) {
      const verifying = await verificationBlocks(project, stageName);
      if (verifying) {
        await explainQueue(project, stageName, verifying);
        return;
      }
      const promotions = await store.listPromotions(project, stageName);
      // Every pass (events and the reconcile timer) refreshes the queue gauges of the Stage.
      recordQueue(project, stageName, promotions, clock());
      const current = promotions.find((p) => !isTerminalPhase(p.status.phase));
      if (!current) return;
      const waiting = await runOne(project, stageName, current);
      if (waiting) {
        await explainQueue(project, stageName);
        return;
      }
    }
  };

  /** Tells every Pending Promotion behind the running one why it waits (Kargo users ask: akuity/kargo#3970). */
  const explainQueue = async (project: string, stageName: string, verifying?: string): Promise<void> => {
    const open = (await store.listPromotions(project, stageName)).filter(
      (p) => !isTerminalPhase(p.status.phase),
    );
    if (verifying) {
      for (const [i, p] of open.entries()) {
        const message = `${verifying}${i > 0 ? `; ${i} more ahead` : ''}`;
        if (p.status.phase !== 'Pending' || p.status.message === message) continue;
        await store.casPromotionStatus(project, p.metadata.name, stageName, p.status.revision, {
          ...p.status,
          message,
        });
      }
      return;
    }
    const [head, ...queued] = open;
    if (!head) return;
    const at = head.status.currentStep;
    const step = head.spec.steps[at];
    const where = step ? `, step ${at + 1}/${head.spec.steps.length} ${step.uses}` : '';
    for (const [i, p] of queued.entries()) {
      if (p.status.phase !== 'Pending') continue;
      const message = `waiting for ${head.metadata.name} (${head.status.phase}${where}) to finish${i > 0 ? `; ${i} more ahead` : ''}`;
      if (p.status.message === message) continue;
      await store.casPromotionStatus(project, p.metadata.name, stageName, p.status.revision, {
        ...p.status,
        message,
      });
    }
  };

  /** Aborts a Promotion that has not finished; a late git or Argo CD outcome is then ignored. */
  const abort = async (
    project: string,
    name: string,
    by: string,
    at: string,
    message = `aborted by ${by}`,
  ): Promise<void> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const p = await store.getPromotion(project, name);
      if (!p || isTerminalPhase(p.status.phase)) return;
      const ok = await store.casPromotionStatus(project, name, p.spec.stage, p.status.revision, {
        ...p.status,
        phase: 'Aborted',
        message,
        finishedAt: at,
      });
      if (ok) {
        log.info({ project, stage: p.spec.stage, promotion: name, by }, 'promotion aborted');
        recordPromotionFinished(project, p.spec.stage, {
          ...p,
          status: { ...p.status, phase: 'Aborted', finishedAt: at },
        });
        await bus.publish(
          'PromotionChanged',
          {
            project,
            promotion: name,
            stage: p.spec.stage,
            phase: 'Aborted',
            step: p.status.currentStep,
            revision: p.status.revision + 1,
          },
          `promotion-changed:${project}:${name}:${p.status.revision + 1}`,
        );
        await kick(project, p.spec.stage);
        return;
      }
    }
    throw new Error(`promotion ${name} kept changing while aborting; will retry`);
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
        // Promotion windows gate the start only: a Running Promotion finishes.
        const gate =
          stage && promotion.status.phase === 'Pending'
            ? windowDecision((await store.getProjectConfig(project))?.spec.promotionWindows, stage, now)
            : undefined;
        if (!stage || !freight) {
          // A deleted Stage's Promotions are aborted, here or by the DefinitionsDeleted handler,
          // whichever comes first.
          next = {
            ...promotion.status,
            phase: !stage ? 'Aborted' : 'Errored',
            message: !stage
              ? `aborted: Stage "${stageName}" was deleted`
              : `Freight ${promotion.spec.freight} no longer exists`,
            finishedAt: now.toISOString(),
          };
        } else if (
          promotion.status.phase === 'Pending' &&
          !freightAvailability(stage, freight, now).available
        ) {
          const a = freightAvailability(stage, freight, now);
          next = {
            ...promotion.status,
            phase: 'Failed',
            message: a.available ? '' : a.reason,
            finishedAt: now.toISOString(),
          };
        } else if (gate?.open === false) {
          // Stays Pending; the Stage is looked at again when the window opens (see kickTimer).
          next = { ...promotion.status, message: gate.reason };
          if (gate.nextOpen) await store.scheduleKick(project, stageName, gate.nextOpen.getTime());
        } else {
          ({ status: next, commands } = await advancePromotion(
            promotion,
            freight,
            {
              gitWrite: (id) => store.getGitWrite(id),
              argocdOp: (id) => store.getArgoCDOp(id),
              approvals: (name) => store.promotionApprovals(project, name),
              secret: (name) => secrets.getGeneric(project, name),
            },
            now,
            { argocdTimeoutSeconds: config.argocdTimeoutSeconds },
            stepPorts(config),
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
          // Recorded once: only the pass whose compare-and-set moved it into a final phase gets here.
          if (isTerminalPhase(next.phase) && !isTerminalPhase(promotion.status.phase)) {
            const finished = { ...promotion, status: next };
            const all = next.phase === 'Succeeded' ? await store.listPromotions(project, stageName) : [];
            recordPromotionFinished(project, stageName, finished, all);
          }
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
        if (next.phase === 'Succeeded' && changed && stage && !verifies(stage)) {
          // No verification configured: the Promotion succeeded and its Argo CD apps (if any)
          // were Synced and Healthy at the revision, so the Freight is verified here. With
          // verification, processStage starts it next (see verificationBlocks).
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
        if (next.phase === 'Succeeded' && changed && stage) {
          // MatchUpstream Stages follow what this Stage runs now, a rollback included (whose
          // Freight was verified here before, so no FreightVerified announces it).
          const followers = (list: Stage[]) =>
            stagesFedBy(list, stageName).filter((s) =>
              s.spec.requestedFreight.some(
                (r) => r.sources.stages.includes(stageName) && selectionPolicyOf(r) === 'MatchUpstream',
              ),
            );
          await autoPromote(project, promotion.spec.freight, followers).catch((err) =>
            log.error({ err, stage: stageName }, 'MatchUpstream auto-promotion failed'),
          );
        }
        // Not finished means a step waits for git-writer or Argo CD: their facts kick us again.
        return !isTerminalPhase(next.phase);
      },
    );
  };

  /**
   * Auto-promotion: promote `freight` to each candidate Stage whose policy allows it. With `cause`
   * (the traceparent of the discovery that found the Freight), each Promotion starts a trace of its
   * own that links to the discovery, rather than growing the discovery's trace.
   */
  const autoPromote = async (
    project: string,
    freightId: string,
    candidates: (stages: Stage[]) => Stage[],
    cause?: string,
  ) => {
    const [freight, stages, pc] = await Promise.all([
      store.getFreight(project, freightId),
      store.listStages(project),
      store.getProjectConfig(project),
    ]);
    if (!freight) return;
    for (const stage of candidates(stages)) {
      if (!autoPromotionEnabled(pc, stage)) continue;
      if (!freightAvailability(stage, freight, clock()).available) continue;
      if (!(stage.spec.promotionTemplate?.spec.steps.length ?? 0)) continue;
      const request = stage.spec.requestedFreight.find((r) => r.origin.name === freight.origin.name);
      const history = await store.listPromotions(project, stage.metadata.name);
      const holds = await store.getStageHolds(project, stage.metadata.name);
      let round = 0;
      if (request && selectionPolicyOf(request) === 'MatchUpstream') {
        const ids = new Set(
          (await store.listFreight(project, freight.origin.name)).map((f) => f.metadata.name),
        );
        const current = (await store.stageHistory(project, stage.metadata.name)).find((h) =>
          ids.has(h.freight),
        );
        const hold = holds[originKey(freight.origin.name)];
        const verdict = decideAutoPromotion({
          freight: freightId,
          candidate: await candidateOf(project, stage, freight.origin.name),
          ...(hold ? { hold } : {}),
          ...(current ? { current: current.freight } : {}),
          earlier: history.filter((p) => p.spec.freight === freightId).map((p) => p.status.phase),
        });
        if (!verdict.promote) {
          log.debug(
            { project, stage: stage.metadata.name, freight: freightId, reason: verdict.reason },
            'not auto-promoted',
          );
          continue;
        }
        round = verdict.round;
      } else {
        if (holds[originKey(freight.origin.name)]) continue;
        // Newest Freight wins: never auto-promote something older than what the Stage has had.
        const newer = await Promise.all(history.map((p) => store.getFreight(project, p.spec.freight)));
        if (
          newer.some(
            (f) => f && (f.metadata.creationTimestamp ?? '') > (freight.metadata.creationTimestamp ?? ''),
          )
        )
          continue;
      }
      // The claim holds the Promotion's name: a crash between claiming and creating is healed by
      // the redelivered fact, which creates the same Promotion (creation is idempotent by name).
      // MatchUpstream may take a Freight again after it was replaced: each time is a new round.
      const claimKey = `ferry:p:${project}:auto:${stage.metadata.name}:${freightId}${round > 0 ? `:${round}` : ''}`;
      const fresh = promotionNameFor(stage.metadata.name, freightId, clock().getTime());
      const claimed = await store.redis.set(claimKey, fresh, 'NX');
      const name = claimed ? fresh : await store.redis.get(claimKey);
      if (!name) continue;
      const create = () => createPromotion(project, stage, freight, name, AUTO_PROMOTION_ACTOR);
      if (cause) {
        const attributes = {
          'ferry.project': project,
          'ferry.stage': stage.metadata.name,
          'ferry.freight': freightId,
          'ferry.promotion': name,
        };
        await withSpan('auto-promotion', { root: true, links: [cause], attributes }, create);
      } else await create();
      await kick(project, stage.metadata.name);
    }
  };

  // Dry runs of Promotions (request/reply): build and walk the steps, write nothing.
  const plans = startPlanResponder({ bus, lookup: store, log, clock });

  const consumers = [
    await bus.consume({
      type: 'VerifyStage',
      durable: 'promoter-verify',
      handler: async (cmd, ctx) => {
        if (cmd.abort) {
          const state = await verifier.abort(cmd.project, cmd.stage, cmd.by, clock());
          ctx.log.info({ stage: cmd.stage, phase: state?.run.phase }, 'verification abort asked');
        } else {
          const stage = await store.getStage(cmd.project, cmd.stage);
          const [last] = await store.stageHistory(cmd.project, cmd.stage);
          if (!stage || !verifies(stage) || !last) {
            ctx.log.warn(
              { stage: cmd.stage },
              'verification asked for a stage with nothing to verify; ignored',
            );
            return;
          }
          await verifier.abort(cmd.project, cmd.stage, cmd.by, clock());
          await verifier.start(cmd.project, stage, last.freight, last.promotion, clock());
        }
        await kick(cmd.project, cmd.stage);
      },
    }),
    await bus.consume({
      type: 'ApprovePromotion',
      durable: 'promoter-approve-promotion',
      handler: async (cmd, ctx) => {
        const p = await store.getPromotion(cmd.project, cmd.promotion);
        if (!p) {
          ctx.log.warn({ promotion: cmd.promotion }, 'approval for a missing promotion; dropped');
          return;
        }
        await store.recordPromotionApproval(cmd.project, cmd.promotion, {
          by: cmd.by,
          at: cmd.at,
          ...(cmd.reject ? { reject: true } : {}),
          ...(cmd.reason ? { reason: cmd.reason } : {}),
        });
        ctx.log.info(
          { promotion: cmd.promotion, by: cmd.by, reject: !!cmd.reject },
          'promotion decision recorded',
        );
        await kick(cmd.project, p.spec.stage);
      },
    }),
    // A deleted Stage's unfinished Promotions are aborted (the api kept them as records); ones
    // requested after the delete belong to a Stage made again under the name and are left alone.
    // New requests for the Stage are dropped by CreatePromotion, which no longer finds it.
    await bus.consume({
      type: 'DefinitionsDeleted',
      durable: 'promoter-definitions-deleted',
      handler: async (evt, ctx) => {
        for (const r of evt.resources) {
          if (r.kind !== 'Stage') continue;
          for (const p of await store.listPromotions(evt.project, r.name)) {
            if (isTerminalPhase(p.status.phase)) continue;
            if ((p.status.createdAt ?? p.metadata.creationTimestamp ?? '') > evt.at) continue;
            await abort(
              evt.project,
              p.metadata.name,
              evt.by,
              evt.at,
              `aborted: Stage "${r.name}" was deleted by ${evt.by}`,
            );
            ctx.log.info(
              { stage: r.name, promotion: p.metadata.name },
              'promotion of a deleted stage aborted',
            );
          }
        }
      },
    }),
    await bus.consume({
      type: 'AbortPromotion',
      durable: 'promoter-abort',
      handler: async (cmd) => abort(cmd.project, cmd.promotion, cmd.by, cmd.at),
    }),
    await bus.consume({
      type: 'FreightApproved',
      durable: 'promoter-freight-approved',
      handler: async (evt) =>
        autoPromote(evt.project, evt.freight, (stages) =>
          stages.filter((s) => s.metadata.name === evt.stage),
        ),
    }),
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
        // The Promotion is stored: take the next request at once and run the Stage beside it. A
        // kick lost to a crash is made again by the reconcile timer.
        void kick(cmd.project, cmd.stage).catch((err) =>
          ctx.log.error({ err, stage: cmd.stage }, 'stage run failed'),
        );
      },
      concurrency: 16,
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
        autoPromote(
          evt.project,
          evt.freight,
          (stages) =>
            stages.filter((s) =>
              s.spec.requestedFreight.some((r) => r.origin.name === evt.warehouse && r.sources.direct),
            ),
          evt.traceparent,
        ),
    }),
    await bus.consume({
      type: 'FreightVerified',
      durable: 'promoter-freight-verified',
      handler: async (evt) =>
        autoPromote(evt.project, evt.freight, (stages) => stagesFedBy(stages, evt.stage)),
    }),
  ];

  // Verifications take their next measurements when due: the Stage is kicked then.
  const verificationTimer = every(
    250,
    async () => {
      for (const member of await store.dueVerifications(clock().getTime())) {
        const i = member.indexOf('/');
        await kick(member.slice(0, i), member.slice(i + 1));
      }
    },
    log,
  );

  // Stages whose promotion window opens are kicked then (scheduled by runOne).
  const kickTimer = every(
    1000,
    async () => {
      for (const member of await store.takeDueKicks(clock().getTime())) {
        const i = member.indexOf('/');
        await kick(member.slice(0, i), member.slice(i + 1));
      }
    },
    log,
  );

  /**
   * Freight that was soaking (`requiredSoakTime`) when it was verified upstream becomes available
   * later, with no event to say so: the slow timer offers the newest such Freight to each
   * auto-promoting Stage with a soak, so it is promoted at most one reconcile interval late.
   */
  const autoPromoteSoaked = async () => {
    for (const project of await store.listProjects()) {
      const p = project.metadata.name;
      const [stages, pc] = await Promise.all([store.listStages(p), store.getProjectConfig(p)]);
      for (const stage of stages) {
        if (!autoPromotionEnabled(pc, stage)) continue;
        for (const r of stage.spec.requestedFreight) {
          if (!r.sources.requiredSoakTime) continue;
          const all = await store.listFreight(p, r.origin.name);
          const newest = all
            .filter((f) => freightAvailability(stage, f, clock()).available)
            .sort((a, b) =>
              (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
            )[0];
          // A Freight the Stage already had a Promotion of (asked for by hand, say) is not offered again.
          const had =
            newest &&
            (await store.listPromotions(p, stage.metadata.name)).some(
              (x) => x.spec.freight === newest.metadata.name,
            );
          if (newest && !had) {
            await autoPromote(p, newest.metadata.name, (list) =>
              list.filter((s) => s.metadata.name === stage.metadata.name),
            );
          }
        }
      }
    }
  };

  // Slow timer: every Stage with Promotions is looked at, so nothing waits on a lost message.
  const reconcile = every(
    config.reconcileIntervalMs,
    async () => {
      for (const member of await store.activeStages()) {
        const i = member.indexOf('/');
        await kick(member.slice(0, i), member.slice(i + 1));
      }
      await autoPromoteSoaked();
    },
    log,
  );

  return {
    stop: async () => {
      plans.stop();
      await Promise.all(consumers.map((c) => c.stop()));
      await reconcile.stop();
      await verificationTimer.stop();
      await kickTimer.stop();
    },
  };
}
