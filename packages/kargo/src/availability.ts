import type { Freight, FreightRequest, ProjectConfig, Stage, StageSelector } from '@ferry/contracts';
import { parseGoDuration } from './duration.ts';
import { namePattern } from './patterns.ts';

/** Whether a Stage may take a piece of Freight, and if not, why in words. */
export type Availability = { available: true } | { available: false; reason: string };

/**
 * Whether `freight` is available to `stage` (Kargo's `Stage.IsFreightAvailable`): the Stage must
 * request Freight from the Freight's origin; then it is available when that request takes Freight
 * directly, when the Freight is approved for the Stage, or when upstream verification satisfies the
 * request's `availabilityStrategy` (`OneOf`, the default: verified in one upstream Stage; `All`:
 * verified in every one) and, with `requiredSoakTime`, that verification happened at least that
 * long before `now`. Kargo counts the soak as time the Freight stayed in the upstream Stage after
 * being verified there; Ferry counts from `verifiedIn[stage].verifiedAt`, which is the same while
 * the Freight stays, and lets Freight that moved on keep its soak.
 */
export function freightAvailability(stage: Stage, freight: Freight, now: Date = new Date()): Availability {
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
  const reasons: string[] = [];
  for (const r of requests) {
    if (r.sources.direct) return { available: true };
    const verdict = upstreamVerdict(r, freight, now, what, stageName);
    if (verdict === undefined) return { available: true };
    reasons.push(verdict);
  }
  return { available: false, reason: reasons.join('; ') };
}

/** Why upstream verification does not (yet) satisfy `request`; undefined when it does. */
function upstreamVerdict(
  request: FreightRequest,
  freight: Freight,
  now: Date,
  what: string,
  stageName: string,
): string | undefined {
  const { stages, availabilityStrategy, requiredSoakTime } = request.sources;
  const soakMs = requiredSoakTime ? parseGoDuration(requiredSoakTime) : 0;
  const verifiedAt = (s: string) => freight.status.verifiedIn[s]?.verifiedAt;
  const soakedUntil = (s: string) => Date.parse(verifiedAt(s)!) + soakMs;
  const verified = stages.filter((s) => verifiedAt(s) !== undefined);
  const soaked = verified.filter((s) => soakedUntil(s) <= now.getTime());
  const until = (list: string[], pick: (a: number, b: number) => number) =>
    new Date(list.map(soakedUntil).reduce((a, b) => pick(a, b))).toISOString();
  if (availabilityStrategy === 'All') {
    const missing = stages.filter((s) => !verified.includes(s));
    if (missing.length > 0)
      return `${what} is not verified in every upstream Stage of "${stageName}" (still missing: ${missing.join(', ')})`;
    if (soaked.length === stages.length) return undefined;
    return `${what} is soaking in the upstream Stages of "${stageName}" until ${until(verified, Math.max)} (requiredSoakTime ${requiredSoakTime})`;
  }
  if (soaked.length > 0) return undefined;
  if (verified.length === 0)
    return `${what} is not verified in any upstream Stage of "${stageName}" (needs one of: ${stages.join(', ')})`;
  return `${what} is soaking in the upstream Stages of "${stageName}" until ${until(verified, Math.min)} (requiredSoakTime ${requiredSoakTime})`;
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
