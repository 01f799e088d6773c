import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ms, percentile, ratio, summarize, table } from './report.ts';

describe('bench report helpers', () => {
  it('percentile is nearest-rank over unsorted samples', () => {
    const samples = [50, 10, 40, 20, 30, 100, 60, 70, 90, 80];
    // [p, expected]
    const cases: Array<[number, number]> = [
      [0, 10],
      [10, 10],
      [50, 50],
      [51, 60],
      [90, 90],
      [100, 100],
    ];
    for (const [p, want] of cases) assert.equal(percentile(samples, p), want, `p${p}`);
  });

  it('percentile of no samples says what to do', () => {
    assert.throws(() => percentile([], 50), {
      name: 'RangeError',
      message: 'percentile of no samples: measure at least once',
    });
  });

  it('summarize gives n, p50, p90 and max', () => {
    assert.deepEqual(summarize([3, 1, 2]), { n: 3, p50: 2, p90: 3, max: 3 });
  });

  it('ratio and ms format as printed in docs/benchmarks.md', () => {
    // [a, b, expected]
    const cases: Array<[number, number, string]> = [
      [1, 4, '0.25×'],
      [40, 1, '40.0×'],
      [3, 0, '–'],
    ];
    for (const [a, b, want] of cases) assert.equal(ratio(a, b), want, `${a}/${b}`);
    assert.equal(ms(7.04), '7.0');
    assert.equal(ms(123.6), '124');
  });

  it('table pads columns and right-aligns numeric ones', () => {
    assert.equal(
      table(
        ['strategy', 'requests'],
        [
          ['SemVer', '2'],
          ['NewestBuild', '1001'],
        ],
      ),
      [
        '| strategy    | requests |',
        '| ----------- | -------: |',
        '| SemVer      |        2 |',
        '| NewestBuild |     1001 |',
      ].join('\n'),
    );
  });
});
