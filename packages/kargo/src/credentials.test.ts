import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CredentialCandidate, credentialsAllowedFor, selectCredentials } from './credentials.ts';

const c = (name: string, repoURL: string, isRegex = false): CredentialCandidate => ({
  name,
  repoURL,
  isRegex,
});

test('an exact match wins over a regex match, whatever the names', () => {
  const all = [c('a-regex', '^ghcr\\.io/acme/', true), c('z-exact', 'ghcr.io/acme/app')];
  assert.equal(selectCredentials(all, 'image', 'ghcr.io/acme/app')?.name, 'z-exact');
  assert.equal(selectCredentials(all, 'image', 'ghcr.io/acme/other')?.name, 'a-regex');
  assert.equal(selectCredentials(all, 'image', 'quay.io/acme/app'), undefined);
});

test('within a pass, Secrets are tried in lexical order of name', () => {
  const all = [c('b', 'ghcr.io/acme/app'), c('a', 'GHCR.io/acme/app')];
  assert.equal(selectCredentials(all, 'image', 'ghcr.io/acme/app')?.name, 'a');
  const regexes = [c('y', 'acme', true), c('x', '^ghcr', true)];
  assert.equal(selectCredentials(regexes, 'image', 'ghcr.io/acme/app')?.name, 'x');
});

test('URLs are compared in the normal form of their type', () => {
  const table: Array<[CredentialCandidate, 'git' | 'image' | 'helm', string, boolean]> = [
    [c('s', 'docker.io/library/nginx'), 'image', 'nginx', true],
    [c('s', 'index.docker.io/acme/app'), 'image', 'acme/app', true],
    [c('s', 'https://github.com/acme/repo.git'), 'git', 'https://GitHub.com/acme/repo/', true],
    [c('s', 'https://user@github.com/acme/repo'), 'git', 'https://github.com/acme/repo.git', true],
    [c('s', 'git@github.com:acme/repo.git'), 'git', 'ssh://git@github.com/acme/repo', true],
    [c('s', 'oci://ghcr.io/acme/charts/app'), 'helm', 'ghcr.io/acme/charts/app', true],
    [c('s', 'https://github.com/acme/repo'), 'git', 'https://github.com/acme/repo2', false],
    // A regex sees the URL as given and normalised: ".git" is gone from the latter.
    [c('s', 'repo$', true), 'git', 'https://github.com/acme/repo.git', true],
  ];
  for (const [cand, type, url, want] of table) {
    assert.equal(selectCredentials([cand], type, url) !== undefined, want, `${cand.repoURL} ~ ${url}`);
  }
});

test('a regex that does not compile is skipped', () => {
  assert.equal(
    selectCredentials([c('bad', '(', true), c('ok', 'acme', true)], 'image', 'ghcr.io/acme/x')?.name,
    'ok',
  );
});

test('credentials go over plain HTTP only to loopback hosts', () => {
  assert.equal(credentialsAllowedFor('https://github.com/a/b'), true);
  assert.equal(credentialsAllowedFor('ghcr.io/acme/app'), true);
  assert.equal(credentialsAllowedFor('http://127.0.0.1:8080/a.git'), true);
  assert.equal(credentialsAllowedFor('http://localhost/a.git'), true);
  assert.equal(credentialsAllowedFor('http://git.example.com/a.git'), false);
  assert.equal(credentialsAllowedFor('http://u@127.0.0.1.evil.com/a.git'), false);
});
