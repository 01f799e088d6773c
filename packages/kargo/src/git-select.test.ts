import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type GitSubscription, ValidationError, type Warehouse } from '@ferry/contracts';
import { selectBranchCommits, selectGitTags, type TagCandidate, touchesPaths } from './git-select.ts';
import { parseManifests } from './manifest.ts';

const sub = (over: Partial<GitSubscription>): GitSubscription => ({
  repoURL: 'https://git.example/acme/config.git',
  commitSelectionStrategy: 'NewestFromBranch',
  strictSemvers: true,
  allowTagsRegexes: [],
  ignoreTagsRegexes: [],
  includePaths: [],
  excludePaths: [],
  discoveryLimit: 20,
  ...over,
});

test('touchesPaths: prefix, glob and regex selectors, exclusions win', () => {
  const cases: Array<[string[], string[], string[], boolean]> = [
    [['apps/web/a.yaml'], [], [], true],
    [['docs/x.md'], ['apps/'], [], false],
    [['docs/x.md', 'apps/a.yaml'], ['apps/'], [], true],
    [['apps/a.md'], ['glob:apps/*.yaml'], [], false],
    [['apps/a.yaml'], ['glob:apps/*.yaml'], [], true],
    [['apps/a.yaml'], ['regex:\\.yaml$'], [], true],
    [['apps/a.yaml'], ['regexp:^docs/'], [], false],
    [['apps/a.yaml'], ['apps/'], ['apps/a.yaml'], false],
    [['apps/a.yaml', 'apps/b.yaml'], ['apps/'], ['apps/a.yaml'], true],
    [['docs/x.md'], [], ['docs/'], false],
    [[], ['apps/'], [], false],
  ];
  for (const [paths, includePaths, excludePaths, want] of cases) {
    assert.equal(
      touchesPaths(paths, { includePaths, excludePaths }),
      want,
      JSON.stringify([paths, includePaths, excludePaths]),
    );
  }
});

test('selectBranchCommits keeps order, filters paths and stops at discoveryLimit', () => {
  const commits = [
    { id: 'c4', paths: ['docs/a.md'] },
    { id: 'c3', paths: ['apps/a.yaml'] },
    { id: 'c2', paths: ['apps/b.yaml', 'docs/b.md'] },
    { id: 'c1', paths: ['apps/c.yaml'] },
  ];
  const ids = (s: GitSubscription) => selectBranchCommits(commits, s).map((c) => c.id);
  assert.deepEqual(ids(sub({})), ['c4', 'c3', 'c2', 'c1']);
  assert.deepEqual(ids(sub({ includePaths: ['apps/'] })), ['c3', 'c2', 'c1']);
  assert.deepEqual(ids(sub({ includePaths: ['apps/'], discoveryLimit: 2 })), ['c3', 'c2']);
  assert.deepEqual(ids(sub({ excludePaths: ['docs/'] })), ['c3', 'c2', 'c1']);
});

test('selectGitTags ranks tags per strategy', () => {
  const tags: TagCandidate[] = [
    { tag: 'v1.0.0', id: 'a', creatorDate: '2026-01-03T00:00:00Z', paths: ['apps/a'] },
    { tag: 'v1.2.0', id: 'b', creatorDate: '2026-01-01T00:00:00Z', paths: ['docs/a'] },
    { tag: 'v2.0.0-rc.1', id: 'c', creatorDate: '2026-01-02T00:00:00Z', paths: ['apps/b'] },
    { tag: 'release-7', id: 'd', creatorDate: '2026-01-04T00:00:00Z', paths: ['apps/c'] },
  ];
  const cases: Array<[Partial<GitSubscription>, string[]]> = [
    [{ commitSelectionStrategy: 'SemVer' }, ['v2.0.0-rc.1', 'v1.2.0', 'v1.0.0']],
    [{ commitSelectionStrategy: 'SemVer', semverConstraint: '^1.0.0' }, ['v1.2.0', 'v1.0.0']],
    [{ commitSelectionStrategy: 'SemVer', includePaths: ['apps/'] }, ['v2.0.0-rc.1', 'v1.0.0']],
    [{ commitSelectionStrategy: 'Lexical' }, ['v2.0.0-rc.1', 'v1.2.0', 'v1.0.0', 'release-7']],
    [{ commitSelectionStrategy: 'Lexical', allowTagsRegexes: ['^release-'] }, ['release-7']],
    [{ commitSelectionStrategy: 'NewestTag' }, ['release-7', 'v1.0.0', 'v2.0.0-rc.1', 'v1.2.0']],
    [
      { commitSelectionStrategy: 'NewestTag', ignoreTagsRegexes: ['^release-'], discoveryLimit: 1 },
      ['v1.0.0'],
    ],
  ];
  for (const [over, want] of cases) {
    assert.deepEqual(
      selectGitTags(tags, sub(over)).map((t) => t.tag),
      want,
      JSON.stringify(over),
    );
  }
  assert.throws(() => selectGitTags(tags, sub({})), {
    message: 'NewestFromBranch selects commits of a branch, not tags',
  });
});

test('git subscriptions parse with Kargo fields and report exact problems', () => {
  const doc = (git: string) =>
    `apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata: { name: w, namespace: p }\nspec:\n  subscriptions:\n  - git: ${git}\n`;
  const ok = parseManifests(
    doc(
      '{ repoURL: "https://git.example/acme/config.git", commitSelectionStrategy: SemVer, semverConstraint: "^1", includePaths: ["glob:apps/*"], discoveryLimit: 5, insecureSkipTLSVerify: true }',
    ),
    { knownProjects: new Set(['p']) },
  );
  assert.deepEqual(ok.warnings, []);
  assert.equal(ok.resources.length, 1);
  assert.deepEqual((ok.resources[0]!.resource as Warehouse).spec.subscriptions, [
    {
      git: {
        repoURL: 'https://git.example/acme/config.git',
        commitSelectionStrategy: 'SemVer',
        semverConstraint: '^1',
        strictSemvers: true,
        allowTagsRegexes: [],
        ignoreTagsRegexes: [],
        includePaths: ['glob:apps/*'],
        excludePaths: [],
        discoveryLimit: 5,
        insecureSkipTLSVerify: true,
      },
    },
  ]);
  const bad = doc(
    '{ repoURL: "ftp://x", commitSelectionStrategy: Newest, branch: "bad branch", semverConstraint: ">= nope", excludePaths: ["regex:("], discoveryLimit: 0, expressionFilter: "x" }',
  );
  let got: string[] = [];
  try {
    parseManifests(bad, { knownProjects: new Set(['p']) });
    assert.fail('the file was accepted');
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    got = e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  const AT = 'document 1 (Warehouse "w", line 6): /spec/subscriptions/0/git/';
  assert.deepEqual(got, [
    `${AT}expressionFilter: not supported yet by Ferry`,
    `${AT}repoURL: must be an http(s) URL or user@host:path, like "https://github.com/acme/app.git"`,
    `${AT}commitSelectionStrategy: must be one of NewestFromBranch, SemVer, Lexical, NewestTag`,
    `${AT}branch: must be a branch name of word characters separated by - or /, like "main"`,
    `${AT}semverConstraint: invalid SemVer constraint: improper constraint: ">= nope"`,
    `${AT}discoveryLimit: must be a whole number from 1 to 100`,
    `${AT}excludePaths/0: invalid path selector: Invalid regular expression: /(/: Unterminated group`,
  ]);
});
