import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchSpanAttributes } from './core.ts';

test('a batch span names every write, its size and the revision it left', () => {
  const sha = (c: string) => c.repeat(40);
  const cases: [
    string,
    { writeId: string }[],
    [string, { outcome: 'Committed' | 'NoChange' | 'Failed'; commit: string }][],
    Record<string, unknown>,
  ][] = [
    [
      'one commit for all',
      [{ writeId: 'w1' }, { writeId: 'w2' }, { writeId: 'w1' }],
      [
        ['w1', { outcome: 'Committed', commit: sha('a') }],
        ['w2', { outcome: 'NoChange', commit: sha('a') }],
      ],
      { 'ferry.write_ids': ['w1', 'w2'], 'ferry.batch_size': 2, 'ferry.revision': sha('a') },
    ],
    [
      'a failed write does not name the revision',
      [{ writeId: 'w1' }, { writeId: 'w2' }],
      [
        ['w1', { outcome: 'Failed', commit: sha('0') }],
        ['w2', { outcome: 'Committed', commit: sha('b') }],
      ],
      { 'ferry.write_ids': ['w1', 'w2'], 'ferry.batch_size': 2, 'ferry.revision': sha('b') },
    ],
    [
      'writes answered earlier with other commits',
      [{ writeId: 'w1' }, { writeId: 'w2' }],
      [
        ['w1', { outcome: 'Committed', commit: sha('c') }],
        ['w2', { outcome: 'Committed', commit: sha('d') }],
      ],
      { 'ferry.write_ids': ['w1', 'w2'], 'ferry.batch_size': 2, 'ferry.revisions': [sha('c'), sha('d')] },
    ],
    [
      'nothing recorded (a transient error)',
      [{ writeId: 'w1' }],
      [],
      { 'ferry.write_ids': ['w1'], 'ferry.batch_size': 1 },
    ],
  ];
  for (const [name, writes, records, want] of cases)
    assert.deepEqual(batchSpanAttributes(writes, new Map(records)), want, name);
});
