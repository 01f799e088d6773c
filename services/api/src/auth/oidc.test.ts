import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type OidcIssuer, type OidcUser, startOidcIssuer } from '@ferry/support';
import { OidcTokenError, OidcVerifier } from './oidc.ts';
import { principalFromClaims } from './oidc-principal.ts';

const NOW = 1_800_000_000; // seconds; the verifier's clock, so expiry cases are exact
const ALICE: OidcUser = { sub: 'u-1', email: 'alice@example.com', groups: ['developers'] };

let issuer: OidcIssuer;
let clock = NOW * 1000;
const verifier = () =>
  new OidcVerifier({
    issuer: issuer.issuer,
    audiences: ['ferry', 'ferry-cli'],
    clockSkewSeconds: 30,
    now: () => clock,
    jwksMinRefetchMs: 60_000,
  });

before(async () => {
  issuer = await startOidcIssuer({ clientIds: ['ferry', 'ferry-cli', 'other-app'] });
});
after(() => issuer.close());

const iso = (s: number) => new Date(s * 1000).toISOString();

describe('OidcVerifier', () => {
  // [name, token maker, expected: the sub, or [reason, message]]
  const cases: [string, () => string, string | [string, string]][] = [
    ['a good RS256 token', () => issuer.mint(ALICE, { iat: NOW - 10 }), 'u-1'],
    [
      'another accepted audience, in a list',
      () => issuer.mint(ALICE, { iat: NOW, aud: ['x', 'ferry-cli'] }),
      'u-1',
    ],
    ['expiry within the clock skew', () => issuer.mint(ALICE, { iat: NOW - 400, exp: NOW - 20 }), 'u-1'],
    [
      'expired',
      () => issuer.mint(ALICE, { iat: NOW - 400, exp: NOW - 31 }),
      ['expired', `the ID token expired at ${iso(NOW - 31)}; log in again (ferry login --oidc, or the UI)`],
    ],
    [
      'not yet valid',
      () => issuer.mint(ALICE, { iat: NOW, nbf: NOW + 60 }),
      [
        'not_yet_valid',
        `the ID token is not valid before ${iso(NOW + 60)}; check the clocks of this machine and the issuer`,
      ],
    ],
    [
      'issued in the future',
      () => issuer.mint(ALICE, { iat: NOW + 120 }),
      [
        'issued_in_future',
        `the ID token was issued at ${iso(NOW + 120)}, in the future; check the clocks of this machine and the issuer`,
      ],
    ],
    [
      'wrong audience',
      () => issuer.mint(ALICE, { iat: NOW, aud: 'other-app' }),
      [
        'wrong_audience',
        'the ID token is for audience "other-app", not "ferry" or "ferry-cli"; get a token issued to Ferry\'s client id',
      ],
    ],
    [
      'wrong issuer',
      () => issuer.mint(ALICE, { iat: NOW, iss: 'https://evil.example.com' }),
      [
        'wrong_issuer',
        `the ID token is from issuer "https://evil.example.com", not "${'ISSUER'}"; log in with this Ferry's issuer`,
      ],
    ],
    [
      'alg none',
      () => issuer.mint(ALICE, { iat: NOW, alg: 'none' }),
      [
        'unsupported_alg',
        'the ID token\'s alg "none" is not accepted; the issuer must sign with one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA',
      ],
    ],
    [
      'HS256 keyed with the public key',
      () => issuer.mint(ALICE, { iat: NOW, alg: 'HS256' }),
      [
        'unsupported_alg',
        'the ID token\'s alg "HS256" is not accepted; the issuer must sign with one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA',
      ],
    ],
    [
      'header alg that the key does not allow',
      () => issuer.mint(ALICE, { iat: NOW, headerAlg: 'PS256' }),
      ['alg_mismatch', 'KID'],
    ],
    [
      'a changed payload',
      () => {
        const [h, , s] = issuer.mint(ALICE, { iat: NOW }).split('.');
        const forged = Buffer.from(
          JSON.stringify({
            ...ALICE,
            sub: 'root',
            iss: issuer.issuer,
            aud: 'ferry',
            iat: NOW,
            exp: NOW + 300,
          }),
        );
        return `${h}.${forged.toString('base64url')}.${s}`;
      },
      ['bad_signature', 'KID'],
    ],
    [
      'not a JWT',
      () => 'abc.def',
      ['malformed', 'the bearer token is not a JWT: it needs three parts separated by "."'],
    ],
    [
      'missing exp',
      () => issuer.mint(ALICE, { iat: NOW, exp: 'soon' as unknown as number }),
      ['missing_claim', 'the ID token has no numeric "exp" claim'],
    ],
  ];
  for (const [name, make, want] of cases) {
    test(name, async () => {
      clock = NOW * 1000;
      const v = verifier();
      const token = make();
      if (typeof want === 'string') {
        assert.equal((await v.verify(token)).sub, want);
        return;
      }
      const err = await v.verify(token).then(
        () => assert.fail('expected the token to be refused'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof OidcTokenError, String(err));
      assert.equal(err.reason, want[0]);
      const kid = issuer.kids().at(-1);
      if (want[1] === 'KID') assert.match(err.message, new RegExp(`key "${kid}"`));
      else assert.equal(err.message, want[1].replace('ISSUER', issuer.issuer));
    });
  }

  test('ES256 keys verify; after a rotation an unknown kid fetches the JWKS again, at most once a minute', async () => {
    clock = NOW * 1000;
    const v = verifier();
    assert.equal((await v.verify(issuer.mint(ALICE, { iat: NOW }))).sub, 'u-1');
    assert.equal(v.jwksFetches, 1);
    const es = issuer.rotate('ES256');
    const esToken = issuer.mint(ALICE, { iat: NOW });
    assert.equal(JSON.parse(Buffer.from(esToken.split('.')[0]!, 'base64url').toString()).alg, 'ES256');
    // Too soon after the last fetch: the new kid is unknown, and the JWKS is not asked again.
    clock += 10_000;
    await assert.rejects(v.verify(esToken), {
      reason: 'unknown_key',
      message: `the ID token is signed with key "${es}", which the issuer's JWKS does not list; log in again (ferry login --oidc, or the UI)`,
    });
    assert.equal(v.jwksFetches, 1);
    clock += 60_000;
    assert.equal((await v.verify(esToken)).sub, 'u-1');
    assert.equal(v.jwksFetches, 2);
    // A key the issuer never published stays unknown, however often it is tried.
    const hidden = issuer.addKey('RS256');
    const hiddenToken = issuer.mint(ALICE, { iat: NOW, kid: hidden });
    for (let i = 0; i < 5; i++) await assert.rejects(v.verify(hiddenToken), { reason: 'unknown_key' });
    assert.equal(v.jwksFetches, 2);
    // Retired keys leave the JWKS; tokens still signed with them stop working after the next fetch.
    const old = issuer.mint(ALICE, { iat: NOW, kid: es });
    issuer.rotate('RS256', { retire: true });
    clock += 60_000;
    assert.equal((await v.verify(issuer.mint(ALICE, { iat: NOW + 120 - 100 }))).sub, 'u-1');
    assert.equal(v.jwksFetches, 3);
    await assert.rejects(v.verify(old), { reason: 'unknown_key' });
  });

  test('an issuer that does not answer is named; the discovery issuer must match exactly', async () => {
    const down = new OidcVerifier({
      issuer: 'http://127.0.0.1:9',
      audiences: ['ferry'],
      clockSkewSeconds: 0,
    });
    await assert.rejects(down.verify(issuer.mint(ALICE)), (err: OidcTokenError) => {
      assert.equal(err.reason, 'issuer_unreachable');
      assert.match(
        err.message,
        /^cannot verify the ID token: http:\/\/127\.0\.0\.1:9\/\.well-known\/openid-configuration did not answer/,
      );
      return true;
    });
    const slash = new OidcVerifier({
      issuer: `${issuer.issuer}/`,
      audiences: ['ferry'],
      clockSkewSeconds: 0,
    });
    await assert.rejects(slash.verify(issuer.mint(ALICE)), {
      reason: 'issuer_unreachable',
      message: `the discovery document at ${issuer.issuer}/.well-known/openid-configuration names issuer "${issuer.issuer}", not "${issuer.issuer}/"; FERRY_OIDC_ISSUER_URL must be the issuer exactly`,
    });
  });
});

describe('principalFromClaims', () => {
  const roles = [
    { selector: { kind: 'group', value: 'platform' }, grant: { role: 'admin' } },
    { selector: { kind: 'user', value: 'bob@example.com' }, grant: { project: 'shop', role: 'promoter' } },
    {
      selector: { kind: 'claim', claim: 'dept', value: 'payments' },
      grant: { project: 'pay', role: 'viewer' },
    },
    { selector: { kind: 'any' }, grant: { project: 'demo', role: 'viewer' } },
    { selector: { kind: 'group', value: 'developers' }, grant: { project: 'demo', role: 'viewer' } },
  ] as const;
  const m = { usernameClaim: undefined, groupsClaim: 'groups', roles };
  const cases: [
    string,
    Record<string, unknown>,
    typeof m | { usernameClaim: string; groupsClaim: string; roles: typeof roles },
    unknown,
  ][] = [
    [
      'email names the user; groups and any grant roles, each once',
      { sub: 'u-1', email: 'alice@example.com', groups: ['developers', 'platform'] },
      m,
      {
        name: 'oidc',
        subject: 'alice@example.com',
        roles: [{ role: 'admin' }, { project: 'demo', role: 'viewer' }],
      },
    ],
    [
      'sub when there is no email; a user entry and a claim entry (string or list)',
      { sub: 'bob@example.com', dept: ['payments', 'x'] },
      m,
      {
        name: 'oidc',
        subject: 'bob@example.com',
        roles: [
          { project: 'shop', role: 'promoter' },
          { project: 'pay', role: 'viewer' },
          { project: 'demo', role: 'viewer' },
        ],
      },
    ],
    [
      'a configured user-name claim and groups claim',
      { sub: 'u-3', preferred_username: 'carol', roles: 'platform' },
      { usernameClaim: 'preferred_username', groupsClaim: 'roles', roles },
      { name: 'oidc', subject: 'carol', roles: [{ role: 'admin' }, { project: 'demo', role: 'viewer' }] },
    ],
  ];
  for (const [name, claims, mapping, want] of cases) {
    test(name, () => assert.deepEqual(principalFromClaims(claims, mapping), want));
  }
  test('a configured user-name claim that is absent is refused', () => {
    assert.throws(
      () => principalFromClaims({ sub: 'u' }, { usernameClaim: 'upn', groupsClaim: 'groups', roles: [] }),
      {
        reason: 'missing_claim',
        message:
          'the ID token has no "upn" claim to name the user (FERRY_OIDC_USERNAME_CLAIM); ask for the scope that adds it',
      },
    );
  });
});
