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
    { project: 'demo', name: 'gh-webhook', data: { secret: 's3cret', other: 'new' }, labels: { a: 'b' } },
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

const cred = (type: string, body: string, meta = '') =>
  secret(`{ name: c, namespace: demo, labels: { kargo.akuity.io/cred-type: ${type} }${meta} }`, body);

test('credential Secrets keep their labels and annotations', () => {
  const parsed = parseManifests(
    cred(
      'image',
      'stringData: { repoURL: ghcr.io/acme/app, username: bot, password: tok }\n',
      ', annotations: { note: x }',
    ),
    { knownProjects: new Set(['demo']) },
  );
  assert.deepEqual(parsed.secrets, [
    {
      project: 'demo',
      name: 'c',
      data: { repoURL: 'ghcr.io/acme/app', username: 'bot', password: 'tok' },
      labels: { 'kargo.akuity.io/cred-type': 'image' },
      annotations: { note: 'x' },
    },
  ]);
  // generic Secrets need no repoURL; regex ones need a valid expression.
  parseManifests(cred('generic', 'stringData: { token: x }\n'), { knownProjects: new Set(['demo']) });
  parseManifests(
    cred(
      'git',
      'stringData: { repoURL: "^https://github.com/acme/", repoURLIsRegex: "true", username: u, password: p }\n',
    ),
    { knownProjects: new Set(['demo']) },
  );
});

test('bad credential Secrets name the field and what to put there', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'image',
      'stringData: { username: u }\n',
      [
        '/stringData/repoURL: required in a Secret labelled kargo.akuity.io/cred-type: image: the repository URL these credentials are for (or a regular expression with repoURLIsRegex: "true")',
        '/stringData/password: required in a Secret labelled kargo.akuity.io/cred-type: image: the password or access token',
      ],
    ],
    [
      'git',
      `data: { repoURL: ${Buffer.from('https://x/(a').toString('base64')}, repoURLIsRegex: ${Buffer.from('true').toString('base64')} }\nstringData: { username: u, password: p }\n`,
      [
        '/data/repoURL: invalid regular expression: Invalid regular expression: /https://x/(a/: Unterminated group',
      ],
    ],
    [
      'helm',
      'stringData: { repoURL: "https://charts.example", repoURLIsRegex: yes, username: u, password: "" }\n',
      [
        '/stringData/repoURLIsRegex: must be "true" or "false"',
        '/stringData/password: required in a Secret labelled kargo.akuity.io/cred-type: helm: the password or access token',
      ],
    ],
    [
      'git',
      'stringData: { repoURL: "git@github.com:a/b.git", sshPrivateKey: k }\n',
      [
        '/stringData/sshPrivateKey: SSH keys are not supported yet by Ferry: use username and password (a token)',
        '/stringData/username: required in a Secret labelled kargo.akuity.io/cred-type: git: the user name to authenticate as',
        '/stringData/password: required in a Secret labelled kargo.akuity.io/cred-type: git: the password or access token',
      ],
    ],
    [
      'images',
      'stringData: { repoURL: x }\n',
      ['/metadata/labels/kargo.akuity.io~1cred-type: must be one of git, helm, image or generic'],
    ],
  ];
  for (const [type, body, want] of cases) {
    try {
      parseManifests(cred(type, body), { knownProjects: new Set(['demo']) });
      assert.fail(`accepted ${type}: ${body}`);
    } catch (e) {
      assert.ok(e instanceof ValidationError, String(e));
      assert.deepEqual(
        e.problems.map(
          (p) => `${p.path.replace(/^document 1 \(Secret "c", line \d+\): /, '')}: ${p.message}`,
        ),
        want,
      );
    }
  }
});
