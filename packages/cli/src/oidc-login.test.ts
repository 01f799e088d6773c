import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type OidcIssuer, startOidcIssuer } from '@ferry/support';
import { run } from './cli.ts';
import { apiError, captureIo, type FakeApi, startFakeApi } from './fake-api.ts';
import { jwtExpiry } from './oidc.ts';

// The device flow against the test issuer; the API is a fake that accepts the issuer's ID tokens.
describe('ferry login --oidc and --id-token', () => {
  let issuer: OidcIssuer;
  let api: FakeApi;
  let dir: string;
  let path: string;
  const noWait = { sleep: async () => {} };
  const claimsOf = (bearer: string | undefined) => {
    const token = bearer?.replace(/^Bearer /, '') ?? '';
    try {
      return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >;
    } catch {
      return undefined;
    }
  };

  before(async () => {
    issuer = await startOidcIssuer({ clientIds: ['ferry-ui', 'ferry-cli'] });
    api = await startFakeApi();
    api.on('GET', '/api/v1/auth/config', {
      status: 200,
      body: {
        methods: ['token', 'oidc'],
        oidc: {
          issuer: issuer.issuer,
          clientId: 'ferry-ui',
          cliClientId: 'ferry-cli',
          scopes: ['openid', 'profile', 'email', 'groups'],
        },
      },
    });
    api.on('GET', '/api/v1/whoami', (req) => {
      const c = claimsOf(req.authorization);
      return c?.iss === issuer.issuer
        ? { status: 200, body: { name: 'oidc', subject: c.email ?? c.sub, roles: [] } }
        : { status: 401, body: apiError(401, 'FERRY_ERR_UNAUTHENTICATED', 'not an ID token of the issuer') };
    });
    api.on('GET', '/api/v1/projects', { status: 200, body: { items: [] } });
  });
  after(async () => {
    await api.close();
    await issuer.close();
  });
  beforeEach(async () => {
    api.requests.length = 0;
    issuer.grants.length = 0;
    dir = await mkdtemp(join(tmpdir(), 'ferry-cli-oidc-'));
    path = join(dir, 'ferry', 'config.json');
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('runs the device flow, saves ID and refresh token, sends the ID token, refreshes it when it expires', async () => {
    const env = { XDG_CONFIG_HOME: dir };
    const c = captureIo({ env, ...noWait });
    assert.equal(await run(['login', '--server', api.url, '--oidc'], c.io), 0, c.stderr());
    assert.match(
      c.stderr(),
      new RegExp(
        `^To log in, open ${issuer.issuer}/device and enter the code ([0-9A-F]{4}-[0-9A-F]{4})\\n\\(or open ${issuer.issuer}/device\\?user_code=\\1\\)\\n$`,
      ),
    );
    assert.equal(c.stdout(), `logged in to ${api.url} as alice@example.com (OIDC); saved in ${path}\n`);
    // One poll answered authorization_pending, the next one the tokens.
    assert.deepEqual(issuer.grants, [
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:device_code',
    ]);
    const saved = JSON.parse(await readFile(path, 'utf8'));
    assert.deepEqual(Object.keys(saved), ['server', 'oidc']);
    assert.equal(saved.oidc.issuer, issuer.issuer);
    assert.equal(saved.oidc.clientId, 'ferry-cli');
    assert.match(saved.oidc.refreshToken, /^rt_/);
    assert.equal(claimsOf(saved.oidc.idToken)?.aud, 'ferry-cli');
    assert.equal((await stat(path)).mode & 0o777, 0o600);

    api.requests.length = 0;
    const g = captureIo({ env });
    assert.equal(await run(['get', 'projects'], g.io), 0, g.stderr());
    assert.equal(api.requests[0]?.authorization, `Bearer ${saved.oidc.idToken}`);
    assert.equal(issuer.grants.includes('refresh_token'), false);

    // An hour on, the saved ID token has expired: the CLI refreshes it first and saves the new one.
    api.requests.length = 0;
    const later = (jwtExpiry(saved.oidc.idToken)! + 3600) * 1000;
    const r = captureIo({ env, now: () => later });
    assert.equal(await run(['get', 'projects'], r.io), 0, r.stderr());
    assert.equal(issuer.grants.at(-1), 'refresh_token');
    const refreshed = JSON.parse(await readFile(path, 'utf8'));
    assert.notEqual(refreshed.oidc.idToken, saved.oidc.idToken);
    assert.notEqual(refreshed.oidc.refreshToken, saved.oidc.refreshToken);
    assert.equal(api.requests[0]?.authorization, `Bearer ${refreshed.oidc.idToken}`);

    const o = captureIo({ env });
    assert.equal(await run(['logout'], o.io), 0);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { server: api.url });
  });

  it('--id-token saves an ID token without refresh; once expired the CLI says to log in again', async () => {
    const env = { XDG_CONFIG_HOME: dir };
    const token = issuer.mint({ sub: 'ci-bot', email: 'ci@example.com' }, { aud: 'ferry-cli' });
    const c = captureIo({ env });
    assert.equal(await run(['login', '--server', api.url, '--id-token', token], c.io), 0, c.stderr());
    assert.equal(c.stdout(), `logged in to ${api.url} as ci@example.com (ID token); saved in ${path}\n`);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { server: api.url, oidc: { idToken: token } });
    const exp = jwtExpiry(token)!;
    const g = captureIo({ env, now: () => (exp + 1) * 1000 });
    assert.equal(await run(['get', 'projects'], g.io), 1);
    assert.equal(
      g.stderr(),
      `error: the saved ID token expired at ${new Date(exp * 1000).toISOString()}; run "ferry login --oidc" (or --id-token) again\n`,
    );
    // An explicit --token still works; the expired session is not consulted.
    const t = captureIo({ env, now: () => (exp + 1) * 1000 });
    assert.equal(await run(['--token', token, 'get', 'projects'], t.io), 0, t.stderr());
  });

  it('a refused ID token is not saved', async () => {
    const c = captureIo({ env: { XDG_CONFIG_HOME: dir } });
    assert.equal(await run(['login', '--server', api.url, '--id-token', 'a.b.c'], c.io), 1);
    assert.equal(c.stderr(), 'error: not an ID token of the issuer (FERRY_ERR_UNAUTHENTICATED)\n');
    await assert.rejects(stat(path), { code: 'ENOENT' });
  });

  it('explains an API without OIDC, an issuer without the device flow, and conflicting flags', async () => {
    const plain = await startFakeApi();
    plain.on('GET', '/api/v1/auth/config', { status: 200, body: { methods: ['token'] } });
    const noDevice = await startOidcIssuer({ clientIds: ['ferry-cli'], deviceFlow: false });
    const other = await startFakeApi();
    other.on('GET', '/api/v1/auth/config', {
      status: 200,
      body: {
        methods: ['oidc'],
        oidc: { issuer: noDevice.issuer, clientId: 'x', cliClientId: 'ferry-cli', scopes: ['openid'] },
      },
    });
    try {
      const cases: [string[], number, string][] = [
        [
          ['login', '--server', plain.url, '--oidc'],
          1,
          `error: the API at ${plain.url} does not accept OIDC logins (its FERRY_AUTH has no "oidc"); log in with --token\n`,
        ],
        [
          ['login', '--server', other.url, '--oidc'],
          1,
          `error: the issuer ${noDevice.issuer} offers no device authorization endpoint (RFC 8628); get an ID token another way and run "ferry login --id-token TOKEN"\n`,
        ],
      ];
      for (const [argv, code, stderr] of cases) {
        const c = captureIo({ env: { XDG_CONFIG_HOME: dir }, ...noWait });
        assert.equal(await run(argv, c.io), code, argv.join(' '));
        assert.equal(c.stderr(), stderr);
      }
      const both = captureIo({ env: { XDG_CONFIG_HOME: dir } });
      assert.equal(await run(['login', '--server', api.url, '--oidc', '--id-token', 'x'], both.io), 2);
      assert.match(both.stderr(), /^error: give either --oidc or --id-token, not both\n/);
    } finally {
      await plain.close();
      await other.close();
      await noDevice.close();
    }
  });
});
