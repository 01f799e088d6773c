import type { Freight, ProjectConfig, Stage, StageSelector } from '@ferry/contracts';
import { namePattern } from './patterns.ts';

/** Whether a Stage may take a piece of Freight, and if not, why in words. */
export type Availability = { available: true } | { available: false; reason: string };

/**
 * Whether `freight` is available to `stage` (Kargo's `Stage.IsFreightAvailable`): the Stage must
 * request Freight from the Freight's origin; then it is available when that request takes Freight
 * directly, when the Freight is approved for the Stage, or when it is verified in one of the upstream
 * Stages of the request.
 */
export function freightAvailability(stage: Stage, freight: Freight): Availability {
  const id = freight.metadata.name;
  const what = `Freight ${id.slice(0, 7)}${freight.alias ? ` (${freight.alias})` : ''}`;
  const stageName = stage.metadata.name;
  const [fp, sp] = [freight.metadata.namespace, stage.metadata.namespace];
  if (fp && sp && fp !== sp) {
    return {
      available: false,
      reason: `${what} belongs to project "${fp}", not to "${sp}" of Stage "${stageName}"`,
    };
  }
  const { kind, name } = freight.origin;
  const requests = stage.spec.requestedFreight.filter(
    (r) => r.origin.kind === kind && r.origin.name === name,
  );
  if (requests.length === 0) {
    return {
      available: false,
      reason: `Stage "${stageName}" does not request Freight from ${kind} "${name}"`,
    };
  }
  const rejection = freight.status.rejected?.[stageName] ?? freight.status.rejected?.['*'];
  if (rejection) {
    return {
      available: false,
      reason: `${what} was rejected for ${freight.status.rejected?.[stageName] ? `Stage "${stageName}"` : 'every Stage'} by ${rejection.by}${rejection.reason ? `: ${rejection.reason}` : ''}`,
    };
  }
  if (Object.hasOwn(freight.status.approvedFor, stageName)) return { available: true };
  const upstream: string[] = [];
  for (const r of requests) {
    if (r.sources.direct) return { available: true };
    if (r.sources.stages.some((s) => Object.hasOwn(freight.status.verifiedIn, s))) return { available: true };
    upstream.push(...r.sources.stages);
  }
  return {
    available: false,
    reason: `${what} is not verified in any upstream Stage of "${stageName}" (needs one of: ${upstream.join(', ')})`,
  };
}

/** The Stages that take Freight from `upstream` (its immediate downstream Stages), in the given order. */
export function stagesFedBy(stages: readonly Stage[], upstream: string): Stage[] {
  return stages.filter((s) => s.spec.requestedFreight.some((r) => r.sources.stages.includes(upstream)));
}

/** True when `selector` picks `stage`: its name pattern (exact, `glob:`, `regex:`) and all `matchLabels`. */
export function stageSelectorMatches(selector: StageSelector, stage: Stage): boolean {
  if (selector.name) {
    try {
      if (!namePattern(selector.name)(stage.metadata.name)) return false;
    } catch {
      return false; // parsing rejects bad patterns; a stored bad one selects nothing
    }
  }
  const labels = stage.metadata.labels ?? {};
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * Whether new Freight is promoted into `stage` without a person asking: the first promotion policy of
 * the ProjectConfig whose selector matches the Stage decides (later matches are ignored, as in Kargo);
 * false when there is no ProjectConfig or no policy matches.
 */
export function autoPromotionEnabled(config: ProjectConfig | undefined, stage: Stage): boolean {
  const policy = config?.spec.promotionPolicies.find((p) => stageSelectorMatches(p.stageSelector, stage));
  return policy?.autoPromotionEnabled ?? false;
}
