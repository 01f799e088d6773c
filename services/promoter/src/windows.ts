/**
 * Promotion windows (ProjectConfig `spec.promotionWindows`, Ferry's field): whether a Stage may
 * start a Promotion at a given time, and if not, when it next may.
 */
import type { PromotionWindow, Stage } from '@ferry/contracts';
import { parseGoDuration, stageSelectorMatches } from '@ferry/kargo';
import rrule from 'rrule';

/** The answer of {@link windowDecision}. */
export type WindowDecision =
  | { open: true }
  | {
      open: false;
      /** `promotion window "<name>" is closed until <RFC 3339>` (or `... with no further opening`). */
      reason: string;
      /** When Promotions may next start; undefined when no window ever opens again. */
      nextOpen?: Date;
    };

/** A window's occurrences, parsed once per decision. */
interface Compiled {
  window: PromotionWindow;
  set: ReturnType<typeof rrule.rrulestr>;
  durationMs: number;
}

const compile = (window: PromotionWindow): Compiled => {
  const text = window.schedule.trim();
  // A DTSTART alone is one occurrence in RFC 5545; rrule yields none without a rule or date.
  const schedule = /^(RRULE|RDATE)[:;]/m.test(text) ? text : `${text}\nRRULE:FREQ=DAILY;COUNT=1`;
  return {
    window,
    set: rrule.rrulestr(schedule, { forceset: true }),
    durationMs: parseGoDuration(window.duration),
  };
};

/** The end of the occurrence of `c` that covers `t`, or undefined when none does. */
const openUntil = (c: Compiled, t: Date): number | undefined => {
  const start = c.set.before(t, true);
  if (!start) return undefined;
  const end = start.getTime() + c.durationMs;
  return end > t.getTime() ? end : undefined;
};

/**
 * Whether a Promotion of `stage` may start at `t`; if not, which window stops it and the first
 * moment its verdict can change.
 */
const decideAt = (
  compiled: readonly Compiled[],
  t: Date,
): { open: true } | { open: false; by: string; changesAt?: number } => {
  const denying = compiled
    .filter((c) => c.window.kind === 'Deny')
    .map((c) => ({ c, end: openUntil(c, t) }))
    .filter((d): d is { c: Compiled; end: number } => d.end !== undefined)
    .sort((a, b) => b.end - a.end);
  if (denying[0]) return { open: false, by: denying[0].c.window.name, changesAt: denying[0].end };
  const allows = compiled.filter((c) => c.window.kind === 'Allow');
  if (allows.length === 0 || allows.some((c) => openUntil(c, t) !== undefined)) return { open: true };
  const next = allows
    .map((c) => ({ c, at: c.set.after(t, false)?.getTime() }))
    .filter((n): n is { c: Compiled; at: number } => n.at !== undefined)
    .sort((a, b) => a.at - b.at);
  return next[0]
    ? { open: false, by: next[0].c.window.name, changesAt: next[0].at }
    : { open: false, by: allows[0]!.window.name };
};

/**
 * Whether `stage` may start a Promotion at `now` under `windows`: the windows whose selector
 * picks the Stage count; inside a Deny window it may not (Deny wins); with Allow windows it may
 * only inside one of them. When closed, `nextOpen` is the first time both hold again (looked for
 * up to 100 window changes ahead) and the reason names the window that closes it now.
 */
export function windowDecision(
  windows: readonly PromotionWindow[] | undefined,
  stage: Stage,
  now: Date,
): WindowDecision {
  const compiled = (windows ?? []).filter((w) => stageSelectorMatches(w.stageSelector, stage)).map(compile);
  const first = decideAt(compiled, now);
  if (first.open) return first;
  let t = first.changesAt;
  for (let guard = 0; t !== undefined && guard < 100; guard++) {
    const d = decideAt(compiled, new Date(t));
    if (d.open) {
      const nextOpen = new Date(t);
      return {
        open: false,
        reason: `promotion window "${first.by}" is closed until ${nextOpen.toISOString()}`,
        nextOpen,
      };
    }
    t = d.changesAt;
  }
  return { open: false, reason: `promotion window "${first.by}" is closed with no further opening` };
}
