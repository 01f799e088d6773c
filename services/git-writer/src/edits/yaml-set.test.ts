import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setJsonValues } from './json-set.ts';
import { type EditValue, setYamlValues, splitKey } from './yaml-set.ts';

const VALUES = `# values for dev
image:
  repository: registry.example/app # the image
  tag: "1.0.0"   # bumped by Ferry
replicas: 2

containers:
  - name: app
    image: 'app:1.0.0'
  - name: sidecar
    image: side:1
`;

type Case = {
  name: string;
  updates: Array<{ key: string; value: EditValue }>;
  want: string;
  changed?: boolean;
};

test('setYamlValues keeps comments and quoting', () => {
  const cases: Case[] = [
    {
      name: 'double-quoted string stays double-quoted, comments kept',
      updates: [{ key: 'image.tag', value: '1.2.0' }],
      want: VALUES.replace('tag: "1.0.0"', 'tag: "1.2.0"'),
    },
    {
      name: 'array index, single quotes kept',
      updates: [{ key: 'containers.0.image', value: "app:it's" }],
      want: VALUES.replace("image: 'app:1.0.0'", "image: 'app:it''s'"),
    },
    {
      name: 'plain scalar set to a number and a bool',
      updates: [
        { key: 'replicas', value: 3 },
        { key: 'containers.1.image', value: true },
      ],
      want: VALUES.replace('replicas: 2', 'replicas: 3').replace('image: side:1', 'image: true'),
    },
    {
      name: 'a plain string that needs quotes gets them',
      updates: [{ key: 'containers.1.image', value: 'a: b' }],
      want: VALUES.replace('image: side:1', 'image: "a: b"'),
    },
    {
      name: 'same value: unchanged',
      updates: [{ key: 'image.tag', value: '1.0.0' }],
      want: VALUES,
      changed: false,
    },
    {
      name: 'a missing key is added through the Document API, comments kept',
      updates: [{ key: 'image.pullPolicy', value: 'Always' }],
      want: VALUES.replace(
        'tag: "1.0.0"   # bumped by Ferry\n',
        'tag: "1.0.0" # bumped by Ferry\n  pullPolicy: Always\n',
      ),
    },
  ];
  for (const c of cases) {
    const r = setYamlValues(VALUES, c.updates, 'values.yaml');
    assert.equal(r.text, c.want, c.name);
    assert.equal(r.changed, c.changed ?? true, c.name);
  }
});

test('setYamlValues errors name the file and key', () => {
  const cases: Array<{ text: string; key: string; want: string }> = [
    { text: 'a: 1\n', key: 'a.b', want: 'values.yaml: a is a scalar; cannot set "a.b" below it' },
    {
      text: 'a:\n  - x\n',
      key: 'a.first',
      want: 'values.yaml: a is a list; "first" in "a.first" is not an index',
    },
    { text: 'a: [\n', key: 'a', want: 'values.yaml is not valid YAML: ' },
    { text: 'a: 1\n', key: 'a..b', want: 'key "a..b" has an empty segment' },
  ];
  for (const c of cases) {
    assert.throws(
      () => setYamlValues(c.text, [{ key: c.key, value: 'v' }], 'values.yaml'),
      (err: Error) => err.message.startsWith(c.want),
      c.key,
    );
  }
});

test('splitKey keeps escaped dots', () => {
  assert.deepEqual(splitKey('metadata.annotations.kargo\\.akuity\\.io/x'), [
    'metadata',
    'annotations',
    'kargo.akuity.io/x',
  ]);
});

test('setJsonValues keeps indentation and the trailing newline', () => {
  const text = '{\n    "image": {\n        "tag": "1.0.0"\n    },\n    "list": [1, 2]\n}\n';
  const cases: Case[] = [
    {
      name: 'nested string',
      updates: [{ key: 'image.tag', value: '1.2.0' }],
      want: '{\n    "image": {\n        "tag": "1.2.0"\n    },\n    "list": [\n        1,\n        2\n    ]\n}\n',
    },
    {
      name: 'array index and a new key',
      updates: [
        { key: 'list.1', value: 5 },
        { key: 'new.flag', value: false },
      ],
      want: '{\n    "image": {\n        "tag": "1.0.0"\n    },\n    "list": [\n        1,\n        5\n    ],\n    "new": {\n        "flag": false\n    }\n}\n',
    },
    { name: 'unchanged', updates: [{ key: 'image.tag', value: '1.0.0' }], want: text, changed: false },
  ];
  for (const c of cases) {
    const r = setJsonValues(text, c.updates, 'config.json');
    assert.equal(r.text, c.want, c.name);
    assert.equal(r.changed, c.changed ?? true, c.name);
  }
  assert.throws(() => setJsonValues(text, [{ key: 'list.7', value: 1 }], 'config.json'), {
    message: 'config.json: list is a list of 2; "7" in "list.7" is not an index in it',
  });
  assert.throws(() => setJsonValues(text, [{ key: 'image.tag.x', value: 1 }], 'config.json'), {
    message: 'config.json: image.tag is a scalar; cannot set "image.tag.x" below it',
  });
});
