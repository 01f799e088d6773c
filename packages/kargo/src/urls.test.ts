import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gitRepoKey, normalizeChart, normalizeGit, normalizeImage } from './urls.ts';

test('normalizeImage drops Docker Hub hosts and library/, keeps other registries', () => {
  const cases: Array<[string, string]> = [
    ['index.docker.io/library/busybox', 'busybox'],
    ['index.docker.io/busybox', 'busybox'],
    ['registry-1.docker.io/library/busybox', 'busybox'],
    ['docker.io/busybox', 'busybox'],
    ['library/busybox', 'busybox'],
    ['busybox', 'busybox'],
    ['docker.io/example/repo', 'example/repo'],
    ['example/repo', 'example/repo'],
    ['ghcr.io/Example/Repo', 'ghcr.io/example/repo'],
    ['quay.io/example/repo', 'quay.io/example/repo'],
    ['localhost:5000/app', 'localhost:5000/app'],
    ['localhost/app', 'localhost/app'],
    ['ghcr.io/example/repo:1.0', 'ghcr.io/example/repo'],
    [`ghcr.io/example/repo@sha256:${'a'.repeat(64)}`, 'ghcr.io/example/repo'],
    ['  busybox\u200b ', 'busybox'],
    ['invalid url', 'invalid url'],
    ['Invalid URL', 'Invalid URL'],
  ];
  for (const [input, out] of cases) assert.equal(normalizeImage(input), out, input);
});

test('normalizeChart drops oci:// and normalises like an image; other URLs are lowercased', () => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['repo', 'repo'],
    ['  repo  ', 'repo'],
    ['REpo', 'repo'],
    ['OCI://Repo', 'repo'],
    ['oci://docker.io/example/repo', 'example/repo'],
    ['oci://registry-1.docker.io/example/repo', 'example/repo'],
    ['oci://ghcr.io/acme/charts/app', 'ghcr.io/acme/charts/app'],
    ['https://Charts.Example.com', 'https://charts.example.com'],
    ['https://charts.example.com/stable', 'https://charts.example.com/stable'],
    ['https://charts.example.com:8443/stable', 'https://charts.example.com:8443/stable'],
  ];
  for (const [input, out] of cases) assert.equal(normalizeChart(input), out, input);
});

test('normalizeGit gives one form per repository, and leaves what it cannot read alone', () => {
  const cases: Array<[string, string]> = [
    ['https://not a url', 'https://not a url'],
    ['http://github.com/example/repo?foo=bar', 'http://github.com/example/repo?foo=bar'],
    ['ssh://github.com/example/repo?foo=bar', 'ssh://github.com/example/repo?foo=bar'],
    ['not even remotely a url', 'not even remotely a url'],
    ['https://github.com/', 'https://github.com'],
    ['https://foo:bar@github.com', 'https://github.com'],
    ['https://GitHub.com/Example/Repo.git/', 'https://github.com/example/repo'],
    ['https://foo:bar@localhost:8443/example/repo.git/', 'https://localhost:8443/example/repo'],
    ['ssh://git@git.example.com/', 'ssh://git@git.example.com'],
    ['ssh://git@localhost:2222/example/repo.git', 'ssh://git@localhost:2222/example/repo'],
    ['git.example.com', 'ssh://git.example.com'],
    ['git@github.com:example/repo.git/', 'ssh://git@github.com/example/repo'],
    ['github.com:example/repo', 'ssh://github.com/example/repo'],
  ];
  for (const [input, out] of cases) assert.equal(normalizeGit(input), out, input);
});

test('gitRepoKey gives every URL form of one repository the same key, and keeps others apart', () => {
  const same = [
    'https://github.com/acme/app',
    'https://GitHub.com/Acme/App.git/',
    'http://user:pw@github.com/acme/app.git',
    'git@github.com:acme/app.git',
    'ssh://git@github.com/acme/app',
    'ssh://git@github.com:22/acme/app.git',
    'git://github.com/acme/app.git',
    'github.com:acme/app',
  ];
  for (const u of same) assert.equal(gitRepoKey(u), 'github.com/acme/app', u);
  const cases: Array<[string, string]> = [
    ['git@gitlab.example.com:/srv/acme/app.git', 'gitlab.example.com/srv/acme/app'],
    ['https://[::1]:3000/acme/app.git', '[::1]/acme/app'],
    ['https://dev.azure.com/org/proj/_git/app', 'dev.azure.com/org/proj/_git/app'],
    ['https://github.com/acme/app-other', 'github.com/acme/app-other'],
    ['https://github.com/', 'github.com'],
    ['not a url', 'not a url'],
  ];
  for (const [input, out] of cases) assert.equal(gitRepoKey(input), out, input);
});
