import assert from 'node:assert/strict';
import { test } from 'node:test';
import { branchNameProblem, kustomizationCandidates, normaliseEditPath, repoURLProblem } from './paths.ts';

test('plain relative paths are normalised', () => {
  assert.equal(normaliseEditPath('apps/dev'), 'apps/dev');
  assert.equal(normaliseEditPath('./apps//dev/'), 'apps/dev');
  assert.equal(normaliseEditPath(''), '');
  assert.equal(normaliseEditPath('.'), '');
});

for (const [path, why] of [
  ['/etc', 'is absolute'],
  ['C:/x', 'is absolute'],
  ['apps/../../x', 'goes outside the repository (..)'],
  ['..', 'goes outside the repository (..)'],
  ['apps\\dev', 'contains a backslash'],
  ['.git/hooks', 'points into the .git directory'],
] as const) {
  test(`path ${JSON.stringify(path)} is refused`, () => {
    assert.throws(() => normaliseEditPath(path), {
      name: 'EditPathError',
      message: `path "${path}" ${why}; give a directory relative to the repository root`,
    });
  });
}

test('kustomization candidates in kustomize order', () => {
  assert.deepEqual(kustomizationCandidates('apps/dev'), [
    'apps/dev/kustomization.yaml',
    'apps/dev/kustomization.yml',
    'apps/dev/Kustomization',
  ]);
  assert.deepEqual(kustomizationCandidates(''), ['kustomization.yaml', 'kustomization.yml', 'Kustomization']);
});

test('branch names git accepts pass', () => {
  for (const b of ['main', 'env/dev', 'kargo/promotion/dev.01', 'release-1.2'])
    assert.equal(branchNameProblem(b), undefined);
});

for (const [b, why] of [
  ['', 'is empty'],
  ['--force', 'starts with "-"'],
  ['env//dev', 'has an empty path component'],
  ['env/', 'has an empty path component'],
  ['a..b', 'contains ".." or "@{"'],
  ['x.lock', 'ends with "." or ".lock"'],
  ['my branch', 'contains a space, a control character or one of ~ ^ : ? * [ \\'],
  ['a:b', 'contains a space, a control character or one of ~ ^ : ? * [ \\'],
  ['env/.hidden', 'has a component starting with "."'],
] as const) {
  test(`branch name ${JSON.stringify(b)} is refused`, () => assert.equal(branchNameProblem(b), why));
}

test('repository URLs that git would read as options are refused', () => {
  assert.equal(repoURLProblem('https://git.example.com/r.git'), undefined);
  assert.equal(repoURLProblem('git@github.com:org/r.git'), undefined);
  assert.equal(repoURLProblem('--upload-pack=touch /tmp/x'), 'starts with "-"');
  assert.equal(repoURLProblem('https://x/r.git\n'), 'contains whitespace or a control character');
});
