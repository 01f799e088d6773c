import { createPrivateKey, type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { run } from './util.ts';

/** One entry of a token's `access` claim: what the holder may do to one resource. */
export interface TokenAccess {
  /** Resource type, `repository` for images. */
  type: string;
  /** Resource name, e.g. `team/app`. */
  name: string;
  /** Granted actions, e.g. `pull`, `push`, `delete`, `*`. */
  actions: string[];
}

/** The in-process token service of a token-auth {@link startRegistry} registry. */
export interface TokenServer {
  /** The URL the registry's challenge names as `realm`. */
  realm: string;
  /** The `service` (JWT audience) the registry expects. */
  service: string;
  /** The `iss` claim the registry trusts. */
  issuer: string;
  /** Path of the PEM certificate the registry's `rootcertbundle` points to. */
  certPath: string;
  /** Number of HTTP requests to the token endpoint so far (tests assert token caching with it). */
  readonly requests: number;
  /** Signs a token directly, without HTTP, for the fixture's own pushes (they must not count). */
  mint(subject: string, access: TokenAccess[]): string;
  /** Stops the HTTP listener. */
  close(): Promise<void>;
}

/** Options for {@link startTokenServer}. */
export interface TokenServerOptions {
  /** Directory for the key and certificate. */
  dir: string;
  /** Port to listen on (127.0.0.1); a free one when absent. */
  port?: number;
  /** Accepted users; a request with other credentials gets 401, one without any gets an empty grant. */
  users: Record<string, string>;
  /** Token lifetime in seconds, reported as `expires_in`. */
  expiresInSeconds: number;
}

/**
 * Starts a token service implementing Docker's token authentication: `GET /token?service=&scope=` with
 * optional basic auth answers `{ token, access_token, expires_in, issued_at }`. The JWT is ES256, its
 * header carries the self-signed certificate in `x5c`, which distribution verifies against its
 * `rootcertbundle`. Authenticated users get every action they ask for; anonymous callers get a token with
 * no access, as a registry's token service does for a private repository.
 */
export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const keyPath = join(opts.dir, 'token.key');
  const certPath = join(opts.dir, 'token.crt');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=ferry-test-token-issuer',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  const key = createPrivateKey(await readFile(keyPath));
  const certDer = new X509Certificate(await readFile(certPath)).raw.toString('base64');
  const service = 'ferry-test-registry';
  const issuer = 'ferry-test-token-issuer';
  let realm = '';
  let requests = 0;

  const mint = (subject: string, access: TokenAccess[]): string =>
    signJwt(key, certDer, {
      iss: issuer,
      sub: subject,
      aud: service,
      access,
      expiresInSeconds: opts.expiresInSeconds,
    });

  const server = createServer((req, res) => {
    requests++;
    handle(req, res);
  });
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/token') {
      answer(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'only GET /token is served' }] });
      return;
    }
    const user = basicUser(req.headers.authorization, opts.users);
    if (user === false) {
      res.setHeader('WWW-Authenticate', 'Basic realm="ferry-test-token"');
      answer(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] });
      return;
    }
    if (url.searchParams.get('service') !== service) {
      answer(res, 400, {
        errors: [{ code: 'INVALID_REQUEST', message: `unknown service, want ${service}` }],
      });
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((s) => {
      const parsed = parseScope(s);
      return parsed === undefined || user === undefined ? [] : [parsed];
    });
    const token = mint(user ?? '', access);
    answer(res, 200, {
      token,
      access_token: token,
      expires_in: opts.expiresInSeconds,
      issued_at: new Date().toISOString(),
    });
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  realm = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : opts.port}/token`;
  return {
    realm,
    service,
    issuer,
    certPath,
    get requests() {
      return requests;
    },
    mint,
    close: () => closeServer(server),
  };
}

/** Closes an HTTP server, dropping idle keep-alive connections so that close does not hang. */
export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Parses a scope `type:name:actions`. The name may itself hold colons (a registry host with a port), so
 * the type ends at the first colon and the actions start after the last one.
 */
function parseScope(scope: string): TokenAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter((a) => a !== ''),
  };
}

// undefined: anonymous; false: credentials given but wrong; string: the authenticated user.
function basicUser(header: string | undefined, users: Record<string, string>): string | undefined | false {
  if (header === undefined) return undefined;
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const name = decoded.slice(0, colon);
  return colon > 0 && Object.hasOwn(users, name) && users[name] === decoded.slice(colon + 1) ? name : false;
}

function signJwt(
  key: KeyObject,
  certDer: string,
  claims: { iss: string; sub: string; aud: string; access: TokenAccess[]; expiresInSeconds: number },
): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer] };
  const payload = {
    iss: claims.iss,
    sub: claims.sub,
    aud: claims.aud,
    // A little slack on nbf keeps tokens valid despite clock granularity between Node and Go.
    nbf: now - 10,
    iat: now,
    exp: now + claims.expiresInSeconds,
    jti: randomBytes(12).toString('hex'),
    access: claims.access,
  };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  // JWS wants the raw r||s signature, not Node's default DER encoding.
  const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
