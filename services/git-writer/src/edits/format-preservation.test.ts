/**
 * The format-preservation suite: each case edits one field of a fixture (fixtures/) and the
 * output must be the input with exactly that value's text replaced, byte for byte: comments
 * (head, inline, foot), anchors and aliases, flow style, quoting, blank lines, document markers,
 * several documents, CRLF line endings.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { setKustomizeImages } from './kustomize-set-image.ts';
import { type EditValue, setYamlValues } from './yaml-set.ts';

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** The input with one occurrence of `from` (which must be unique) replaced by `to`. */
function onlyChanged(input: string, from: string, to: string): string {
  assert.equal(input.split(from).length, 2, `"${from}" must occur once in the fixture`);
  return input.replace(from, to);
}

const yamlCases: Array<{ file: string; key: string; value: EditValue; from: string; to: string }> = [
  {
    file: 'values-comments.yaml',
    key: 'image.tag',
    value: '1.1.0',
    from: 'tag: "1.0.0"',
    to: 'tag: "1.1.0"',
  },
  {
    file: 'values-comments.yaml',
    key: 'replicaCount',
    value: 3,
    from: 'replicaCount: 2',
    to: 'replicaCount: 3',
  },
  {
    file: 'values-comments.yaml',
    key: 'service.type',
    value: 'NodePort',
    from: 'type: ClusterIP',
    to: 'type: NodePort',
  },
  {
    file: 'values-anchors.yaml',
    key: 'app.image.tag',
    value: '1.27',
    from: "tag: '1.25'",
    to: "tag: '1.27'",
  },
  { file: 'values-anchors.yaml', key: 'app.ports.1', value: 8443, from: '80, 443]', to: '80, 8443]' },
  { file: 'values-anchors.yaml', key: 'defaults.tag', value: '2.0.0', from: 'tag: 1.0.0', to: 'tag: 2.0.0' },
  {
    file: 'values-anchors.yaml',
    key: 'app.hosts.1',
    value: 'c.example.com',
    from: "'b.example.com'",
    to: "'c.example.com'",
  },
  {
    file: 'values-anchors.yaml',
    key: 'defaults.resources.limits.memory',
    value: '256Mi',
    from: 'memory: 128Mi',
    to: 'memory: 256Mi',
  },
  { file: 'values-quotes.yaml', key: 'plain', value: 'other', from: 'plain: value', to: 'plain: other' },
  { file: 'values-quotes.yaml', key: 'single', value: "it's new", from: "'it''s single'", to: "'it''s new'" },
  {
    file: 'values-quotes.yaml',
    key: 'double',
    value: 'say "hi"',
    from: '"line \\"quoted\\""',
    to: '"say \\"hi\\""',
  },
  { file: 'values-quotes.yaml', key: 'number', value: 4, from: 'number: 3', to: 'number: 4' },
  { file: 'values-quotes.yaml', key: 'flag', value: false, from: 'flag: true', to: 'flag: false' },
  { file: 'values-quotes.yaml', key: 'empty', value: 'x', from: 'empty: ""', to: 'empty: "x"' },
  {
    file: 'values-multidoc.yaml',
    key: 'data.version',
    value: '1.1.0',
    from: 'version: 1.0.0',
    to: 'version: 1.1.0',
  },
  {
    file: 'values-multidoc.yaml',
    key: 'stringData.token',
    value: 'xyz',
    from: 'token: abc',
    to: 'token: xyz',
  },
  {
    file: 'values-crlf.yaml',
    key: 'image.tag',
    value: '1.1.0',
    from: 'tag: 1.0.0\r\n',
    to: 'tag: 1.1.0\r\n',
  },
];

for (const c of yamlCases) {
  test(`yaml-update keeps ${c.file} byte for byte but ${c.key}`, async () => {
    const input = await fixture(c.file);
    const out = setYamlValues(input, [{ key: c.key, value: c.value }], c.file);
    assert.equal(out.changed, true);
    assert.equal(out.text, onlyChanged(input, c.from, c.to));
  });
}

test('yaml-update refuses to add a key to a file of several documents, naming the fix', async () => {
  const input = await fixture('values-multidoc.yaml');
  assert.throws(() => setYamlValues(input, [{ key: 'data.missing', value: 1 }], 'values-multidoc.yaml'), {
    message:
      'values-multidoc.yaml holds 2 YAML documents and none has "data.missing"; Ferry adds keys to single-document files only, so add the key by hand first',
  });
});

const kustomizeCases: Array<{
  file: string;
  image: { name: string; newTag?: string; digest?: string };
  from: string;
  to: string;
}> = [
  {
    file: 'kustomization.yaml',
    image: { name: 'ghcr.io/example/app', newTag: '1.2.0' },
    from: 'newTag: 1.1.0',
    to: 'newTag: 1.2.0',
  },
  { file: 'kustomization.yaml', image: { name: 'nginx', newTag: '1.27' }, from: '"1.25"', to: '"1.27"' },
  { file: 'kustomization.yaml', image: { name: 'redis', newTag: '7.2' }, from: "'7.0'", to: "'7.2'" },
  {
    file: 'kustomization-crlf.yaml',
    image: { name: 'ghcr.io/example/app', newTag: '1.2.0' },
    from: 'newTag: 1.1.0\r\n',
    to: 'newTag: 1.2.0\r\n',
  },
];

for (const c of kustomizeCases) {
  test(`kustomize-set-image keeps ${c.file} byte for byte but ${c.image.name}`, async () => {
    const input = await fixture(c.file);
    const out = setKustomizeImages(input, [c.image], c.file);
    assert.equal(out.changed, true);
    assert.equal(out.text, onlyChanged(input, c.from, c.to));
  });
}
