import type { ImageSubscription } from '@ferry/contracts';
import { goRegExp } from './patterns.ts';
import { compareSemver, parseSemver, parseSemverConstraint, type SemVersion, satisfies } from './semver.ts';

/** Cosign signature, attestation and SBOM tags: `sha256-<digest hex>.sig|.att|.sbom`. */
const SIGNATURE_TAG = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;

/** Go's strings.Compare, descending: `b` before `a` when greater. */
const descending = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);

/**
 * Ranks a repository's tags for an image subscription the way Kargo's selectors do and returns the
 * candidates best first, at most `sub.discoveryLimit`:
 * - every strategy but Digest first drops tags matching an ignore regex, keeps only tags matching an
 *   allow regex (when any are given), and skips signature tags (`sha256-<hex>.sig`) unless an allow
 *   regex matches them;
 * - SemVer: tags that parse (strictly unless `strictSemvers` is false; a leading `v` is fine) and satisfy
 *   `constraint`, highest version first, equal versions by tag descending (`v1.0.0` before `1.0.0`);
 * - Lexical: reverse lexical order;
 * - Digest: just the tag named by `constraint`, if the repository has it (allow/ignore do not apply);
 * - NewestBuild: by `created` (RFC 3339), newest first, ties by tag descending, tags without a time last;
 *   throws when `created` is not given.
 * Throws, too, on a regex or constraint that does not compile (`parseManifests` refuses those).
 */
export function selectImageTags(
  tags: readonly string[],
  sub: ImageSubscription,
  created?: ReadonlyMap<string, string>,
): string[] {
  const limit = (list: string[]) => (sub.discoveryLimit > 0 ? list.slice(0, sub.discoveryLimit) : list);
  if (sub.imageSelectionStrategy === 'Digest') {
    return sub.constraint && tags.includes(sub.constraint) ? [sub.constraint] : [];
  }
  const allow = sub.allowTagsRegexes.map(goRegExp);
  const ignore = sub.ignoreTagsRegexes.map(goRegExp);
  const eligible = tags.filter((t) => {
    if (ignore.some((r) => r.test(t))) return false;
    const allowed = allow.some((r) => r.test(t));
    if (allow.length > 0 && !allowed) return false;
    return allowed || !SIGNATURE_TAG.test(t);
  });
  switch (sub.imageSelectionStrategy) {
    case 'Lexical':
      return limit(eligible.sort(descending));
    case 'NewestBuild': {
      if (!created) throw new Error('NewestBuild selection needs the creation time of each tag');
      const time = (t: string) => {
        const ms = Date.parse(created.get(t) ?? '');
        return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
      };
      return limit(eligible.sort((a, b) => time(b) - time(a) || descending(a, b)));
    }
    default: {
      const constraint = sub.constraint ? parseSemverConstraint(sub.constraint) : undefined;
      const versions = eligible
        .map((t) => parseSemver(t, sub.strictSemvers))
        .filter((v): v is SemVersion => v !== undefined && (!constraint || satisfies(v, constraint)));
      versions.sort((a, b) => compareSemver(b, a) || descending(a.original, b.original));
      return limit(versions.map((v) => v.original));
    }
  }
}
