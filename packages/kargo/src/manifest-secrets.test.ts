import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '@ferry/contracts';
import { parseManifests } from './manifest.ts';

const secret = (meta: string, body: string) => `apiVersion: v1\nkind: Secret\nmetadata: ${meta}\n${body}`;

test('v1 Secrets are decoded (data from base64, stringData on top) and kept out of resources', () => {
  const parsed = parseManifests(
    secret(
      '{ name: gh-webhook, namespace: demo, labels: { a: b } }',
      'type: Opaque\ndata:\n  secret: czNjcmV0\n  other: b2xk\nstringData:\n  other: new\n',
    ),
    { knownProjects: new Set(['demo']) },
  );
  assert.deepEqual(parsed.resources, []);
  assert.deepEqual(parsed.secrets, [
    { project: 'demo', name: 'gh-webhook', data: { secret: 's3cret', other: 'new' } },
  ]);
  const byDefault = parseManifests(secret('{ name: x }', 'stringData: { secret: y }\n'), {
    knownProjects: new Set(['demo']),
    defaultProject: 'demo',
  });
  assert.deepEqual(byDefault.secrets, [{ project: 'demo', name: 'x', data: { secret: 'y' } }]);
});

test('bad Secrets name every problem', () => {
  const text = [
    secret('{ name: a }', 'data: { secret: "not base64!" }\n'),
    secret('{ name: b, namespace: nope }', 'stringData: { "bad key": x, n: 1 }\n'),
    secret('{ name: c, namespace: demo }', 'stringData: { s: x }\n'),
    secret('{ name: c, namespace: demo }', 'stringData: { s: y }\nextra: 1\n'),
  ].join('---\n');
  try {
    parseManifests(text, { knownProjects: new Set(['demo']) });
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    assert.deepEqual(
      e.problems.map((p) => `${p.path}: ${p.message}`),
      [
        'document 1 (Secret "a", line 3): /metadata/namespace: required: the Project this Secret belongs to',
        'document 1 (Secret "a", line 4): /data/secret: must be base64 (use stringData for plain text)',
        'document 2 (Secret "b", line 9): /stringData/bad key: must be letters, digits, "-", "_" or "."',
        'document 2 (Secret "b", line 9): /stringData/n: must be a string',
        'document 2 (Secret "b", line 8): /metadata/namespace: project "nope" does not exist: apply its Project first or in the same file',
        'document 4 (Secret "c", line 20): /extra: unknown field',
        'document 4 (Secret "c", line 18): /metadata/name: Secret "c" of project "demo" is defined twice',
      ],
    );
  }
});
