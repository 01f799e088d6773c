import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kustomizationImages } from './kustomize.ts';

describe('kustomizationImages', () => {
  const cases: [string, string, string[]][] = [
    [
      'newName and newTag',
      'images:\n- name: app\n  newName: reg.example/app\n  newTag: v1\n',
      ['reg.example/app:v1'],
    ],
    ['newTag only keeps the name', 'images:\n- name: app\n  newTag: "2"\n', ['app:2']],
    ['digest only', 'images:\n- name: app\n  digest: sha256:abc\n', ['app@sha256:abc']],
    ['tag and digest', 'images:\n- name: app\n  newTag: v1\n  digest: sha256:abc\n', ['app:v1@sha256:abc']],
    ['a numeric-looking tag stays a string', 'images:\n- name: app\n  newTag: 1.10\n', ['app:1.10']],
    ['no images', 'resources:\n- ../base\n', []],
    ['empty file', '', []],
    ['order kept', 'images:\n- name: b\n  newTag: "1"\n- name: a\n  newName: x/a\n', ['b:1', 'x/a']],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => assert.deepEqual(kustomizationImages(text), want));
  }
  it('rejects images that are not a list', () => {
    assert.throws(() => kustomizationImages('images: app\n'), {
      message: 'kustomization images must be a list',
    });
  });
});
