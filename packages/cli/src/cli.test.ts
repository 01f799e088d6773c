import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { run, USAGE, VERSION } from './cli.ts';
import { captureIo, type FakeApi, startFakeApi } from './fake-api.ts';

/** A port nothing listens on: bound, then released. */
const freePort = async (): Promise<number> => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
};

describe('ferry', () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi();
  });
  after(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
  });

  it('explains how to start the API when nothing answers', async () => {
    const server = `http://127.0.0.1:${await freePort()}`;
    const c = captureIo({ env: { FERRY_SERVER: server } });
    assert.equal(await run(['get', 'projects'], c.io), 1);
    assert.equal(
      c.stderr(),
      `error: cannot reach the Ferry API at ${server}: is it running? start it with "pnpm start" or set --server / FERRY_SERVER\n`,
    );
  });

  it('--server wins over FERRY_SERVER, wherever it stands', async () => {
    api.on('GET', '/api/v1/projects/demo/stages', { status: 200, body: { items: [] } });
    const c = captureIo({ env: { FERRY_SERVER: 'http://127.0.0.1:9' } });
    assert.equal(await run(['-p', 'demo', '--server', api.url, 'get', 'stages'], c.io), 0);
    assert.equal(api.requests.length, 1);
    assert.equal(await run(['get', `--server=${api.url}/`, 'stages', '-p', 'demo'], c.io), 0);
    assert.equal(api.requests.length, 2);
  });

  it('refresh warehouse posts the refresh and says so', async () => {
    api.on('POST', '/api/v1/projects/demo/warehouses/app/refresh', { status: 202 });
    const c = captureIo({ env: { FERRY_SERVER: api.url } });
    assert.equal(await run(['refresh', 'warehouse', 'app', '-p', 'demo'], c.io), 0);
    assert.equal(c.stdout(), 'warehouse app refresh requested\n');
    assert.deepEqual(api.requests, [
      { method: 'POST', url: '/api/v1/projects/demo/warehouses/app/refresh', body: {} },
    ]);
  });

  it('shows an answer that is not a Ferry error by its status', async () => {
    api.on('GET', '/api/v1/projects', { status: 502 });
    const c = captureIo({ env: { FERRY_SERVER: api.url } });
    assert.equal(await run(['get', 'projects'], c.io), 1);
    assert.equal(c.stderr(), 'error: GET /api/v1/projects: HTTP 502 Bad Gateway (FERRY_ERR_HTTP_502)\n');
  });

  it('--version and --help print on stdout and exit 0', async () => {
    const v = captureIo();
    assert.equal(await run(['--version'], v.io), 0);
    assert.equal(v.stdout(), `ferry ${VERSION}\n`);
    const h = captureIo();
    assert.equal(await run(['-h'], h.io), 0);
    assert.equal(h.stdout(), USAGE);
    const hp = captureIo();
    assert.equal(await run(['help', 'promote'], hp.io), 0);
    assert.match(hp.stdout(), /^Usage: ferry promote /);
  });

  describe('help of every command listed in the usage', () => {
    const names = [...(USAGE.split('Commands:\n')[1] ?? '').split('\n\n')[0]!.matchAll(/^ {2}(\S+)/gm)].map(
      (m) => m[1]!,
    );
    // LOGOUT_USAGE lives in login.ts, which is being reworked (OIDC); its examples come with that.
    const withoutExamples = new Set(['logout']);
    it('lists the commands', () => {
      assert.ok(names.length >= 17, names.join(' '));
      for (const n of ['login', 'logout', 'config', 'apply', 'verify']) assert.ok(names.includes(n), n);
    });
    for (const name of names) {
      it(`ferry help ${name} is ferry ${name} --help${withoutExamples.has(name) ? '' : ', with examples'}`, async () => {
        const viaHelp = captureIo();
        assert.equal(await run(['help', name], viaHelp.io), 0);
        const viaFlag = captureIo();
        assert.equal(await run([name, '--help'], viaFlag.io), 0);
        assert.equal(viaHelp.stdout(), viaFlag.stdout());
        assert.match(viaHelp.stdout(), new RegExp(`^Usage: ferry ${name}\\b`));
        if (!withoutExamples.has(name)) {
          // Examples, one at least running this command (login.ts has one each for login and config).
          const examples = /\nExamples:\n((?: {2}.*\n)+)/.exec(viaHelp.stdout())?.[1] ?? '';
          const lines = examples.trimEnd().split('\n');
          assert.ok(
            lines.length >= (name === 'login' || name === 'config' ? 1 : 2),
            `ferry ${name}: ${examples}`,
          );
          assert.ok(
            lines.some((l) => l.includes(`ferry ${name} `)),
            `ferry ${name}: no example runs it:\n${examples}`,
          );
        }
      });
    }
    it('ferry help of an unknown command is bad usage', async () => {
      const c = captureIo();
      assert.equal(await run(['help', 'deploy'], c.io), 2);
      assert.equal(c.stderr(), `error: unknown command "deploy"\n\n${USAGE}`);
    });
  });

  describe('bad usage prints the usage on stderr and exits 2', () => {
    const cases: Array<[string[], string]> = [
      [[], USAGE],
      [['deploy'], `error: unknown command "deploy"\n\n${USAGE}`],
      [['--bogus'], `error: unknown option "--bogus"\n\n${USAGE}`],
    ];
    for (const [argv, want] of cases) {
      it(argv.join(' ') || '(nothing)', async () => {
        const c = captureIo();
        assert.equal(await run(argv, c.io), 2);
        assert.equal(c.stdout(), '');
        assert.equal(c.stderr(), want);
      });
    }
    it('a server that is not a URL', async () => {
      const c = captureIo();
      assert.equal(await run(['get', 'projects', '--server', 'localhost:8080'], c.io), 2);
      assert.match(
        c.stderr(),
        /^error: server "localhost:8080" must be an http or https URL\n\nUsage: ferry get/,
      );
    });
    it('refresh of something other than a warehouse', async () => {
      const c = captureIo();
      assert.equal(await run(['refresh', 'stage', 'dev', '-p', 'demo'], c.io), 2);
      assert.match(
        c.stderr(),
        /^error: cannot refresh "stage": only a warehouse can be refreshed\n\nUsage: ferry refresh/,
      );
    });
  });
});
