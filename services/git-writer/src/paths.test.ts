import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kustomizationCandidates, normaliseEditPath } from './paths.ts';

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
