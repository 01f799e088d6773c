/**
 * Auto-promotion decisions, pure (the clock and every lookup are inputs): which Freight a Stage's
 * selection policy picks for an origin (Kargo's `SelectAutoPromotionCandidates`), whether a
 * Freight offered to the Stage is promoted, and what a Promotion asked for by hand does to the
 * Stage's auto-promotion hold.
 */
import type { AutoPromotionHold, Freight, FreightRequest, PromotionPhase } from '@ferry/contracts';

/** The requester name of Promotions auto-promotion creates. */
export const AUTO_PROMOTION_ACTOR = 'ferry:auto-promotion';

/** The key of an origin in holds: `Warehouse/<name>`, as Kargo writes `FreightOrigin.String()`. */
export const originKey = (warehouse: string): string => `Warehouse/${warehouse}`;

/** The selection policy of a request; `NewestFreight` when none is set. */
export const selectionPolicyOf = (req: FreightRequest): 'NewestFreight' | 'MatchUpstream' =>
  req.sources.autoPromotionOptions?.selectionPolicy ?? 'NewestFreight';

/** What the candidate choice needs to know about one origin of a Stage. */
export interface CandidateInput {
  request: FreightRequest;
  /** Freight of the origin available to the Stage now (availability already checked with the clock). */
  available: readonly Freight[];
  /** MatchUpstream: the Freight (of this origin) the one upstream Stage runs now; empty when none. */
  upstreamCurrent?: string;
}

/**
 * The auto-promotion candidate of an origin: the newest available Freight (creation time, then
 * name), or with MatchUpstream the Freight the upstream Stage runs now, if it is available here.
 */
export function candidateFor(input: CandidateInput): string | undefined {
  if (selectionPolicyOf(input.request) === 'MatchUpstream') {
    const id = input.upstreamCurrent;
    return id && input.available.some((f) => f.metadata.name === id) ? id : undefined;
  }
  const newest = [...input.available].sort(
    (a, b) =>
      (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
      b.metadata.name.localeCompare(a.metadata.name),
  )[0];
  return newest?.metadata.name;
}

/** Whether a Freight offered to a Stage for auto-promotion is promoted, and why not. */
export type AutoPromotionVerdict =
  | {
      promote: true /** How many times it was auto-promoted to the Stage before (claim round). */;
      round: number;
    }
  | { promote: false; reason: string };

/** The inputs of {@link decideAutoPromotion}. */
export interface DecisionInput {
  freight: string;
  /** The candidate of the Freight's origin (see {@link candidateFor}). */
  candidate: string | undefined;
  /** The hold on the Freight's origin, if any. */
  hold?: AutoPromotionHold;
  /** The Freight the Stage runs now (of this origin); empty before its first Promotion. */
  current?: string;
  /** Phases of the earlier Promotions of this Freight to this Stage, oldest first. */
  earlier: readonly PromotionPhase[];
}

/**
 * Decides an offered Freight: only the candidate, never while a hold pins the origin, never the
 * Freight the Stage runs already, and never again after its last Promotion here failed (Kargo does
 * not retry those). A Freight promoted here before and since replaced (MatchUpstream following an
 * upstream rollback) is promoted again, in a new claim round.
 */
export function decideAutoPromotion(input: DecisionInput): AutoPromotionVerdict {
  const short = input.freight.slice(0, 7);
  if (input.hold)
    return {
      promote: false,
      reason: `auto-promotion is held: ${input.hold.actor} promoted ${input.hold.freight.slice(0, 7)} by hand (Promotion ${input.hold.promotion}); promote the candidate to release it`,
    };
  if (input.candidate !== input.freight)
    return {
      promote: false,
      reason: input.candidate
        ? `${short} is not the auto-promotion candidate (${input.candidate.slice(0, 7)} is)`
        : `there is no auto-promotion candidate for ${short}'s origin`,
    };
  if (input.current === input.freight) return { promote: false, reason: `the Stage runs ${short} already` };
  const last = input.earlier.at(-1);
  if (last === 'Pending' || last === 'Running')
    return { promote: false, reason: `${short} is being promoted` };
  if (last && last !== 'Succeeded')
    return {
      promote: false,
      reason: `the last Promotion of ${short} here ${last}; it is not retried automatically`,
    };
  return { promote: true, round: input.earlier.filter((p) => p === 'Succeeded').length };
}

/**
 * What a Promotion asked for by hand does to the Stage's hold on its Freight's origin (Kargo's
 * `syncHoldAnnotations`): promoting the candidate releases it; anything else (no candidate at all
 * included) sets it. Auto-promotions, and Stages without auto-promotion, change nothing.
 */
export function holdIntent(input: {
  requestedBy: string;
  autoPromotionEnabled: boolean;
  freight: string;
  candidate: string | undefined;
}): 'hold' | 'release' | undefined {
  if (input.requestedBy === AUTO_PROMOTION_ACTOR || !input.autoPromotionEnabled) return undefined;
  return input.candidate === input.freight ? 'release' : 'hold';
}
