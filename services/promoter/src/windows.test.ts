import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PromotionWindow, Stage } from '@ferry/contracts';
import { windowDecision } from './windows.ts';

const stage = (name: string, labels: Record<string, string> = {}): Stage => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Stage',
  metadata: { name, namespace: 'demo', labels },
  spec: { requestedFreight: [] },
});
const win = (
  name: string,
  kind: 'Allow' | 'Deny',
  schedule: string,
  duration: string,
  stageSelector: PromotionWindow['stageSelector'] = {},
): PromotionWindow => ({ name, kind, schedule, duration, stageSelector });

// Every schedule is in UTC, so no case depends on daylight saving time.
const nightly = win('nightly', 'Allow', 'DTSTART:20260101T220000Z\nRRULE:FREQ=DAILY', '2h');
const weekdays = win(
  'office-hours',
  'Allow',
  'DTSTART:20260105T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
  '8h',
);
const freeze = win('xmas-freeze', 'Deny', 'DTSTART:20261224T000000Z', '72h');
const friday = win(
  'no-friday-deploys',
  'Deny',
  'DTSTART:20260102T120000Z\nRRULE:FREQ=WEEKLY;BYDAY=FR',
  '12h',
);
const prodOnly = win('prod-freeze', 'Deny', 'DTSTART:20260301T000000Z', '24h', { name: 'glob:prod*' });
const closed = (name: string, until: string) => ({
  open: false,
  reason: `promotion window "${name}" is closed until ${until}`,
  nextOpen: new Date(until),
});

test('windowDecision: Allow windows open, Deny windows close (Deny wins)', () => {
  const open = { open: true };
  // [case, windows, stage, now, expected]
  const cases: Array<[string, PromotionWindow[], Stage, string, unknown]> = [
    ['no windows', [], stage('dev'), '2026-03-02T12:00:00Z', open],
    ['inside an Allow window', [nightly], stage('dev'), '2026-03-02T23:00:00Z', open],
    ['inside an Allow window in its last second', [nightly], stage('dev'), '2026-03-02T23:59:59Z', open],
    [
      'outside every Allow window: waits for the next',
      [nightly],
      stage('dev'),
      '2026-03-02T12:00:00Z',
      closed('nightly', '2026-03-02T22:00:00.000Z'),
    ],
    [
      'the end of an occurrence is outside it',
      [nightly],
      stage('dev'),
      '2026-03-03T00:00:00Z',
      closed('nightly', '2026-03-03T22:00:00.000Z'),
    ],
    [
      'the soonest of two Allow windows is named',
      [nightly, weekdays],
      stage('dev'),
      '2026-03-07T12:00:00Z', // a Saturday
      closed('nightly', '2026-03-07T22:00:00.000Z'),
    ],
    [
      'a Deny window blocks until it ends',
      [freeze],
      stage('dev'),
      '2026-12-25T08:00:00Z',
      closed('xmas-freeze', '2026-12-27T00:00:00.000Z'),
    ],
    ['a single-occurrence Deny window is over', [freeze], stage('dev'), '2026-12-27T00:00:01Z', open],
    [
      'Deny wins inside an Allow window; next opening is the next Allow after the Deny',
      [nightly, freeze],
      stage('dev'),
      '2026-12-25T23:00:00Z',
      closed('xmas-freeze', '2026-12-27T22:00:00.000Z'),
    ],
    [
      'Deny ends inside an Allow occurrence: opens at once then',
      [weekdays, friday],
      stage('dev'),
      '2026-03-06T13:00:00Z', // Friday: office hours 09-17 but no deploys 12-24
      closed('no-friday-deploys', '2026-03-09T09:00:00.000Z'),
    ],
    ['a selector leaves other Stages alone', [prodOnly], stage('dev'), '2026-03-01T10:00:00Z', open],
    [
      'a selector picks its Stages',
      [prodOnly],
      stage('prod-eu'),
      '2026-03-01T10:00:00Z',
      closed('prod-freeze', '2026-03-02T00:00:00.000Z'),
    ],
    [
      'labels select too',
      [win('labelled', 'Deny', 'DTSTART:20260301T000000Z', '1h', { matchLabels: { tier: 'prod' } })],
      stage('any', { tier: 'prod' }),
      '2026-03-01T00:10:00Z',
      closed('labelled', '2026-03-01T01:00:00.000Z'),
    ],
    [
      'an Allow window that never opens again',
      [win('once', 'Allow', 'DTSTART:20260101T000000Z', '1h')],
      stage('dev'),
      '2026-03-01T00:00:00Z',
      { open: false, reason: 'promotion window "once" is closed with no further opening' },
    ],
    [
      'an Allow window that has not started yet',
      [win('later', 'Allow', 'DTSTART:20260401T080000Z\nRRULE:FREQ=DAILY', '1h')],
      stage('dev'),
      '2026-03-01T00:00:00Z',
      closed('later', '2026-04-01T08:00:00.000Z'),
    ],
  ];
  for (const [name, windows, s, now, expected] of cases) {
    assert.deepEqual(windowDecision(windows, s, new Date(now)), expected, name);
  }
});
