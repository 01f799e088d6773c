import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';

test('FERRY_FORGE_TOKENS and FERRY_FORGE_API_URLS are read as host=value pairs', () => {
  const c = loadConfig({
    FERRY_FORGE_TOKENS: 'github.com=ghp_a=b, gitlab.example=glpat-x,',
    FERRY_FORGE_API_URLS: 'github.com=http://127.0.0.1:9000',
  });
  assert.deepEqual(c.forgeTokens, { 'github.com': 'ghp_a=b', 'gitlab.example': 'glpat-x' });
  assert.deepEqual(c.forgeApiUrls, { 'github.com': 'http://127.0.0.1:9000' });
  assert.deepEqual(loadConfig({}).forgeTokens, {});
});

test('bad forge entries are problems that name the host, never the token', () => {
  assert.throws(
    () =>
      loadConfig({
        FERRY_FORGE_TOKENS: 'github.com=,=s3cret',
        FERRY_FORGE_API_URLS: 'gitea.example=ftp://x',
      }),
    {
      message:
        'bad configuration: FERRY_FORGE_TOKENS: entry for host "github.com" is not host=token, like "github.com=<token>"; ' +
        'FERRY_FORGE_TOKENS: entry #2 is not host=token, like "github.com=<token>"; ' +
        'FERRY_FORGE_API_URLS: entry for host "gitea.example" is not host=http(s)://url, like "github.com=https://api.github.com"',
    },
  );
});
