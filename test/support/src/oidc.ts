/**
 * An OpenID Connect issuer for tests, over node:http: the discovery document
 * (`/.well-known/openid-configuration`, OpenID Connect Discovery 1.0), the JWKS, ID tokens signed
 * RS256 or ES256 with key rotation, the Device Authorization Grant (RFC 8628) and the Authorization
 * Code grant with PKCE (RFC 7636), both approving at once, and refresh tokens.
 */
import {
  createHash,
  createHmac,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** The signature algorithms the issuer signs with. */
export type OidcSigningAlg = 'RS256' | 'ES256';

/** The claims of the user the issuer logs in next (device and browser flows, refresh). */
export interface OidcUser {
  /** Subject: the user's stable id at the issuer. */
  sub: string;
  /** E-mail address; Ferry's default user-name claim. */
  email?: string;
  /** Group names; Ferry's default groups claim. */
  groups?: string[];
  /** Any further claims. */
  [claim: string]: unknown;
}

/** Options of {@link OidcIssuer.mint}: what to put in or leave out of one ID token. */
export interface MintOptions {
  /** The algorithm; default the current key's. `none` makes an unsigned token, `HS256` one MACed with the public key's PEM (the classic confusion attack). */
  alg?: OidcSigningAlg | 'none' | 'HS256';
  /** The `alg` written in the header, when a test wants it to lie about the key. */
  headerAlg?: string;
  /** Sign with this key id (from {@link OidcIssuer.kids} or {@link OidcIssuer.addKey}); default the current key. */
  kid?: string;
  /** `aud`; default the first client id. */
  aud?: string | string[];
  /** `iss`; default the issuer. */
  iss?: string;
  /** `iat` in seconds since the epoch; default now. */
  iat?: number;
  /** `exp`; default `iat` + the token lifetime. */
  exp?: number;
  /** `nbf`; absent unless given. */
  nbf?: number;
  /** `nonce`, for the browser flow. */
  nonce?: string;
}

/** A running test issuer. */
export interface OidcIssuer {
  /** The issuer URL, `http://127.0.0.1:<port>`; what tokens carry as `iss`. */
  issuer: string;
  /** Client ids the issuer knows; the first is the default audience. */
  clientIds: readonly string[];
  /** Key ids published in the JWKS, the current signing key last. */
  kids(): string[];
  /** Signs an ID token for `claims` (which must hold `sub`). */
  mint(claims: OidcUser, options?: MintOptions): string;
  /**
   * Makes a new key the signing key. With `retire`, the old keys leave the JWKS; otherwise they
   * stay published, as issuers do during a rotation. Returns the new key id.
   */
  rotate(alg?: OidcSigningAlg, options?: { retire?: boolean }): string;
  /** Makes a key that is not published in the JWKS (to test unknown `kid`); returns its id. */
  addKey(alg: OidcSigningAlg, options?: { publish?: boolean }): string;
  /** The user the next device or browser login (and the refreshes of its token) is for. */
  user: OidcUser;
  /** Lifetime of ID tokens the endpoints issue, in seconds (default 300). */
  idTokenTtlSeconds: number;
  /** Polls of a device code answered `authorization_pending` before it is approved (default 1). */
  pendingPolls: number;
  /** Requests so far, by path (`/jwks`, `/token`, `/device/code`, …). */
  readonly requests: Readonly<Record<string, number>>;
  /** Grant types the token endpoint has served, in order. */
  readonly grants: string[];
  /** Stops the server. */
  close(): Promise<void>;
}

interface Key {
  kid: string;
  alg: OidcSigningAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  published: boolean;
}

const b64 = (v: string | Buffer): string => Buffer.from(v).toString('base64url');

const newKey = (alg: OidcSigningAlg, published: boolean): Key => {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}`, alg, ...pair, published };
};

/**
 * Starts an issuer on 127.0.0.1 with one RS256 key (or `alg`); `clientIds` default `['ferry']`.
 * With `deviceFlow: false` the discovery document names no device authorization endpoint.
 */
export async function startOidcIssuer(
  opts: { clientIds?: string[]; alg?: OidcSigningAlg; deviceFlow?: boolean } = {},
): Promise<OidcIssuer> {
  const clientIds = opts.clientIds ?? ['ferry'];
  const keys: Key[] = [newKey(opts.alg ?? 'RS256', true)];
  const requests: Record<string, number> = {};
  const grants: string[] = [];
  const devices = new Map<string, { user: OidcUser; clientId: string; polls: number; scope: string }>();
  const codes = new Map<
    string,
    { user: OidcUser; clientId: string; redirect: string; challenge: string; nonce?: string }
  >();
  const refreshTokens = new Map<string, { user: OidcUser; clientId: string }>();
  let issuer = '';

  const mint = (claims: OidcUser, o: MintOptions = {}): string => {
    const key = o.kid ? keys.find((k) => k.kid === o.kid) : keys[keys.length - 1];
    if (!key) throw new Error(`no key "${o.kid}"`);
    const alg = o.alg ?? key.alg;
    const iat = o.iat ?? Math.floor(Date.now() / 1000);
    const payload = {
      iss: o.iss ?? issuer,
      aud: o.aud ?? clientIds[0],
      iat,
      exp: o.exp ?? iat + api.idTokenTtlSeconds,
      ...(o.nbf === undefined ? {} : { nbf: o.nbf }),
      ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
      ...claims,
    };
    const header = { alg: o.headerAlg ?? alg, typ: 'JWT', ...(alg === 'none' ? {} : { kid: key.kid }) };
    const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
    if (alg === 'none') return `${input}.`;
    if (alg === 'HS256') {
      const pem = key.publicKey.export({ type: 'spki', format: 'pem' });
      return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    }
    const sig =
      alg === 'ES256'
        ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
        : sign('sha256', Buffer.from(input), key.privateKey);
    return `${input}.${sig.toString('base64url')}`;
  };

  const tokens = (user: OidcUser, clientId: string, nonce?: string) => {
    const refresh = `rt_${randomBytes(16).toString('hex')}`;
    refreshTokens.set(refresh, { user, clientId });
    return {
      access_token: `at_${randomBytes(16).toString('hex')}`,
      token_type: 'Bearer',
      expires_in: api.idTokenTtlSeconds,
      id_token: mint(
        { ...user, jti: randomBytes(8).toString('hex') },
        { aud: clientId, ...(nonce === undefined ? {} : { nonce }) },
      ),
      refresh_token: refresh,
    };
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
    });
    res.end(JSON.stringify(body));
  };
  const oauthError = (res: ServerResponse, error: string, description: string, status = 400) =>
    send(res, status, { error, error_description: description });

  const form = async (req: IncomingMessage): Promise<URLSearchParams> => {
    let body = '';
    for await (const chunk of req) body += chunk;
    return new URLSearchParams(body);
  };

  const tokenEndpoint = async (req: IncomingMessage, res: ServerResponse) => {
    const f = await form(req);
    const grant = f.get('grant_type') ?? '';
    grants.push(grant);
    const clientId = f.get('client_id') ?? '';
    if (!clientIds.includes(clientId))
      return oauthError(res, 'invalid_client', `unknown client "${clientId}"`, 401);
    if (grant === 'urn:ietf:params:oauth:grant-type:device_code') {
      const d = devices.get(f.get('device_code') ?? '');
      if (!d || d.clientId !== clientId) return oauthError(res, 'invalid_grant', 'unknown device code');
      if (d.polls++ < api.pendingPolls) return oauthError(res, 'authorization_pending', 'not approved yet');
      devices.delete(f.get('device_code') ?? '');
      return send(res, 200, tokens(d.user, clientId));
    }
    if (grant === 'authorization_code') {
      const c = codes.get(f.get('code') ?? '');
      if (!c || c.clientId !== clientId || c.redirect !== f.get('redirect_uri')) {
        return oauthError(res, 'invalid_grant', 'unknown code, or another client or redirect_uri');
      }
      const verifier = f.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== c.challenge) {
        return oauthError(res, 'invalid_grant', 'code_verifier does not match the code_challenge');
      }
      codes.delete(f.get('code') ?? '');
      return send(res, 200, tokens(c.user, clientId, c.nonce));
    }
    if (grant === 'refresh_token') {
      const rt = f.get('refresh_token') ?? '';
      const r = refreshTokens.get(rt);
      if (!r || r.clientId !== clientId) return oauthError(res, 'invalid_grant', 'unknown refresh token');
      refreshTokens.delete(rt);
      return send(res, 200, tokens(r.user, clientId));
    }
    return oauthError(res, 'unsupported_grant_type', `grant_type "${grant}" is not supported`);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    requests[url.pathname] = (requests[url.pathname] ?? 0) + 1;
    const route = `${req.method} ${url.pathname}`;
    void (async () => {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'GET, POST',
          'access-control-allow-headers': 'content-type',
        });
        return res.end();
      }
      switch (route) {
        case 'GET /.well-known/openid-configuration':
          return send(res, 200, {
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            ...(opts.deviceFlow === false ? {} : { device_authorization_endpoint: `${issuer}/device/code` }),
            jwks_uri: `${issuer}/jwks`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256', 'ES256'],
            scopes_supported: ['openid', 'profile', 'email', 'groups', 'offline_access'],
            grant_types_supported: [
              'authorization_code',
              'refresh_token',
              'urn:ietf:params:oauth:grant-type:device_code',
            ],
            code_challenge_methods_supported: ['S256'],
            token_endpoint_auth_methods_supported: ['none'],
          });
        case 'GET /jwks':
          return send(res, 200, {
            keys: keys
              .filter((k) => k.published)
              .map((k) => ({
                ...(k.publicKey.export({ format: 'jwk' }) as JsonWebKey),
                kid: k.kid,
                alg: k.alg,
                use: 'sig',
              })),
          });
        case 'POST /device/code': {
          const f = await form(req);
          const clientId = f.get('client_id') ?? '';
          if (!clientIds.includes(clientId))
            return oauthError(res, 'invalid_client', `unknown client "${clientId}"`, 401);
          const deviceCode = randomBytes(16).toString('hex');
          const userCode =
            `${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}`.toUpperCase();
          devices.set(deviceCode, { user: api.user, clientId, polls: 0, scope: f.get('scope') ?? '' });
          return send(res, 200, {
            device_code: deviceCode,
            user_code: userCode,
            verification_uri: `${issuer}/device`,
            verification_uri_complete: `${issuer}/device?user_code=${userCode}`,
            expires_in: 600,
            interval: 1,
          });
        }
        case 'GET /authorize': {
          const q = url.searchParams;
          const redirect = q.get('redirect_uri') ?? '';
          const clientId = q.get('client_id') ?? '';
          if (!clientIds.includes(clientId) || !redirect) {
            return oauthError(res, 'invalid_request', 'unknown client_id or no redirect_uri');
          }
          const back = new URL(redirect);
          if (
            q.get('response_type') !== 'code' ||
            q.get('code_challenge_method') !== 'S256' ||
            !q.get('code_challenge')
          ) {
            back.searchParams.set('error', 'invalid_request');
            back.searchParams.set('error_description', 'needs response_type=code and an S256 code_challenge');
          } else {
            const code = randomBytes(16).toString('hex');
            const nonce = q.get('nonce');
            codes.set(code, {
              user: api.user,
              clientId,
              redirect,
              challenge: q.get('code_challenge') ?? '',
              ...(nonce ? { nonce } : {}),
            });
            back.searchParams.set('code', code);
          }
          const state = q.get('state');
          if (state) back.searchParams.set('state', state);
          res.writeHead(302, { location: back.toString() });
          return res.end();
        }
        case 'POST /token':
          return tokenEndpoint(req, res);
        default:
          return oauthError(res, 'not_found', `${route} is not an endpoint of this issuer`, 404);
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) oauthError(res, 'server_error', String(err), 500);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('oidc issuer did not get a port');
  issuer = `http://127.0.0.1:${addr.port}`;

  const api: OidcIssuer = {
    issuer,
    clientIds,
    kids: () => keys.filter((k) => k.published).map((k) => k.kid),
    mint,
    rotate: (alg = 'RS256', o = {}) => {
      if (o.retire) for (const k of keys) k.published = false;
      const k = newKey(alg, true);
      keys.push(k);
      return k.kid;
    },
    addKey: (alg, o = {}) => {
      // Inserted before the current key so that it does not become the signing key.
      const k = newKey(alg, o.publish ?? false);
      keys.splice(keys.length - 1, 0, k);
      return k.kid;
    },
    user: { sub: 'user-1', email: 'alice@example.com', groups: ['developers'] },
    idTokenTtlSeconds: 300,
    pendingPolls: 1,
    requests,
    grants,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return api;
}
