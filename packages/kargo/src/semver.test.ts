import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareSemver, parseSemver, parseSemverConstraint, type SemVersion, satisfies } from './semver.ts';

test('parseSemver: coercing and strict parsing as Kargo does them', () => {
  // [tag, parses loosely, parses strictly, normal form]
  const cases: Array<[string, boolean, boolean, string?]> = [
    ['1.2.3', true, true, '1.2.3'],
    ['v1.2.3', true, true, '1.2.3'],
    ['1.2.3-rc.1+build.5', true, true, '1.2.3-rc.1'],
    ['1.2.3-0abc', true, true, '1.2.3-0abc'],
    ['1', true, false, '1.0.0'],
    ['v1.2', true, false, '1.2.0'],
    ['1.2-5', true, false, '1.2.0-5'],
    ['01.1.1', true, false, '1.1.1'],
    ['1.01.1', true, false, '1.1.1'],
    ['20221209-update-renovatejson-v4', true, false, '20221209.0.0-update-renovatejson-v4'],
    ['abc1234', false, false],
    ['latest', false, false],
    ['V1.2.3', false, false],
    ['vv1.2.3', false, false],
    ['1.2.3.4', false, false],
    ['1.2.3-beta.01', false, false],
    ['1.0.0-alpha..1', false, false],
    ['1.0.0-alpha_beta', false, false],
    ['9.8.7+meta+meta', false, false],
    ['1.2.3 ', false, false],
  ];
  const show = (v: SemVersion | undefined) =>
    v && `${v.major}.${v.minor}.${v.patch}${v.pre ? `-${v.pre}` : ''}`;
  for (const [tag, loose, strict, normal] of cases) {
    assert.equal(show(parseSemver(tag, false)), loose ? normal : undefined, `loose ${tag}`);
    assert.equal(show(parseSemver(tag, true)), strict ? normal : undefined, `strict ${tag}`);
  }
  assert.equal(parseSemver('v1.2.3', true)?.original, 'v1.2.3');
});

test('compareSemver orders by SemVer precedence', () => {
  const sorted = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
  ];
  sorted.push('1.0.0-rc.1', '1.0.0', '1.0.1', '1.10.0', '2.0.0');
  const shuffled = [...sorted].reverse();
  const v = (s: string) => parseSemver(s, true)!;
  assert.deepEqual(
    shuffled.sort((a, b) => compareSemver(v(a), v(b))),
    sorted,
  );
  assert.equal(compareSemver(v('1.0.0+a'), v('1.0.0+b')), 0);
});

test('constraints behave as Masterminds/semver v3 constraints', () => {
  // [constraint, version, satisfied]
  const cases: Array<[string, string, boolean]> = [
    ['*', '1.2.3', true],
    ['*', '1.2.3-alpha', false],
    ['^1.2', '1.9.9', true],
    ['^1.2', '2.0.0', false],
    ['^1.2', '1.1.9', false],
    ['^0.2.3', '0.2.9', true],
    ['^0.2.3', '0.3.0', false],
    ['^0.0.1', '0.0.1', true],
    ['^0.0.1', '0.0.2', false],
    ['^1.x', '1.1.1-beta1', false],
    ['^1.1.2-alpha', '1.2.1-beta1', true],
    ['~1.2.3', '1.2.5', true],
    ['~1.2.3', '1.3.0', false],
    ['~1', '1.4.0', true],
    ['~1.1-alpha', '1.1.1-beta', true],
    ['1.2', '1.2.7', true],
    ['1.2', '1.3.0', false],
    ['1.2.x', '1.2.0', true],
    ['= 2.0', '2.0.0', true],
    ['!=4.1', '4.1.0', false],
    ['!=4.x', '5.1.0', true],
    ['!=4.2.x', '4.2.3', false],
    ['!=4.1-alpha', '4.1.0', true],
    ['>1.1', '1.1.9', false],
    ['>1.1', '1.2.0', true],
    ['<1.1', '1.0.9', true],
    ['<=1.1', '1.1.9', true],
    ['<=1.1', '1.2.0', false],
    ['=> 1.0', '1.0.0', true],
    ['=< 1.0', '1.0.5', true],
    ['>= 1.2, < 2', '1.5.0', true],
    ['>= 1.2, < 2', '2.0.0', false],
    ['>=1.2 <2', '1.1.0', false],
    ['>=1.1, <2, !=1.2.3 || >= 3', '3.0.0', true],
    ['>=1.1, <2, !=1.2.3 || > 3', '1.2.3', false],
    ['1.1 - 2', '2.9.0', true],
    ['1.1 - 2', '3.0.0', false],
    ['1.1-3', '4.3.2', false],
    ['>= 1.0.0 <= 2.0.0-beta', '1.0.1-beta', true],
    ['>= 1.0.0 <= 2.0.0-beta || > 3', '3.0.1-beta', false],
    ['>= 1.0.0-0', '3.0.0-rc.1', true],
    ['>=1.1', '4.1.0-beta', false],
    ['v1.2.3', '1.2.3', true],
  ];
  for (const [c, v, want] of cases) {
    assert.equal(satisfies(parseSemver(v, false)!, parseSemverConstraint(c)), want, `${c} with ${v}`);
  }
});

test('bad constraints are refused with the part that is wrong', () => {
  const cases: Array<[string, string]> = [
    ['>= bar', 'improper constraint: ">= bar"'],
    ['BAR >= 1.2.3', 'improper constraint: "BAR >= 1.2.3"'],
    ['1.2.3.4', 'improper constraint: "1.2.3.4"'],
    ['12.3.34~ 1.2.3', 'improper constraint: "12.3.34~ 1.2.3"'],
    ['^1 || foo', 'improper constraint: " foo"'],
    ['v1.2.3-beta.01', 'improper constraint: "v1.2.3-beta.01"'],
    ['', 'improper constraint: ""'],
  ];
  for (const [c, message] of cases) assert.throws(() => parseSemverConstraint(c), { message }, c);
});
