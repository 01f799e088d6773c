import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { run } from './cli.ts';
import { apiError, captureIo, type FakeApi, startFakeApi } from './fake-api.ts';

describe('ferry login, logout, config and the Authorization header', () => {
  let api: FakeApi;
  let dir: string;
  let path: string;
  before(async () => {
    api = await startFakeApi();
    api.on('GET', '/api/v1/whoami', (req) =>
      req.authorization === 'Bearer ferry_good'
        ? { status: 200, body: { name: 'ci', subject: 'alice', roles: [] } }
        : {
            status: 401,
            body: apiError(
              401,
              'FERRY_ERR_UNAUTHENTICATED',
              'send Authorization: Bearer <token>; get one with ferry login',
            ),
          },
    );
    api.on('GET', '/api/v1/projects/shop/stages', { status: 200, body: { items: [] } });
  });
  after(() => api.close());
  beforeEach(async () => {
    api.requests.length = 0;
    dir = await mkdtemp(join(tmpdir(), 'ferry-cli-'));
    path = join(dir, 'ferry', 'config.json');
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('login checks the token, saves server and token (mode 0600), and later commands send it', async () => {
    const env = { XDG_CONFIG_HOME: dir };
    const c = captureIo({ env });
    assert.equal(await run(['login', '--server', api.url, '--token', 'ferry_good'], c.io), 0, c.stderr());
    assert.equal(c.stdout(), `logged in to ${api.url} as alice; saved in ${path}\n`);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { server: api.url, token: 'ferry_good' });
    assert.equal((await stat(path)).mode & 0o777, 0o600);

    const s = captureIo({ env });
    assert.equal(await run(['config', 'set-project', 'shop'], s.io), 0, s.stderr());
    assert.equal(s.stdout(), `Project "shop" is the default now; saved in ${path}\n`);

    api.requests.length = 0;
    const g = captureIo({ env });
    assert.equal(await run(['get', 'stages'], g.io), 0, g.stderr());
    assert.deepEqual(api.requests, [
      {
        method: 'GET',
        url: '/api/v1/projects/shop/stages',
        body: undefined,
        authorization: 'Bearer ferry_good',
      },
    ]);

    const o = captureIo({ env });
    assert.equal(await run(['logout'], o.io), 0);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { server: api.url, project: 'shop' });
  });

  it('a bad token is not saved; the error says how to get one', async () => {
    const c = captureIo({ env: { XDG_CONFIG_HOME: dir } });
    assert.equal(await run(['login', '--server', api.url, '--token', 'ferry_bad'], c.io), 1);
    assert.equal(
      c.stderr(),
      'error: send Authorization: Bearer <token>; get one with ferry login (FERRY_ERR_UNAUTHENTICATED)\n',
    );
    await assert.rejects(stat(path), { code: 'ENOENT' });
  });

  it('--token wins over FERRY_TOKEN, which wins over the saved token', async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [['--token', 'ferry_flag'], { FERRY_TOKEN: 'ferry_env' }, 'Bearer ferry_flag'],
      [[], { FERRY_TOKEN: 'ferry_env' }, 'Bearer ferry_env'],
    ];
    for (const [flags, env, want] of cases) {
      api.requests.length = 0;
      const c = captureIo({ env: { ...env, FERRY_SERVER: api.url } });
      assert.equal(await run([...flags, 'get', 'stages', '-p', 'shop'], c.io), 0, c.stderr());
      assert.equal(api.requests[0]?.authorization, want);
    }
    api.requests.length = 0;
    const none = captureIo({ env: { FERRY_SERVER: api.url } });
    assert.equal(await run(['get', 'stages', '-p', 'shop'], none.io), 0);
    assert.equal(api.requests[0]?.authorization, undefined);
  });

  it('config needs set-project and one name', async () => {
    const c = captureIo({ env: { XDG_CONFIG_HOME: dir } });
    assert.equal(await run(['config', 'set-project'], c.io), 2);
    assert.match(c.stderr(), /^error: give exactly one Project name\n/);
  });
});
