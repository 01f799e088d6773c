import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiBase, inferProvider, parseRepoURL } from './index.ts';

test('parseRepoURL: host and path of https and scp-style URLs', () => {
  const cases: Array<[string, { host: string; path: string }]> = [
    ['https://github.com/acme/gitops.git', { host: 'github.com', path: 'acme/gitops' }],
    ['https://gitlab.example:8443/g/sub/repo', { host: 'gitlab.example:8443', path: 'g/sub/repo' }],
    ['git@github.com:acme/gitops.git', { host: 'github.com', path: 'acme/gitops' }],
    ['ssh://git@gitea.example/acme/x.git', { host: 'gitea.example', path: 'acme/x' }],
  ];
  for (const [url, want] of cases) assert.deepEqual(parseRepoURL(url), want, url);
});

test('parseRepoURL refuses a URL without owner/repository', () => {
  assert.throws(() => parseRepoURL('https://github.com/acme'), {
    code: 'FERRY_ERR_FORGE_INVALID_REPO',
    message: 'repoURL "https://github.com/acme" names no owner/repository',
  });
});

test('inferProvider by host name, and an error asking for provider', () => {
  assert.equal(inferProvider('github.com'), 'github');
  assert.equal(inferProvider('gitlab.example.com'), 'gitlab');
  assert.equal(inferProvider('gitea.internal'), 'gitea');
  assert.throws(() => inferProvider('git.example'), {
    message: 'cannot tell the forge of host git.example; set provider to github, gitlab or gitea',
  });
});

test('apiBase per provider and host, and overrides', () => {
  const cases: Array<[string, 'github' | 'gitlab' | 'gitea', string]> = [
    ['github.com', 'github', 'https://api.github.com'],
    ['ghe.example', 'github', 'https://ghe.example/api/v3'],
    ['gitlab.example', 'gitlab', 'https://gitlab.example/api/v4'],
    ['gitea.example', 'gitea', 'https://gitea.example/api/v1'],
  ];
  for (const [host, p, want] of cases) assert.equal(apiBase(host, p), want);
  assert.equal(
    apiBase('github.com', 'github', { 'github.com': 'http://127.0.0.1:9/' }),
    'http://127.0.0.1:9',
  );
});
