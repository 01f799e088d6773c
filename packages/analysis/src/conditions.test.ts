import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionProblem, evaluateCondition } from './conditions.ts';
import { parseDuration } from './duration.ts';
import { evaluateJsonPath } from './jsonpath.ts';

describe('evaluateCondition', () => {
  const cases: Array<[string, unknown, boolean]> = [
    ['result[0] >= 0.95', [0.97], true],
    ['result[0] >= 0.95', [0.9], false],
    ['result == "ok"', 'ok', true],
    ["result == 'ok'", 'down', false],
    ['len(result) > 0 && result[0] < 5', [3], true],
    ['len(result) > 0 && result[0] < 5', [], false],
    ['result.status == "healthy"', { status: 'healthy' }, true],
    ['result.status == "healthy"', {}, false],
    ['all(result, {# >= 0.9})', [0.95, 0.91], true],
    ['all(result, {# >= 0.9})', [0.95, 0.5], false],
    ['any(result, {# < 0.5})', [0.95, 0.4], true],
    ['isNaN(result[0])', [Number.NaN], true],
    ['isNaN(result)', 1, false],
    ['isInf(result)', Number.POSITIVE_INFINITY, true],
    ['asInt(result) == 3', '3', true],
    ['asFloat(result) > 0.5', '0.75', true],
    ['!(result > 1) || result == 7', 7, true],
    ['result > 10 ? false : true', 3, true],
  ];
  for (const [expr, result, want] of cases) {
    it(`${expr} with ${JSON.stringify(result)} is ${want}`, () => {
      assert.equal(evaluateCondition(expr, result), want);
    });
  }

  const errors: Array<[string, unknown, string]> = [
    ['result + 1', 1, 'condition "result + 1" gave 2, not true or false'],
    ['asInt(result) > 1', 'x', 'condition "asInt(result) > 1" failed: asInt: "x" is not a number'],
    ['len(result) > 1', 5, 'condition "len(result) > 1" failed: len: 5 has no length'],
    [
      'process.env.HOME == "x"',
      1,
      'condition "process.env.HOME == "x"" failed: unknown name "process" (a condition sees only result)',
    ],
    [
      'process.exit(1)',
      1,
      'condition "process.exit(1)" failed: unknown function "exit" (known: len, all, any, none, filter, isNaN, isInf, asInt, asFloat)',
    ],
    [
      'result.constructor == 1',
      {},
      'condition "result.constructor == 1" failed: "constructor" cannot be used in a condition',
    ],
    ['result|upper == "A"', 'a', 'condition "result|upper == "A"" failed: transforms (|) are not supported'],
  ];
  for (const [expr, result, want] of errors) {
    it(`refuses ${expr}`, () => {
      assert.throws(() => evaluateCondition(expr, result), { message: want });
    });
  }

  it('checks syntax with placeholders standing for numbers', () => {
    assert.equal(conditionProblem('result[0] >= {{args.threshold}}'), undefined);
    assert.equal(conditionProblem('result >'), 'cannot parse: Unexpected end of expression: result >');
  });
});

describe('evaluateJsonPath', () => {
  const doc = { data: { ok: true, items: [{ v: 1 }, { v: 2 }], 'odd-key': 'x' } };
  const cases: Array<[string, unknown]> = [
    ['{$.data.ok}', true],
    ['$.data.items[0].v', 1],
    ['$.data.items[-1].v', 2],
    ["$.data['odd-key']", 'x'],
    ['{.data.items[*].v}', [1, 2]],
    ['$', doc],
  ];
  for (const [path, want] of cases) {
    it(`${path}`, () => assert.deepEqual(evaluateJsonPath(doc, path), want));
  }
  it('says when nothing matches or the path is unsupported', () => {
    assert.throws(() => evaluateJsonPath(doc, '$.data.nope'), {
      message: 'jsonPath "$.data.nope" matches nothing in the response',
    });
    assert.throws(() => evaluateJsonPath(doc, '$..v'), {
      message: 'jsonPath "$..v" is not supported at "..v" (use .name, [\'name\'], [N] or [*])',
    });
  });
});

describe('parseDuration', () => {
  const cases: Array<[string, number | { error: string }]> = [
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5s', 1500],
    ['0', 0],
    ['', { error: 'write it as 30s, 5m, 1h or 1h30m' }],
    ['10', { error: 'write it as 30s, 5m, 1h or 1h30m' }],
    ['2d', { error: 'unknown unit "d" (use ms, s, m or h)' }],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => assert.deepEqual(parseDuration(input), want));
  }
});
