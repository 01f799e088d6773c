import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoDurationNs, parseGoDuration, parseGoDurationNs } from './duration.ts';

test('parseGoDuration reads Go duration syntax into milliseconds', () => {
  const cases: Array<[string, number]> = [
    ['0', 0],
    ['-0', 0],
    ['5m0s', 300_000],
    ['5m', 300_000],
    ['1h2m3.5s', 3_723_500],
    ['300ms', 300],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['1.s', 1000],
    ['+2s', 2000],
    ['-1m', -60_000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['1500μs', 1.5],
    ['2000000ns', 2],
    ['1h1h', 7_200_000],
  ];
  for (const [input, ms] of cases) assert.equal(parseGoDuration(input), ms, input);
});

test('parseGoDuration says what is wrong', () => {
  const cases: Array<[string, string]> = [
    ['', 'invalid duration "": empty'],
    ['-', 'invalid duration "-": empty'],
    ['5', 'invalid duration "5": missing unit after 5 (use ns, us, ms, s, m or h)'],
    ['1h5', 'invalid duration "1h5": missing unit after 5 (use ns, us, ms, s, m or h)'],
    ['5d', 'invalid duration "5d": unknown unit "d" (use ns, us, ms, s, m or h)'],
    ['5 m', 'invalid duration "5 m": unknown unit " m" (use ns, us, ms, s, m or h)'],
    ['m', 'invalid duration "m": expected a number at "m"'],
    ['.s', 'invalid duration ".s": expected a number at ".s"'],
    ['1h.m', 'invalid duration "1h.m": expected a number at ".m"'],
    ['3000000h', 'invalid duration "3000000h": out of range'],
  ];
  for (const [input, message] of cases) assert.throws(() => parseGoDuration(input), { message }, input);
});

test('formatGoDurationNs prints what Go Duration.String() prints', () => {
  const cases: Array<[string, string]> = [
    ['0', '0s'],
    ['5m', '5m0s'],
    ['1h', '1h0m0s'],
    ['90m', '1h30m0s'],
    ['1h2m3.5s', '1h2m3.5s'],
    ['61s', '1m1s'],
    ['1.5s', '1.5s'],
    ['300ms', '300ms'],
    ['1.5ms', '1.5ms'],
    ['1500ns', '1.5µs'],
    ['7ns', '7ns'],
    ['-90s', '-1m30s'],
    ['1h0.000000001s', '1h0m0.000000001s'],
  ];
  for (const [input, out] of cases) assert.equal(formatGoDurationNs(parseGoDurationNs(input)), out, input);
});
