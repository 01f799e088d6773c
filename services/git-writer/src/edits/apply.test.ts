import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GitEdit } from '@ferry/contracts';
import { memoryFiles } from '../testing/memory-files.ts';
import { applyFileEdit } from './apply.ts';

type FileEdit = Exclude<GitEdit, { kind: 'kustomize-set-image' }>;

const CHART = `apiVersion: v2
name: umbrella
version: 0.1.0
dependencies:
  # the app itself
  - name: app
    repository: https://charts.example.com
    version: 1.0.0
  - name: db
    repository: oci://registry.example/charts
    version: "2.0.0" # pinned
`;

const start = () =>
  new Map([
    ['apps/dev/values.yaml', 'image:\n  tag: v1 # set by Ferry\n'],
    ['apps/dev/config.json', '{\n  "tag": "v1"\n}\n'],
    ['apps/dev/chart/Chart.yaml', CHART],
    ['apps/base/a.yaml', 'a\n'],
    ['apps/base/sub/b.yaml', 'b\n'],
    ['README.md', 'hi\n'],
  ]);

test('applyFileEdit changes exactly the files each edit names', async () => {
  const cases: Array<{
    edit: FileEdit;
    summary: string;
    changed?: boolean;
    files: Record<string, string | undefined>;
  }> = [
    {
      edit: {
        kind: 'yaml-update',
        path: 'apps/dev/values.yaml',
        updates: [{ key: 'image.tag', value: 'v2' }],
      },
      summary: 'updated image.tag in apps/dev/values.yaml',
      files: { 'apps/dev/values.yaml': 'image:\n  tag: v2 # set by Ferry\n' },
    },
    {
      edit: { kind: 'json-update', path: './apps/dev/config.json', updates: [{ key: 'tag', value: 'v2' }] },
      summary: 'updated tag in apps/dev/config.json',
      files: { 'apps/dev/config.json': '{\n  "tag": "v2"\n}\n' },
    },
    {
      edit: {
        kind: 'helm-update-chart',
        path: 'apps/dev/chart',
        charts: [
          { repository: 'oci://registry.example/charts', name: 'db', version: '2.1.0' },
          { repository: 'https://charts.example.com', name: 'app', version: '1.1.0' },
        ],
      },
      summary: 'updated apps/dev/chart/Chart.yaml to use db:2.1.0, app:1.1.0',
      files: {
        'apps/dev/chart/Chart.yaml': CHART.replace('version: 1.0.0', 'version: 1.1.0').replace(
          'version: "2.0.0" # pinned',
          'version: "2.1.0" # pinned',
        ),
      },
    },
    {
      edit: { kind: 'file-write', path: 'apps/new/notes.txt', contents: 'made by Ferry\n' },
      summary: 'wrote apps/new/notes.txt',
      files: { 'apps/new/notes.txt': 'made by Ferry\n' },
    },
    {
      edit: { kind: 'file-write', path: 'README.md', contents: 'new\n', overwrite: true },
      summary: 'wrote README.md',
      files: { 'README.md': 'new\n' },
    },
    {
      edit: { kind: 'copy', inPath: 'apps/base', outPath: 'apps/prod' },
      summary: 'copied apps/base to apps/prod',
      files: { 'apps/prod/a.yaml': 'a\n', 'apps/prod/sub/b.yaml': 'b\n', 'apps/base/a.yaml': 'a\n' },
    },
    {
      edit: { kind: 'copy', inPath: 'README.md', outPath: 'docs/README.md' },
      summary: 'copied README.md to docs/README.md',
      files: { 'docs/README.md': 'hi\n' },
    },
    {
      edit: { kind: 'delete', path: 'apps/base' },
      summary: 'deleted apps/base',
      files: { 'apps/base/a.yaml': undefined, 'apps/base/sub/b.yaml': undefined, 'README.md': 'hi\n' },
    },
    {
      edit: { kind: 'delete', path: 'nothing/here' },
      summary: 'nothing/here does not exist; nothing to delete',
      changed: false,
      files: {},
    },
    {
      edit: { kind: 'git-clear', path: 'apps' },
      summary: 'cleared apps (2 entries)',
      files: { 'apps/dev/values.yaml': undefined, 'apps/base/a.yaml': undefined, 'README.md': 'hi\n' },
    },
    {
      edit: { kind: 'git-clear', path: '.' },
      summary: 'cleared . (2 entries)',
      files: { 'apps/dev/values.yaml': undefined, 'README.md': undefined },
    },
  ];
  for (const c of cases) {
    const files = start();
    const before = new Map(files);
    const r = await applyFileEdit(memoryFiles(files), c.edit);
    const label = `${c.edit.kind} ${JSON.stringify(c.edit)}`;
    assert.equal(r.summary, c.summary, label);
    assert.equal(r.changed, c.changed ?? true, label);
    for (const [path, want] of Object.entries(c.files))
      assert.equal(files.get(path), want, `${label}: ${path}`);
    // Nothing else moved.
    for (const [path, text] of before)
      if (!(path in c.files) && files.has(path)) assert.equal(files.get(path), text);
  }
});

test('applyFileEdit refuses bad paths and impossible edits with clear messages', async () => {
  const cases: Array<{ edit: FileEdit; message: string }> = [
    {
      edit: { kind: 'file-write', path: '../outside', contents: 'x' },
      message:
        'path "../outside" goes outside the repository (..); give a directory relative to the repository root',
    },
    {
      edit: { kind: 'delete', path: '/etc/passwd' },
      message: 'path "/etc/passwd" is absolute; give a directory relative to the repository root',
    },
    {
      edit: { kind: 'copy', inPath: 'README.md', outPath: '.git/config' },
      message:
        'path ".git/config" points into the .git directory; give a directory relative to the repository root',
    },
    {
      edit: { kind: 'file-write', path: 'README.md', contents: 'x' },
      message: '"README.md" already exists; set overwrite: true on the file-write step to replace it',
    },
    {
      edit: { kind: 'file-write', path: '.', contents: 'x' },
      message: 'path "." names the repository root; give a file path',
    },
    {
      edit: { kind: 'delete', path: 'gone', strict: true },
      message: '"gone" does not exist; nothing to delete',
    },
    {
      edit: { kind: 'copy', inPath: 'gone', outPath: 'x' },
      message: '"gone" does not exist; check the step\'s inPath',
    },
    {
      edit: { kind: 'copy', inPath: 'apps', outPath: 'apps/copy' },
      message: 'cannot copy "apps" into itself ("apps/copy"); give an outPath outside it',
    },
    {
      edit: { kind: 'yaml-update', path: 'missing.yaml', updates: [{ key: 'a', value: 1 }] },
      message: 'no file "missing.yaml"; check the step\'s path or add the file',
    },
    {
      edit: {
        kind: 'helm-update-chart',
        path: 'apps/dev/chart',
        charts: [{ repository: 'x', name: 'app', version: '1' }],
      },
      message:
        'apps/dev/chart/Chart.yaml has no dependency "app" from x; add it to Chart.yaml or fix the step\'s charts',
    },
    {
      edit: { kind: 'git-clear', path: 'README.md' },
      message: '"README.md" is not a directory; nothing to clear',
    },
  ];
  for (const c of cases) {
    await assert.rejects(
      applyFileEdit(memoryFiles(start()), c.edit),
      { message: c.message },
      JSON.stringify(c.edit),
    );
  }
});
