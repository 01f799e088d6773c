import { DNS1123_SUBDOMAIN, type PromotionWindow, type StageSelector } from '@ferry/contracts';
import rrule from 'rrule';
import { parseGoDuration } from './duration.ts';
import { type Ctx, fields, isMap, listAt, type Path, pointer, strAt } from './read.ts';
import { parseSelector } from './specs.ts';

/** Kargo's CRD pattern for durations: hours, minutes and seconds only. */
const KARGO_DURATION = /^([0-9]+(\.[0-9]+)?(s|m|h))+$/;

/**
 * Parses `ProjectConfig.spec.promotionWindows` (Ferry's field: Kargo has windows only in its
 * Enterprise edition): each entry has a unique `name`, `kind` Allow or Deny, an RFC 5545
 * `schedule` with its `DTSTART`, a `duration` and an optional `stageSelector` (absent = every Stage).
 */
export function parsePromotionWindows(ctx: Ctx, v: unknown, path: Path): PromotionWindow[] {
  const out: PromotionWindow[] = [];
  const seen = new Map<string, number>();
  listAt(ctx, v, path).forEach((item, i) => {
    const at = [...path, i];
    if (!isMap(item)) {
      ctx.problem(at, 'must be a mapping with name, kind, schedule, duration and stageSelector');
      return;
    }
    fields(ctx, item, at, 'name kind schedule duration stageSelector');
    const name = strAt(ctx, item.name, [...at, 'name'], 'the name of the window') ?? '';
    if (name && !DNS1123_SUBDOMAIN.test(name)) {
      ctx.problem(
        [...at, 'name'],
        'must be lowercase letters, digits, "-" or ".", starting and ending with a letter or digit',
      );
    }
    if (name && seen.has(name)) {
      ctx.problem([...at, 'name'], `window name already defined at ${pointer([...path, seen.get(name)!])}`);
    } else if (name) seen.set(name, i);
    const kind = strAt(ctx, item.kind, [...at, 'kind'], 'Allow or Deny');
    if (kind !== undefined && kind !== 'Allow' && kind !== 'Deny')
      ctx.problem([...at, 'kind'], 'must be Allow or Deny');
    const schedule = strAt(ctx, item.schedule, [...at, 'schedule'], 'an RFC 5545 DTSTART and RRULE');
    if (schedule !== undefined) {
      const why = scheduleProblem(schedule);
      if (why) ctx.problem([...at, 'schedule'], why);
    }
    const duration = strAt(ctx, item.duration, [...at, 'duration'], 'how long each occurrence stays open');
    if (duration !== undefined && (!KARGO_DURATION.test(duration) || parseGoDuration(duration) <= 0)) {
      ctx.problem([...at, 'duration'], 'must be a positive duration like 30m, 2h or 1h30m');
    }
    let stageSelector: StageSelector | undefined = {};
    if (item.stageSelector !== undefined)
      stageSelector = parseSelector(ctx, item.stageSelector, [...at, 'stageSelector']);
    if (!name || !schedule || !duration || !stageSelector || (kind !== 'Allow' && kind !== 'Deny')) return;
    out.push({ name, kind, schedule, duration, stageSelector });
  });
  return out;
}

const FREQUENCIES = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'SECONDLY'];

/** Why `schedule` is not a usable RFC 5545 recurrence; undefined when it is. */
export function scheduleProblem(schedule: string): string | undefined {
  if (!/^DTSTART[:;]/m.test(schedule.trim())) {
    return 'needs a DTSTART line, e.g. "DTSTART:20260101T220000Z\\nRRULE:FREQ=DAILY"';
  }
  const freq = /^RRULE:(?:.*;)?FREQ=([^;\s]*)/m.exec(schedule.trim())?.[1];
  if (freq !== undefined && !FREQUENCIES.includes(freq)) {
    return `RRULE FREQ "${freq}" must be one of ${FREQUENCIES.join(', ')}`;
  }
  try {
    // A DTSTART alone is one occurrence; the promoter reads it the same way.
    const text = schedule.trim();
    rrule.rrulestr(/^(RRULE|RDATE)[:;]/m.test(text) ? text : `${text}\nRRULE:FREQ=DAILY;COUNT=1`, {
      forceset: true,
    });
    return undefined;
  } catch (e) {
    return `is not an RFC 5545 recurrence: ${e instanceof Error ? e.message : String(e)}`;
  }
}
