import {
  promotionDuration,
  promotionOldestPendingAge,
  promotionQueueDepth,
  promotionsFinished,
  timeToRestore,
} from './catalogue.ts';
import { observeWithTrace, traceIdOfTraceparent } from './exemplars.ts';

// Pure computations behind the Promotion and DORA metrics, kept apart from prom-client so they are
// tested with plain values. The shapes are structural so this package needs no @ferry/contracts.

/** What the computations read of a Promotion: a subset of the contract's `Promotion`. */
export interface PromotionTimes {
  metadata: { name: string; creationTimestamp?: string };
  status: {
    phase: string;
    createdAt?: string;
    finishedAt?: string;
    /** W3C traceparent of the Promotion's trace: its trace id becomes the duration's exemplar. */
    traceparent?: string;
  };
}

/** How a Stage's queue stands: see {@link queueStats}. */
export interface QueueStats {
  /** Promotions not finished (Pending and Running). */
  depth: number;
  /** Seconds the oldest Pending Promotion has waited; 0 when none waits. */
  oldestPendingAgeSeconds: number;
}

const FINISHED = new Set(['Succeeded', 'Failed', 'Errored', 'Aborted']);
const FAILED = new Set(['Failed', 'Errored']);

/** Seconds from `from` to `to` (RFC 3339); undefined when either is missing or unreadable, or `to` is earlier. */
export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}

/** When a Promotion was created: `status.createdAt`, else `metadata.creationTimestamp`. */
function createdAt(p: PromotionTimes): string | undefined {
  return p.status.createdAt ?? p.metadata.creationTimestamp;
}

/** Depth of a Stage's queue and the age of its oldest Pending Promotion at `now`. */
export function queueStats(promotions: readonly PromotionTimes[], now: Date): QueueStats {
  let depth = 0;
  let oldest: number | undefined;
  for (const p of promotions) {
    if (FINISHED.has(p.status.phase)) continue;
    depth++;
    if (p.status.phase !== 'Pending') continue;
    const t = Date.parse(createdAt(p) ?? '');
    if (Number.isFinite(t) && (oldest === undefined || t < oldest)) oldest = t;
  }
  const age = oldest === undefined ? 0 : Math.max(0, (now.getTime() - oldest) / 1000);
  return { depth, oldestPendingAgeSeconds: age };
}

/**
 * DORA time to restore for a Promotion that just succeeded: seconds from the first Failed or Errored
 * Promotion since the Stage's previous success to this one's end. Undefined when the Promotion before
 * it (by end time, Aborted ones skipped) succeeded, or there is none: nothing was broken.
 */
export function timeToRestoreSeconds(
  promotions: readonly PromotionTimes[],
  succeeded: PromotionTimes,
): number | undefined {
  const end = succeeded.status.finishedAt;
  if (!end) return undefined;
  const before = promotions
    .filter(
      (p) =>
        p.metadata.name !== succeeded.metadata.name &&
        p.status.finishedAt !== undefined &&
        p.status.phase !== 'Aborted' &&
        FINISHED.has(p.status.phase) &&
        p.status.finishedAt <= end,
    )
    .sort((a, b) => Date.parse(b.status.finishedAt ?? '') - Date.parse(a.status.finishedAt ?? ''));
  let firstFailure: string | undefined;
  for (const p of before) {
    if (!FAILED.has(p.status.phase)) break;
    firstFailure = p.status.finishedAt;
  }
  return secondsBetween(firstFailure, end);
}

/**
 * Records a Promotion that reached a final phase: `ferry_promotions_finished_total` and
 * `ferry_promotion_duration_seconds` (when its creation and end times are known). For a Succeeded
 * one, `stagePromotions` (the Stage's Promotions) gives `ferry_time_to_restore_seconds`.
 */
export function recordPromotionFinished(
  project: string,
  stage: string,
  promotion: PromotionTimes,
  stagePromotions: readonly PromotionTimes[] = [],
): void {
  const phase = promotion.status.phase;
  promotionsFinished.inc({ project, stage, phase });
  const seconds = secondsBetween(createdAt(promotion), promotion.status.finishedAt);
  if (seconds !== undefined)
    observeWithTrace(
      promotionDuration,
      { project, stage, phase },
      seconds,
      traceIdOfTraceparent(promotion.status.traceparent),
    );
  if (phase !== 'Succeeded') return;
  const restore = timeToRestoreSeconds(stagePromotions, promotion);
  if (restore !== undefined) timeToRestore.observe({ project, stage }, restore);
}

/** Sets the queue gauges of one Stage from its Promotions. */
export function recordQueue(
  project: string,
  stage: string,
  promotions: readonly PromotionTimes[],
  now: Date,
): QueueStats {
  const stats = queueStats(promotions, now);
  promotionQueueDepth.set({ project, stage }, stats.depth);
  promotionOldestPendingAge.set({ project, stage }, stats.oldestPendingAgeSeconds);
  return stats;
}
