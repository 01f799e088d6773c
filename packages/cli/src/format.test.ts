import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAge, formatSeconds, parseDuration, renderTable, shortId, toYaml } from './format.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');

describe('formatAge', () => {
  const cases: Array<[string | undefined, string]> = [
    ['2025-06-01T12:00:00Z', '0s'],
    ['2025-06-01T11:59:55Z', '5s'],
    ['2025-06-01T11:59:00.001Z', '59s'],
    ['2025-06-01T11:57:00Z', '3m'],
    ['2025-06-01T10:00:00Z', '2h'],
    ['2025-05-28T12:00:00Z', '4d'],
    ['2023-06-01T12:00:00Z', '2y'],
    ['2025-06-01T12:00:00.500Z', '0s'],
    ['2025-06-01T12:00:05Z', '<invalid>'],
    [undefined, '<unknown>'],
    ['yesterday', '<unknown>'],
  ];
  for (const [ts, want] of cases) it(`${ts} → ${want}`, () => assert.equal(formatAge(ts, NOW), want));
});

describe('renderTable', () => {
  it('pads every column but the last to its widest cell, three spaces apart', () => {
    const text = renderTable(
      ['NAME', 'PHASE', 'AGE'],
      [
        ['dev', 'Succeeded', '5s'],
        ['production', 'Failed', '12d'],
      ],
    );
    assert.equal(
      text,
      'NAME         PHASE       AGE\n' + 'dev          Succeeded   5s\n' + 'production   Failed      12d\n',
    );
  });
});

describe('parseDuration', () => {
  const cases: Array<[string, number | undefined]> = [
    ['10m', 600_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['250ms', 250],
    ['10', undefined],
    ['m', undefined],
    ['-1s', undefined],
  ];
  for (const [text, want] of cases) it(`${text} → ${want}`, () => assert.equal(parseDuration(text), want));
});

describe('small formatters', () => {
  it('formatSeconds', () => {
    assert.equal(formatSeconds(120), '0.12s');
    assert.equal(formatSeconds(1840), '1.84s');
    assert.equal(formatSeconds(125_000), '2m5s');
  });
  it('shortId', () => {
    assert.equal(shortId('0123456789abcdef'), '0123456');
    assert.equal(shortId(undefined), '<none>');
  });
  it('toYaml never folds long strings', () => {
    const long = 'word '.repeat(40).trim();
    assert.equal(toYaml({ message: long }), `message: ${long}\n`);
  });
});
