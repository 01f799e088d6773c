import assert from 'node:assert/strict';
import { test } from 'node:test';
import { visibleRange } from './window.ts';

test('visibleRange renders the items in view plus overscan, with spacers for the rest', () => {
  const cases: Array<[string, Parameters<typeof visibleRange>[0], ReturnType<typeof visibleRange>]> = [
    [
      'top of 500',
      { count: 500, itemSize: 100, offset: 0, viewport: 1000, overscan: 5 },
      { start: 0, end: 15, before: 0, after: 48_500 },
    ],
    [
      'middle',
      { count: 500, itemSize: 100, offset: 25_050, viewport: 1000, overscan: 5 },
      { start: 245, end: 266, before: 24_500, after: 23_400 },
    ],
    [
      'end',
      { count: 500, itemSize: 100, offset: 49_000, viewport: 1000, overscan: 5 },
      { start: 485, end: 500, before: 48_500, after: 0 },
    ],
    [
      'scrolled past the end of a list that shrank',
      { count: 20, itemSize: 100, offset: 49_000, viewport: 1000, overscan: 2 },
      { start: 8, end: 20, before: 800, after: 0 },
    ],
    [
      'not measured yet',
      { count: 500, itemSize: 100, offset: 0, viewport: 0, overscan: 8 },
      { start: 0, end: 8, before: 0, after: 49_200 },
    ],
    [
      'empty',
      { count: 0, itemSize: 100, offset: 0, viewport: 1000, overscan: 5 },
      { start: 0, end: 0, before: 0, after: 0 },
    ],
    [
      'fewer than fit',
      { count: 3, itemSize: 100, offset: 0, viewport: 1000, overscan: 5 },
      { start: 0, end: 3, before: 0, after: 0 },
    ],
  ];
  for (const [name, input, want] of cases) assert.deepEqual(visibleRange(input), want, name);
});

test('visibleRange keeps the DOM small however long the list', () => {
  for (const count of [500, 5000, 50_000]) {
    const r = visibleRange({ count, itemSize: 176, offset: count * 88, viewport: 1240, overscan: 6 });
    assert.ok(r.end - r.start <= 20, `${count}: ${r.end - r.start} items rendered`);
    assert.equal(r.before + (r.end - r.start) * 176 + r.after, count * 176, 'spacers keep the full length');
  }
});

test('visibleRange refuses an item size that is not positive', () => {
  assert.throws(() => visibleRange({ count: 1, itemSize: 0, offset: 0, viewport: 10, overscan: 1 }), {
    name: 'RangeError',
    message: 'itemSize must be more than 0, got 0',
  });
});
