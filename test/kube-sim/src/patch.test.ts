import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyJsonPatch, applyMergePatch, PatchError } from './patch.ts';

describe('applyMergePatch (RFC 7386 appendix A)', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, want] of cases) {
    it(`${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
      assert.deepEqual(applyMergePatch(target, patch), want);
    });
  }
});

describe('applyJsonPatch (RFC 6902)', () => {
  const ok: [string, unknown, unknown[], unknown][] = [
    ['add a member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { foo: 'bar', baz: 'qux' }],
    [
      'add inside an array',
      { foo: ['bar', 'baz'] },
      [{ op: 'add', path: '/foo/1', value: 'qux' }],
      { foo: ['bar', 'qux', 'baz'] },
    ],
    ['append with -', { foo: [1] }, [{ op: 'add', path: '/foo/-', value: 2 }], { foo: [1, 2] }],
    ['remove', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    [
      'remove from an array',
      { foo: ['bar', 'qux', 'baz'] },
      [{ op: 'remove', path: '/foo/1' }],
      { foo: ['bar', 'baz'] },
    ],
    [
      'replace',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'replace', path: '/baz', value: 'boo' }],
      { baz: 'boo', foo: 'bar' },
    ],
    [
      'move',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    [
      'move in an array',
      { foo: ['all', 'grass', 'cows', 'eat'] },
      [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] },
    ],
    ['copy', { a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: 1 }, c: { b: 1 } }],
    [
      'test then add',
      { baz: 'qux' },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'add', path: '/x', value: null },
      ],
      { baz: 'qux', x: null },
    ],
    [
      'escaped ~1 and ~0 tokens',
      { 'a/b': 1, 'm~n': 2 },
      [
        { op: 'replace', path: '/a~1b', value: 3 },
        { op: 'remove', path: '/m~0n' },
      ],
      { 'a/b': 3 },
    ],
    ['add at the root replaces the document', { a: 1 }, [{ op: 'add', path: '', value: { b: 2 } }], { b: 2 }],
  ];
  for (const [name, doc, ops, want] of ok) {
    it(name, () => {
      const before = structuredClone(doc);
      assert.deepEqual(applyJsonPatch(doc, ops), want);
      assert.deepEqual(doc, before, 'the input is not mutated');
    });
  }

  const bad: [string, unknown, unknown[], string][] = [
    [
      'test fails',
      { baz: 'qux' },
      [{ op: 'test', path: '/baz', value: 'bar' }],
      'testing value /baz failed: test failed',
    ],
    [
      'add below a missing parent',
      { q: 1 },
      [{ op: 'add', path: '/a/b', value: 1 }],
      'add operation does not apply: doc is missing path: "/a/b": missing value',
    ],
    [
      'remove a missing member',
      {},
      [{ op: 'remove', path: '/a' }],
      'remove operation does not apply: doc is missing path: "/a": missing value',
    ],
    [
      'replace a missing member',
      {},
      [{ op: 'replace', path: '/a', value: 1 }],
      'replace operation does not apply: doc is missing path: "/a": missing value',
    ],
    [
      'add past the end',
      { a: [1] },
      [{ op: 'add', path: '/a/5', value: 1 }],
      'add operation does not apply: index out of range: "/a/5"',
    ],
    ['unknown op', {}, [{ op: 'frob', path: '/a' }], 'Unexpected kind: frob'],
    ['add without value', {}, [{ op: 'add', path: '/a' }], 'add operation has no value'],
  ];
  for (const [name, doc, ops, message] of bad) {
    it(`rejects: ${name}`, () => {
      assert.throws(
        () => applyJsonPatch(doc, ops),
        (err: unknown) => err instanceof PatchError && err.message === message,
      );
    });
  }
});
