import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type OidcIssuer, startOidcIssuer } from '@ferry/support';
import {
  beginLogin,
  CALLBACK_PATH,
  codeFromCallback,
  idTokenFromAnswer,
  type PendingLogin,
  pkceChallenge,
  tokenRequestBody,
} from './oidc-login.ts';

describe('the browser login: Authorization Code with PKCE', () => {
  let issuer: OidcIssuer;
  before(async () => {
    issuer = await startOidcIssuer({ clientIds: ['ferry-ui'] });
  });
  after(() => issuer.close());

  const discovery = async () =>
    (await (await fetch(`${issuer.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      string
    >;

  it('the S256 challenge is base64url(SHA-256(verifier))', async () => {
    const v = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'; // RFC 7636, appendix B
    assert.equal(await pkceChallenge(v), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    assert.equal(await pkceChallenge('x'), createHash('sha256').update('x').digest('base64url'));
  });

  it('trades the code for an ID token carrying the nonce; a wrong verifier is refused', async () => {
    const cfg = { issuer: issuer.issuer, clientId: 'ferry-ui', scopes: ['openid', 'email'] };
    const { pending, url } = await beginLogin(
      cfg,
      await discovery(),
      'http://127.0.0.1:8080',
      '/ui/projects/shop',
    );
    const u = new URL(url);
    assert.equal(u.origin + u.pathname, `${issuer.issuer}/authorize`);
    assert.equal(u.searchParams.get('redirect_uri'), `http://127.0.0.1:8080${CALLBACK_PATH}`);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(u.searchParams.get('scope'), 'openid email');
    // The test issuer approves at once and sends the browser back with the code and state.
    const back = await fetch(url, { redirect: 'manual' });
    assert.equal(back.status, 302);
    const callback = new URL(back.headers.get('location') ?? '');
    assert.equal(callback.pathname, CALLBACK_PATH);
    const code = codeFromCallback(callback.search, pending);

    const wrong: PendingLogin = { ...pending, verifier: 'not-the-verifier-0123456789012345678901234' };
    const refused = await post(pending.tokenEndpoint, tokenRequestBody(code, wrong));
    assert.throws(() => idTokenFromAnswer(refused, pending), {
      message:
        'the issuer answered without an ID token: invalid_grant code_verifier does not match the code_challenge',
    });
    const { pending: p2, url: url2 } = await beginLogin(
      cfg,
      await discovery(),
      'http://127.0.0.1:8080',
      '/ui',
    );
    const code2 = codeFromCallback(
      new URL((await fetch(url2, { redirect: 'manual' })).headers.get('location') ?? '').search,
      p2,
    );
    const answer = await post(p2.tokenEndpoint, tokenRequestBody(code2, p2));
    const idToken = idTokenFromAnswer(answer, p2);
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.aud, 'ferry-ui');
    assert.equal(claims.nonce, p2.nonce);
    assert.throws(() => idTokenFromAnswer(answer, { ...p2, nonce: 'other' }), {
      message: "the ID token does not carry this login's nonce; sign in again",
    });
  });

  it('callback errors say what happened', () => {
    const p = { state: 's1' } as PendingLogin;
    const cases: [string, PendingLogin | undefined, string][] = [
      ['?error=access_denied&error_description=no', p, 'the issuer refused the login: access_denied (no)'],
      [
        '?code=c&state=s1',
        undefined,
        'this browser started no login (or it was in another tab); sign in again',
      ],
      [
        '?code=c&state=s2',
        p,
        'the login answer does not match the login this browser started; sign in again',
      ],
      ['?state=s1', p, 'the issuer sent no authorization code; sign in again'],
    ];
    for (const [search, pending, message] of cases)
      assert.throws(() => codeFromCallback(search, pending), { message });
    assert.equal(codeFromCallback('?code=c&state=s1', p), 'c');
  });
});

const post = async (url: string, body: string) =>
  (await (
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    })
  ).json()) as Record<string, unknown>;
