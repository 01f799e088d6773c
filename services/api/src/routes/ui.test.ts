import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandler } from '../errors.ts';
import { ASSET_CACHE_CONTROL, INDEX_CACHE_CONTROL, uiRoutes } from './ui.ts';

let dir: string;
let built: FastifyInstance;
let missing: FastifyInstance;

const appFor = async (distDir: string) => {
  const app = Fastify();
  installErrorHandler(app);
  await app.register(uiRoutes, { distDir });
  return app;
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-ui-'));
  await mkdir(join(dir, 'dist', 'assets'), { recursive: true });
  await writeFile(join(dir, 'dist', 'index.html'), '<!doctype html><title>Ferry</title>');
  await writeFile(join(dir, 'dist', 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(join(dir, 'dist', 'assets', 'index-abc.css'), 'body{}');
  await writeFile(join(dir, 'secret.txt'), 'not for you');
  built = await appFor(join(dir, 'dist'));
  missing = await appFor(join(dir, 'nothing-here'));
});
after(async () => {
  await built.close();
  await missing.close();
  await rm(dir, { recursive: true, force: true });
});

test('pages and deep links answer index.html; assets their file with type and long caching', async () => {
  const cases: Array<[string, number, string, string, string]> = [
    ['/', 200, 'text/html; charset=utf-8', INDEX_CACHE_CONTROL, '<!doctype html><title>Ferry</title>'],
    ['/ui', 200, 'text/html; charset=utf-8', INDEX_CACHE_CONTROL, '<!doctype html><title>Ferry</title>'],
    [
      '/ui/projects/shop',
      200,
      'text/html; charset=utf-8',
      INDEX_CACHE_CONTROL,
      '<!doctype html><title>Ferry</title>',
    ],
    ['/assets/index-abc.js', 200, 'text/javascript; charset=utf-8', ASSET_CACHE_CONTROL, 'console.log(1)'],
    ['/assets/index-abc.css', 200, 'text/css; charset=utf-8', ASSET_CACHE_CONTROL, 'body{}'],
  ];
  for (const [url, status, type, cache, body] of cases) {
    const res = await built.inject({ method: 'GET', url });
    assert.equal(res.statusCode, status, url);
    assert.equal(res.headers['content-type'], type, url);
    assert.equal(res.headers['cache-control'], cache, url);
    assert.equal(res.body, body, url);
  }
});

test('an unknown asset, or a path out of the assets directory, is a 404 with the stable code', async () => {
  for (const url of ['/assets/nope.js', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt']) {
    const res = await built.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 404, url);
    assert.equal(res.json().code, 'FERRY_ERR_NOT_FOUND', url);
  }
  assert.equal(
    (await built.inject({ method: 'GET', url: '/assets/nope.js' })).json().message,
    'no UI asset "nope.js": reload the page; after an upgrade, rebuild with pnpm --filter @ferry/web build',
  );
});

test('without a build, pages answer 503 with a page that says how to build', async () => {
  for (const url of ['/', '/ui/projects/shop']) {
    const res = await missing.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 503, url);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.body, /<h1>Ferry's web UI is not built<\/h1>/);
    assert.match(res.body, /Build it with <code>pnpm --filter @ferry\/web build<\/code>/);
  }
});
