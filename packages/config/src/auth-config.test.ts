import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as { details?: { problems: unknown } }).details?.problems;
  }
  assert.fail('expected loadConfig to throw');
};

const OIDC = {
  FERRY_AUTH: 'token,oidc',
  FERRY_OIDC_ISSUER_URL: 'https://id.example.com',
  FERRY_OIDC_CLIENT_ID: 'ferry-ui',
};

test('FERRY_AUTH defaults to token; none turns it off; anything else is refused', () => {
  assert.deepEqual(loadConfig({}).auth, ['token']);
  assert.equal(loadConfig({}).oidc, undefined);
  assert.equal(loadConfig({}).bootstrapAdminToken, undefined);
  assert.deepEqual(loadConfig({ FERRY_AUTH: 'none' }).auth, []);
  assert.equal(loadConfig({ FERRY_BOOTSTRAP_ADMIN_TOKEN: 'ferry_x' }).bootstrapAdminToken, 'ferry_x');
  assert.deepEqual(problemsOf({ FERRY_AUTH: 'ldap' }), [
    {
      path: 'FERRY_AUTH',
      message: '"ldap" is not a method; use "token", "oidc", "token,oidc", or "none" alone',
    },
  ]);
  assert.deepEqual(problemsOf({ FERRY_AUTH: 'none,token' }), [
    {
      path: 'FERRY_AUTH',
      message: '"none" is not a method; use "token", "oidc", "token,oidc", or "none" alone',
    },
  ]);
});

test('oidc with tokens: defaults for claims, scopes, audiences and clock skew', () => {
  const c = loadConfig(OIDC);
  assert.deepEqual(c.auth, ['token', 'oidc']);
  assert.deepEqual(c.oidc, {
    issuerUrl: 'https://id.example.com',
    clientId: 'ferry-ui',
    cliClientId: 'ferry-ui',
    audiences: ['ferry-ui'],
    scopes: ['openid', 'profile', 'email', 'groups'],
    usernameClaim: undefined,
    groupsClaim: 'groups',
    roles: [],
    clockSkewSeconds: 30,
  });
  assert.deepEqual(loadConfig({ ...OIDC, FERRY_AUTH: 'oidc' }).auth, ['oidc']);
});

test('oidc settings are read: CLI client, audiences, scopes, claims and the role mapping', () => {
  const c = loadConfig({
    ...OIDC,
    FERRY_OIDC_CLI_CLIENT_ID: 'ferry-cli',
    FERRY_OIDC_ADDITIONAL_SCOPES: 'groups offline_access',
    FERRY_OIDC_USERNAME_CLAIM: 'preferred_username',
    FERRY_OIDC_GROUPS_CLAIM: 'roles',
    FERRY_OIDC_CLOCK_SKEW_SECONDS: '5',
    FERRY_OIDC_ROLES:
      'group:platform=system:admin, user:alice@example.com=project:shop:promoter,claim:dept=a=b=project:shop:viewer,*=project:demo:viewer',
  });
  assert.deepEqual(c.oidc?.audiences, ['ferry-ui', 'ferry-cli']);
  assert.deepEqual(c.oidc?.scopes, ['openid', 'profile', 'email', 'groups', 'offline_access']);
  assert.equal(c.oidc?.usernameClaim, 'preferred_username');
  assert.equal(c.oidc?.groupsClaim, 'roles');
  assert.equal(c.oidc?.clockSkewSeconds, 5);
  assert.deepEqual(c.oidc?.roles, [
    { selector: { kind: 'group', value: 'platform' }, grant: { role: 'admin' } },
    { selector: { kind: 'user', value: 'alice@example.com' }, grant: { project: 'shop', role: 'promoter' } },
    { selector: { kind: 'claim', claim: 'dept', value: 'a=b' }, grant: { project: 'shop', role: 'viewer' } },
    { selector: { kind: 'any' }, grant: { project: 'demo', role: 'viewer' } },
  ]);
  assert.deepEqual(loadConfig({ ...OIDC, FERRY_OIDC_AUDIENCES: 'a, b' }).oidc?.audiences, ['a', 'b']);
  assert.deepEqual(
    loadConfig({ ...OIDC, FERRY_OIDC_ISSUER_URL: 'http://127.0.0.1:5556/dex' }).oidc?.issuerUrl,
    'http://127.0.0.1:5556/dex',
  );
});

test('bad oidc settings are each named', () => {
  const cases: [Record<string, string>, { path: string; message: string }[]][] = [
    [
      { FERRY_AUTH: 'oidc' },
      [
        {
          path: 'FERRY_OIDC_ISSUER_URL',
          message: 'is required with FERRY_AUTH=oidc; give the issuer, e.g. https://accounts.example.com',
        },
        {
          path: 'FERRY_OIDC_CLIENT_ID',
          message: 'is required with FERRY_AUTH=oidc; give the client id registered with the issuer',
        },
      ],
    ],
    [
      { ...OIDC, FERRY_OIDC_ISSUER_URL: 'http://id.example.com' },
      [
        {
          path: 'FERRY_OIDC_ISSUER_URL',
          message: 'must be an https URL (http only on 127.0.0.1 or localhost), got "http://id.example.com"',
        },
      ],
    ],
    [
      { ...OIDC, FERRY_OIDC_ISSUER_URL: 'id.example.com' },
      [{ path: 'FERRY_OIDC_ISSUER_URL', message: 'is not a URL: "id.example.com"' }],
    ],
    [
      { ...OIDC, FERRY_OIDC_CLOCK_SKEW_SECONDS: '600' },
      [{ path: 'FERRY_OIDC_CLOCK_SKEW_SECONDS', message: 'must be an integer from 0 to 300, got "600"' }],
    ],
    [
      {
        ...OIDC,
        FERRY_OIDC_ROLES: 'platform=system:admin,group:x=project:Shop:viewer,group:y=project:s:owner,user:z',
      },
      [
        {
          path: 'FERRY_OIDC_ROLES',
          message:
            'entry #1 "platform=system:admin": selector "platform" is not "*", group:VALUE, user:VALUE or claim:NAME=VALUE',
        },
        {
          path: 'FERRY_OIDC_ROLES',
          message:
            'entry #2 "group:x=project:Shop:viewer": "Shop" is not a Project name (lower-case letters, digits and "-", at most 63)',
        },
        {
          path: 'FERRY_OIDC_ROLES',
          message:
            'entry #3 "group:y=project:s:owner": role "project:s:owner" is not system:admin or project:NAME:viewer|promoter|admin',
        },
        {
          path: 'FERRY_OIDC_ROLES',
          message: 'entry #4 "user:z": is not SELECTOR=ROLE, like "group:platform=system:admin"',
        },
      ],
    ],
    [
      { FERRY_OIDC_ISSUER_URL: 'https://id.example.com' },
      [
        {
          path: 'FERRY_OIDC_ISSUER_URL',
          message: 'is set but FERRY_AUTH does not include "oidc"; add it or unset this',
        },
      ],
    ],
  ];
  for (const [env, problems] of cases) assert.deepEqual(problemsOf(env), problems, JSON.stringify(env));
});
