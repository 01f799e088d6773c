import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageSubscription } from '@ferry/contracts';
import { selectImageTags } from './select.ts';

const sub = (over: Partial<ImageSubscription> = {}): ImageSubscription => ({
  repoURL: 'ghcr.io/acme/app',
  imageSelectionStrategy: 'SemVer',
  strictSemvers: true,
  allowTagsRegexes: [],
  ignoreTagsRegexes: [],
  discoveryLimit: 20,
  ...over,
});
const SIG = `sha256-${'c'.repeat(64)}.sig`;

test('selectImageTags ranks tags as Kargo selectors do', () => {
  // [case, tags, subscription fields, expected best first]
  const cases: Array<[string, string[], Partial<ImageSubscription>, string[]]> = [
    [
      'semver: highest first, non-versions dropped',
      ['1.0.0', 'latest', '1.10.0', '1.2.0', 'abc1234'],
      {},
      ['1.10.0', '1.2.0', '1.0.0'],
    ],
    ['semver: strict drops partial versions', ['1', '1.2', '1.2.3', '01.2.3', '2024.01.05'], {}, ['1.2.3']],
    [
      'semver: not strict coerces partial versions',
      ['1', '1.2', '1.2.3', 'abc1234'],
      { strictSemvers: false },
      ['1.2.3', '1.2', '1'],
    ],
    ['semver: a leading v is a version', ['v1.0.0', 'v2.0.0', '1.5.0'], {}, ['v2.0.0', '1.5.0', 'v1.0.0']],
    [
      'semver: equal versions by tag descending',
      ['1.0.0', 'v1.0.0', '1.0.0+b', '1.0.0+a'],
      {},
      ['v1.0.0', '1.0.0+b', '1.0.0+a', '1.0.0'],
    ],
    ['semver: constraint', ['1.0.0', '1.5.0', '2.0.0', '0.9.0'], { constraint: '^1.0' }, ['1.5.0', '1.0.0']],
    [
      'semver: Masterminds comma syntax',
      ['1.0.0', '1.5.0', '2.0.0'],
      { constraint: '>= 1.1, < 2' },
      ['1.5.0'],
    ],
    [
      'semver: without a constraint prereleases count (as in Kargo)',
      ['1.0.0', '1.1.0-rc.1'],
      {},
      ['1.1.0-rc.1', '1.0.0'],
    ],
    [
      'semver: a constraint without a prerelease excludes them',
      ['1.0.0', '1.1.0-rc.1'],
      { constraint: '*' },
      ['1.0.0'],
    ],
    [
      'semver: prereleases when the constraint names one (then also below the upper bound, unlike npm)',
      ['1.0.0', '1.1.0-rc.1', '1.1.0-rc.2', '2.0.0-rc.1', '2.0.0'],
      { constraint: '>= 1.0.0-0, < 2' },
      ['2.0.0-rc.1', '1.1.0-rc.2', '1.1.0-rc.1', '1.0.0'],
    ],
    [
      'semver: prerelease precedence',
      ['1.0.0-beta.11', '1.0.0-beta.2', '1.0.0-alpha', '1.0.0'],
      { constraint: '>=1.0.0-alpha' },
      ['1.0.0', '1.0.0-beta.11', '1.0.0-beta.2', '1.0.0-alpha'],
    ],
    [
      'allow regexes filter first',
      ['1.0.0', '2.0.0', 'v3.0.0'],
      { allowTagsRegexes: ['^\\d'] },
      ['2.0.0', '1.0.0'],
    ],
    ['ignore regexes filter first', ['1.0.0', '2.0.0'], { ignoreTagsRegexes: ['^2\\.'] }, ['1.0.0']],
    [
      'ignore wins over allow',
      ['1.0.0', '2.0.0'],
      { allowTagsRegexes: ['.'], ignoreTagsRegexes: ['^1'] },
      ['2.0.0'],
    ],
    [
      'Go inline flags in regexes',
      ['V1', 'v2', 'x'],
      {
        imageSelectionStrategy: 'Lexical',
        allowTagsRegexes: ['(?i)^v'],
      },
      ['v2', 'V1'],
    ],
    [
      'lexical: reverse order',
      ['a', 'c', 'b', '10', '9'],
      { imageSelectionStrategy: 'Lexical' },
      ['c', 'b', 'a', '9', '10'],
    ],
    [
      'lexical: signature tags skipped',
      ['main-1', SIG, `sha256-${'d'.repeat(64)}.att`],
      {
        imageSelectionStrategy: 'Lexical',
      },
      ['main-1'],
    ],
    [
      'lexical: signature tags kept when an allow regex matches',
      ['main-1', SIG],
      {
        imageSelectionStrategy: 'Lexical',
        allowTagsRegexes: ['\\.sig$'],
      },
      [SIG],
    ],
    [
      'lexical: discovery limit',
      ['a', 'b', 'c', 'd'],
      { imageSelectionStrategy: 'Lexical', discoveryLimit: 2 },
      ['d', 'c'],
    ],
    ['semver: discovery limit', ['1.0.0', '2.0.0', '3.0.0'], { discoveryLimit: 1 }, ['3.0.0']],
    [
      'digest: the tag named by constraint',
      ['latest', 'stable'],
      {
        imageSelectionStrategy: 'Digest',
        constraint: 'stable',
      },
      ['stable'],
    ],
    [
      'digest: regexes do not apply',
      ['stable'],
      {
        imageSelectionStrategy: 'Digest',
        constraint: 'stable',
        ignoreTagsRegexes: ['.'],
      },
      ['stable'],
    ],
    ['digest: missing tag', ['latest'], { imageSelectionStrategy: 'Digest', constraint: 'stable' }, []],
    ['no tags', [], {}, []],
  ];
  for (const [name, tags, over, want] of cases)
    assert.deepEqual(selectImageTags(tags, sub(over)), want, name);
});

test('NewestBuild orders by creation time, ties by tag, unknown times last', () => {
  const created = new Map([
    ['a', '2024-01-01T00:00:00Z'],
    ['b', '2024-03-01T00:00:00Z'],
    ['c', '2024-02-01T00:00:00Z'],
    ['d', '2024-03-01T00:00:00Z'],
    ['e', 'not a time'],
  ]);
  const s = sub({ imageSelectionStrategy: 'NewestBuild' });
  assert.deepEqual(selectImageTags(['a', 'b', 'c', 'd', 'e', 'f'], s, created), [
    'd',
    'b',
    'c',
    'a',
    'f',
    'e',
  ]);
  assert.deepEqual(selectImageTags(['a', 'b', 'c'], { ...s, discoveryLimit: 1 }, created), ['b']);
  assert.deepEqual(selectImageTags(['a', 'b'], { ...s, ignoreTagsRegexes: ['b'] }, created), ['a']);
  assert.throws(() => selectImageTags(['a'], s), {
    message: 'NewestBuild selection needs the creation time of each tag',
  });
});
