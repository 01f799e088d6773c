import type { Freight, Stage, StageStatus, VerificationRecord, Warehouse } from '@ferry/contracts';
import { isTerminalPhase } from '@ferry/contracts';
import type { Store } from '@ferry/store';

/** A Warehouse with the poller's last discovery as its status. */
export async function warehouseView(store: Store, project: string, wh: Warehouse): Promise<Warehouse> {
  const status = await store.getWarehouseStatus(project, wh.metadata.name);
  return status ? { ...wh, status } : { ...wh, status: {} };
}

/** A Stage with its status composed from the promoter's records. */
export async function stageView(store: Store, project: string, stage: Stage): Promise<Stage> {
  const [history, promotions] = await Promise.all([
    store.stageHistory(project, stage.metadata.name),
    store.listPromotions(project, stage.metadata.name),
  ]);
  const status: StageStatus = {};
  if (history.length) {
    const freight = await Promise.all(history.slice(0, 10).map((h) => store.getFreight(project, h.freight)));
    status.freightHistory = history.slice(0, 10).map((h, i) => ({
      id: h.freight,
      origin: freight[i]?.origin ?? { kind: 'Warehouse', name: '' },
      promotedAt: h.promotedAt,
      promotion: h.promotion,
    }));
  }
  const finished = promotions.filter((p) => isTerminalPhase(p.status.phase)).at(-1);
  if (finished) {
    status.lastPromotion = {
      name: finished.metadata.name,
      phase: finished.status.phase,
      freight: finished.spec.freight,
      ...(finished.status.finishedAt ? { finishedAt: finished.status.finishedAt } : {}),
    };
  }
  const [verification, verificationHistory, health, holds] = await Promise.all([
    store.getStageVerification<{
      freight: string;
      promotion?: string;
      run: { phase: string; message?: string; startedAt: string; finishedAt?: string };
    }>(project, stage.metadata.name),
    store.stageVerificationHistory<VerificationRecord>(project, stage.metadata.name),
    store.getStageHealth(project, stage.metadata.name),
    store.getStageHolds(project, stage.metadata.name),
  ]);
  // Health is argocd-syncer's (from watching the Stage's Applications); holds are the promoter's.
  if (health) status.health = health;
  if (Object.keys(holds).length > 0) status.autoPromotionHolds = holds;
  if (verification) {
    status.verification = {
      freight: verification.freight,
      ...(verification.promotion ? { promotion: verification.promotion } : {}),
      phase: verification.run.phase,
      ...(verification.run.message ? { message: verification.run.message } : {}),
      startedAt: verification.run.startedAt,
      ...(verification.run.finishedAt ? { finishedAt: verification.run.finishedAt } : {}),
    };
  }
  if (verificationHistory.length) status.verificationHistory = verificationHistory.slice(0, 10);
  const running = promotions.find((p) => !isTerminalPhase(p.status.phase));
  if (running) status.currentPromotion = { name: running.metadata.name, freight: running.spec.freight };
  return { ...stage, status };
}

/** Adds `status.currentlyIn` (from each Stage's latest promoted Freight) to Freight. */
export async function freightViews(store: Store, project: string, list: Freight[]): Promise<Freight[]> {
  const stages = await store.listStages(project);
  const current = new Map<string, Array<[string, string]>>();
  await Promise.all(
    stages.map(async (s) => {
      const [h] = await store.stageHistory(project, s.metadata.name);
      if (h) current.set(h.freight, [...(current.get(h.freight) ?? []), [s.metadata.name, h.promotedAt]]);
    }),
  );
  return list.map((f) => ({
    ...f,
    status: {
      ...f.status,
      currentlyIn: Object.fromEntries(
        (current.get(f.metadata.name) ?? []).map(([s, since]) => [s, { since }]),
      ),
    },
  }));
}
