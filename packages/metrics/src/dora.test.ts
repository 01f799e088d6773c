import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type PromotionTimes,
  queueStats,
  recordPromotionFinished,
  recordQueue,
  secondsBetween,
  timeToRestoreSeconds,
} from './dora.ts';
import { registry } from './metrics.ts';

const p = (name: string, phase: string, createdAt?: string, finishedAt?: string): PromotionTimes => ({
  metadata: { name },
  status: { phase, ...(createdAt ? { createdAt } : {}), ...(finishedAt ? { finishedAt } : {}) },
});
const T = (min: number) => new Date(Date.UTC(2026, 0, 1, 0, min)).toISOString();

test('secondsBetween is undefined for missing, unreadable or backwards times', () => {
  const cases: [string | undefined, string | undefined, number | undefined][] = [
    [T(0), T(2), 120],
    [T(2), T(2), 0],
    [T(2), T(0), undefined],
    [undefined, T(0), undefined],
    [T(0), 'yesterday', undefined],
  ];
  for (const [from, to, want] of cases) assert.equal(secondsBetween(from, to), want, `${from} → ${to}`);
});

test('queueStats counts unfinished Promotions and ages the oldest Pending one', () => {
  const now = new Date(T(10));
  const cases: [string, PromotionTimes[], { depth: number; oldestPendingAgeSeconds: number }][] = [
    ['empty', [], { depth: 0, oldestPendingAgeSeconds: 0 }],
    [
      'only finished',
      [p('a', 'Succeeded', T(0), T(1)), p('b', 'Aborted', T(1))],
      { depth: 0, oldestPendingAgeSeconds: 0 },
    ],
    ['running, none pending', [p('a', 'Running', T(0))], { depth: 1, oldestPendingAgeSeconds: 0 }],
    [
      'oldest pending wins, running not aged',
      [
        p('a', 'Running', T(0)),
        p('b', 'Pending', T(7)),
        p('c', 'Pending', T(4)),
        p('d', 'Failed', T(1), T(2)),
      ],
      { depth: 3, oldestPendingAgeSeconds: 360 },
    ],
    [
      'metadata.creationTimestamp when status.createdAt is absent',
      [{ metadata: { name: 'x', creationTimestamp: T(9) }, status: { phase: 'Pending' } }],
      { depth: 1, oldestPendingAgeSeconds: 60 },
    ],
  ];
  for (const [name, promotions, want] of cases) assert.deepEqual(queueStats(promotions, now), want, name);
});

test('timeToRestoreSeconds runs from the first failure since the last success', () => {
  const ok = p('fix', 'Succeeded', T(20), T(30));
  const cases: [string, PromotionTimes[], number | undefined][] = [
    ['no history', [ok], undefined],
    ['previous succeeded', [p('a', 'Failed', T(0), T(1)), p('b', 'Succeeded', T(2), T(3)), ok], undefined],
    ['one failure', [p('a', 'Succeeded', T(0), T(1)), p('b', 'Failed', T(2), T(5)), ok], 25 * 60],
    [
      'a streak of Failed and Errored, Aborted skipped',
      [
        p('a', 'Succeeded', T(0), T(1)),
        p('b', 'Errored', T(2), T(4)),
        p('c', 'Aborted', T(5), T(6)),
        p('d', 'Failed', T(7), T(8)),
      ],
      26 * 60,
    ],
    [
      'later Promotions ignored',
      [p('b', 'Failed', T(2), T(10)), ok, p('z', 'Failed', T(31), T(40))],
      20 * 60,
    ],
    ['unfinished ignored', [p('b', 'Running', T(2)), ok], undefined],
  ];
  for (const [name, promotions, want] of cases)
    assert.equal(timeToRestoreSeconds(promotions, ok), want, name);
  assert.equal(timeToRestoreSeconds([p('b', 'Failed', T(0), T(1))], p('x', 'Succeeded', T(2))), undefined);
});

test('recordPromotionFinished and recordQueue feed the Promotion and DORA metrics', async () => {
  const stage = 'dora-test-stage';
  const history = [p('a', 'Failed', T(0), T(2)), p('b', 'Succeeded', T(3), T(12))];
  recordPromotionFinished('proj', stage, history[0]!, history);
  recordPromotionFinished('proj', stage, history[1]!, history);
  recordQueue('proj', stage, [p('c', 'Pending', T(12))], new Date(T(13)));
  const text = await registry.metrics();
  const line = (re: RegExp) => assert.match(text, re);
  line(/^ferry_promotions_finished_total\{project="proj",stage="dora-test-stage",phase="Failed"\} 1$/m);
  line(/^ferry_promotions_finished_total\{project="proj",stage="dora-test-stage",phase="Succeeded"\} 1$/m);
  line(
    /^ferry_promotion_duration_seconds_sum\{project="proj",stage="dora-test-stage",phase="Succeeded"\} 540$/m,
  );
  line(/^ferry_time_to_restore_seconds_sum\{project="proj",stage="dora-test-stage"\} 600$/m);
  line(/^ferry_promotion_queue_depth\{project="proj",stage="dora-test-stage"\} 1$/m);
  line(/^ferry_promotion_oldest_pending_age_seconds\{project="proj",stage="dora-test-stage"\} 60$/m);
});
