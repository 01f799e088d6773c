import type { GitSubscription } from '@ferry/contracts';
import { globRegExp, goRegExp } from './patterns.ts';
import { selectImageTags } from './select.ts';

/** A commit as git discovery reads it: its id and the paths it changed. */
export interface CommitCandidate {
  /** The commit sha. */
  id: string;
  /** Paths changed against the first parent (every path for a root commit). */
  paths: readonly string[];
}

/** A tag as git discovery reads it. */
export interface TagCandidate {
  /** The tag's name, without `refs/tags/`. */
  tag: string;
  /** The commit it points to (peeled for annotated tags). */
  id: string;
  /** RFC 3339 tagger date (annotated) or commit date (lightweight); used by NewestTag. */
  creatorDate?: string;
  /** Paths the tagged commit changed; needed only when the subscription filters paths. */
  paths?: readonly string[];
}

/**
 * Compiles one Kargo path selector: `glob:<glob>`, `regex:<re>` or `regexp:<re>` (unanchored), anything
 * else a prefix of the path (`apps/` or `apps` both select `apps/web/x.yaml`). Throws a SyntaxError for a
 * pattern that does not compile.
 */
export function pathSelector(selector: string): (path: string) => boolean {
  if (selector.startsWith('glob:')) {
    const re = globRegExp(selector.slice('glob:'.length));
    return (p) => re.test(p);
  }
  const m = /^regexp?:/.exec(selector);
  if (m) {
    const re = goRegExp(selector.slice(m[0].length));
    return (p) => re.test(p);
  }
  return (p) => p.startsWith(selector);
}

/**
 * Whether a commit's changed paths count for the subscription, as Kargo decides: some path is selected
 * by `includePaths` (every path when there are none) and not by `excludePaths`.
 */
export function touchesPaths(
  paths: readonly string[],
  sub: Pick<GitSubscription, 'includePaths' | 'excludePaths'>,
): boolean {
  if (sub.includePaths.length === 0 && sub.excludePaths.length === 0) return true;
  const include = sub.includePaths.map(pathSelector);
  const exclude = sub.excludePaths.map(pathSelector);
  return paths.some((p) => (include.length === 0 || include.some((f) => f(p))) && !exclude.some((f) => f(p)));
}

/** Whether the subscription filters commits by path (reading changed paths costs a git call per commit). */
export const filtersPaths = (sub: Pick<GitSubscription, 'includePaths' | 'excludePaths'>): boolean =>
  sub.includePaths.length > 0 || sub.excludePaths.length > 0;

/**
 * NewestFromBranch: the branch's commits (given newest first) that touch the subscription's paths, at
 * most `discoveryLimit`, order kept.
 */
export function selectBranchCommits(
  commits: readonly CommitCandidate[],
  sub: GitSubscription,
): CommitCandidate[] {
  const out: CommitCandidate[] = [];
  for (const c of commits) {
    if (out.length >= sub.discoveryLimit) break;
    if (touchesPaths(c.paths, sub)) out.push(c);
  }
  return out;
}

/**
 * Ranks tags for a tag strategy and returns the candidates best first, at most `discoveryLimit`:
 * ignore and allow regexes first, then the tagged commit's paths (when the subscription filters paths),
 * then SemVer (highest satisfying `semverConstraint`), Lexical (reverse lexical) or NewestTag (newest
 * `creatorDate` first, ties by tag descending). Throws for NewestFromBranch, which ranks commits.
 */
export function selectGitTags(tags: readonly TagCandidate[], sub: GitSubscription): TagCandidate[] {
  if (sub.commitSelectionStrategy === 'NewestFromBranch') {
    throw new Error('NewestFromBranch selects commits of a branch, not tags');
  }
  const byTag = new Map(tags.map((t) => [t.tag, t]));
  const eligible = tags.filter((t) => !filtersPaths(sub) || touchesPaths(t.paths ?? [], sub));
  // Tag ranking is the image tag ranking with the git fields mapped onto it.
  const created = new Map(eligible.flatMap((t) => (t.creatorDate ? [[t.tag, t.creatorDate] as const] : [])));
  const ranked = selectImageTags(
    eligible.map((t) => t.tag),
    {
      repoURL: sub.repoURL,
      imageSelectionStrategy:
        sub.commitSelectionStrategy === 'NewestTag'
          ? 'NewestBuild'
          : sub.commitSelectionStrategy === 'Lexical'
            ? 'Lexical'
            : 'SemVer',
      ...(sub.semverConstraint ? { constraint: sub.semverConstraint } : {}),
      strictSemvers: sub.strictSemvers,
      allowTagsRegexes: sub.allowTagsRegexes,
      ignoreTagsRegexes: sub.ignoreTagsRegexes,
      discoveryLimit: sub.discoveryLimit,
    },
    created,
  );
  return ranked.map((t) => byTag.get(t)!);
}
