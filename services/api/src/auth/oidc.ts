/**
 * Verifying OpenID Connect ID tokens: the issuer's discovery document gives the JWKS address, the
 * JWKS gives the keys (cached, fetched again for an unknown `kid`, at most once per interval), and
 * node:crypto checks the signature with the algorithm the key allows. Then `iss`, `aud`, `exp`,
 * `nbf` and `iat` are checked with a small clock skew.
 */
import { constants, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';

/** Why an ID token was refused; the `reason` of {@link OidcTokenError}. */
export const OidcFailures = {
  malformed: 'malformed',
  unsupportedAlg: 'unsupported_alg',
  unknownKey: 'unknown_key',
  algMismatch: 'alg_mismatch',
  badSignature: 'bad_signature',
  wrongIssuer: 'wrong_issuer',
  wrongAudience: 'wrong_audience',
  expired: 'expired',
  notYetValid: 'not_yet_valid',
  issuedInFuture: 'issued_in_future',
  missingClaim: 'missing_claim',
  issuerUnreachable: 'issuer_unreachable',
} as const;

/** One reason an ID token was refused. */
export type OidcFailure = (typeof OidcFailures)[keyof typeof OidcFailures];

/** An ID token that cannot be accepted; the message says why and what to do. */
export class OidcTokenError extends Error {
  /** The stable reason, also sent to clients in the error's details. */
  readonly reason: OidcFailure;
  constructor(reason: OidcFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidcTokenError';
    this.reason = reason;
  }
}

/** The claims of a verified ID token. */
export type IdTokenClaims = Readonly<Record<string, unknown>> & {
  /** The issuer. */
  iss: string;
  /** The subject: the user's id at the issuer. */
  sub: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
};

/** What the verifier needs. */
export interface OidcVerifierOptions {
  /** The issuer URL; tokens must carry it as `iss`, and the discovery document as `issuer`. */
  issuer: string;
  /** Accepted `aud` values; a token must name at least one. */
  audiences: readonly string[];
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. */
  clockSkewSeconds: number;
  /** The clock, ms since the epoch; default Date.now. */
  now?: () => number;
  /** The fetch for the discovery document and the JWKS; default global fetch. */
  fetch?: typeof fetch;
  /** The least time between two JWKS fetches caused by unknown key ids, in ms (default 30 000). */
  jwksMinRefetchMs?: number;
  /** How long keys are kept before the JWKS is fetched again anyway, in ms (default 1 hour). */
  jwksMaxAgeMs?: number;
}

/** The fields of the discovery document Ferry uses (OpenID Connect Discovery 1.0, section 3). */
export interface DiscoveryDocument {
  /** Must equal the configured issuer. */
  issuer: string;
  /** Where the keys are. */
  jwks_uri: string;
  /** Where browsers are sent to log in (Authorization Code flow). */
  authorization_endpoint?: string;
  /** Where codes, device codes and refresh tokens are exchanged for tokens. */
  token_endpoint?: string;
  /** RFC 8628's device authorization endpoint; present when the issuer offers the device flow. */
  device_authorization_endpoint?: string;
}

/** Per algorithm: the key type (and curve) it needs and how node:crypto verifies with it. */
const ALGS: Readonly<Record<string, { kty: string; crv?: string; hash: string | null; pss?: boolean }>> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  ES256: { kty: 'EC', crv: 'P-256', hash: 'sha256' },
  ES384: { kty: 'EC', crv: 'P-384', hash: 'sha384' },
  ES512: { kty: 'EC', crv: 'P-521', hash: 'sha512' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', hash: null },
};

/** The signature algorithms the verifier accepts (never `none`, never an HMAC). */
export const SUPPORTED_ALGS: readonly string[] = Object.keys(ALGS);

interface CachedKey {
  jwk: JsonWebKey & { kid?: string; alg?: string; use?: string; kty?: string; crv?: string };
  key: KeyObject;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const LOGIN_AGAIN = 'log in again (ferry login --oidc, or the UI)';

/** Verifies ID tokens of one issuer. One instance per api process; it caches discovery and keys. */
export class OidcVerifier {
  readonly #o: Required<Omit<OidcVerifierOptions, 'fetch'>> & { fetch: typeof fetch };
  #discovery: { doc: DiscoveryDocument; at: number } | undefined;
  #keys: CachedKey[] = [];
  #keysAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;
  #lastError: OidcTokenError | undefined;
  #fetches = 0;

  constructor(options: OidcVerifierOptions) {
    this.#o = {
      now: Date.now,
      fetch: (...a) => fetch(...a),
      jwksMinRefetchMs: 30_000,
      jwksMaxAgeMs: 3_600_000,
      ...options,
    };
  }

  /** How many times the JWKS was fetched (tests assert the rate limit with it). */
  get jwksFetches(): number {
    return this.#fetches;
  }

  /** The issuer's discovery document, fetched once and kept for the JWKS max age. */
  async discovery(): Promise<DiscoveryDocument> {
    const now = this.#o.now();
    if (this.#discovery && now - this.#discovery.at < this.#o.jwksMaxAgeMs) return this.#discovery.doc;
    const url = `${this.#o.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const doc = (await this.#getJson(url)) as Partial<DiscoveryDocument>;
    if (doc.issuer !== this.#o.issuer) {
      throw new OidcTokenError(
        OidcFailures.issuerUnreachable,
        `the discovery document at ${url} names issuer "${String(doc.issuer)}", not "${this.#o.issuer}"; FERRY_OIDC_ISSUER_URL must be the issuer exactly`,
      );
    }
    if (typeof doc.jwks_uri !== 'string') {
      throw new OidcTokenError(
        OidcFailures.issuerUnreachable,
        `the discovery document at ${url} has no jwks_uri`,
      );
    }
    this.#discovery = { doc: doc as DiscoveryDocument, at: now };
    return doc as DiscoveryDocument;
  }

  /** Verifies `token` and returns its claims; throws {@link OidcTokenError} saying why not. */
  async verify(token: string): Promise<IdTokenClaims> {
    const { header, payload, input, signature } = decode(token);
    const alg = typeof header.alg === 'string' ? header.alg : '';
    const spec = ALGS[alg];
    if (!spec) {
      throw new OidcTokenError(
        OidcFailures.unsupportedAlg,
        `the ID token's alg "${alg}" is not accepted; the issuer must sign with one of ${SUPPORTED_ALGS.join(', ')}`,
      );
    }
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    const cached = await this.#key(kid, alg);
    const jwkAlg = cached.jwk.alg;
    // The key decides the algorithm: a header may not pick another one for the same key.
    if (
      (jwkAlg !== undefined && jwkAlg !== alg) ||
      cached.jwk.kty !== spec.kty ||
      (spec.crv && cached.jwk.crv !== spec.crv)
    ) {
      throw new OidcTokenError(
        OidcFailures.algMismatch,
        `the ID token says alg "${alg}" but key "${cached.jwk.kid ?? '(no kid)'}" is ${jwkAlg ?? `${cached.jwk.kty}${cached.jwk.crv ? ` ${cached.jwk.crv}` : ''}`}; the token was not made by the issuer`,
      );
    }
    const ok = verify(
      spec.hash,
      Buffer.from(input),
      spec.kty === 'EC'
        ? { key: cached.key, dsaEncoding: 'ieee-p1363' }
        : spec.pss
          ? {
              key: cached.key,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
            }
          : cached.key,
      signature,
    );
    if (!ok) {
      throw new OidcTokenError(
        OidcFailures.badSignature,
        `the ID token's signature does not verify with key "${cached.jwk.kid ?? '(no kid)'}"; the token was altered or not made by the issuer`,
      );
    }
    return this.#checkClaims(payload);
  }

  #checkClaims(p: Record<string, unknown>): IdTokenClaims {
    if (p.iss !== this.#o.issuer) {
      throw new OidcTokenError(
        OidcFailures.wrongIssuer,
        `the ID token is from issuer "${String(p.iss)}", not "${this.#o.issuer}"; log in with this Ferry's issuer`,
      );
    }
    const aud = typeof p.aud === 'string' ? [p.aud] : Array.isArray(p.aud) ? p.aud.map(String) : [];
    if (!aud.some((a) => this.#o.audiences.includes(a))) {
      throw new OidcTokenError(
        OidcFailures.wrongAudience,
        `the ID token is for audience ${aud.map((a) => `"${a}"`).join(', ') || '(none)'}, not ${this.#o.audiences.map((a) => `"${a}"`).join(' or ')}; get a token issued to Ferry's client id`,
      );
    }
    for (const c of ['exp', 'iat']) {
      if (typeof p[c] !== 'number') {
        throw new OidcTokenError(OidcFailures.missingClaim, `the ID token has no numeric "${c}" claim`);
      }
    }
    if (typeof p.sub !== 'string' || p.sub === '') {
      throw new OidcTokenError(OidcFailures.missingClaim, 'the ID token has no "sub" claim');
    }
    const now = this.#o.now() / 1000;
    const skew = this.#o.clockSkewSeconds;
    const exp = p.exp as number;
    if (now > exp + skew) {
      throw new OidcTokenError(OidcFailures.expired, `the ID token expired at ${iso(exp)}; ${LOGIN_AGAIN}`);
    }
    if (typeof p.nbf === 'number' && now + skew < p.nbf) {
      throw new OidcTokenError(
        OidcFailures.notYetValid,
        `the ID token is not valid before ${iso(p.nbf)}; check the clocks of this machine and the issuer`,
      );
    }
    if (now + skew < (p.iat as number)) {
      throw new OidcTokenError(
        OidcFailures.issuedInFuture,
        `the ID token was issued at ${iso(p.iat as number)}, in the future; check the clocks of this machine and the issuer`,
      );
    }
    return p as IdTokenClaims;
  }

  // The key for `kid`: from the cache, else from a fresh JWKS when the last fetch is old enough.
  async #key(kid: string | undefined, alg: string): Promise<CachedKey> {
    const now = this.#o.now();
    if (now - this.#keysAt >= this.#o.jwksMaxAgeMs) await this.#refresh();
    let found = this.#find(kid, alg);
    if (!found && this.#o.now() - this.#keysAt >= this.#o.jwksMinRefetchMs) {
      await this.#refresh();
      found = this.#find(kid, alg);
    }
    if (!found && this.#lastError) throw this.#lastError;
    if (!found) {
      throw new OidcTokenError(
        OidcFailures.unknownKey,
        kid === undefined
          ? `the ID token names no key (kid) and the issuer's JWKS has no single ${alg} key; ${LOGIN_AGAIN}`
          : `the ID token is signed with key "${kid}", which the issuer's JWKS does not list; ${LOGIN_AGAIN}`,
      );
    }
    return found;
  }

  #find(kid: string | undefined, alg: string): CachedKey | undefined {
    if (kid !== undefined) return this.#keys.find((k) => k.jwk.kid === kid);
    const spec = ALGS[alg];
    const fits = this.#keys.filter(
      (k) => k.jwk.kty === spec?.kty && (k.jwk.alg === undefined || k.jwk.alg === alg),
    );
    return fits.length === 1 ? fits[0] : undefined;
  }

  // One JWKS fetch at a time; concurrent callers share it.
  async #refresh(): Promise<void> {
    if (this.#inflight) return this.#inflight;
    this.#inflight = (async () => {
      // Counted as fetched even if it fails, so a broken issuer is not asked on every request;
      // until the next try, requests get the same error.
      this.#keysAt = this.#o.now();
      this.#lastError = undefined;
      try {
        const { jwks_uri } = await this.discovery();
        this.#fetches++;
        const body = (await this.#getJson(jwks_uri)) as { keys?: unknown };
        if (!Array.isArray(body.keys)) {
          throw new OidcTokenError(
            OidcFailures.issuerUnreachable,
            `the JWKS at ${jwks_uri} has no "keys" list`,
          );
        }
        const keys: CachedKey[] = [];
        for (const jwk of body.keys as CachedKey['jwk'][]) {
          if (typeof jwk !== 'object' || jwk === null || (jwk.use !== undefined && jwk.use !== 'sig'))
            continue;
          try {
            keys.push({ jwk, key: createPublicKey({ key: jwk, format: 'jwk' }) });
          } catch {
            // A key node:crypto cannot read (an unknown kty, a symmetric key) is skipped, not fatal.
          }
        }
        this.#keys = keys;
      } catch (err) {
        this.#lastError = err instanceof OidcTokenError ? err : undefined;
        throw err;
      } finally {
        this.#inflight = undefined;
      }
    })();
    return this.#inflight;
  }

  async #getJson(url: string): Promise<unknown> {
    let res: Response;
    try {
      res = await this.#o.fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new OidcTokenError(
        OidcFailures.issuerUnreachable,
        `cannot verify the ID token: ${url} did not answer (${(err as Error).message})`,
        { cause: err },
      );
    }
    if (!res.ok) {
      throw new OidcTokenError(
        OidcFailures.issuerUnreachable,
        `cannot verify the ID token: ${url} answered ${res.status}`,
      );
    }
    try {
      return await res.json();
    } catch (err) {
      throw new OidcTokenError(
        OidcFailures.issuerUnreachable,
        `cannot verify the ID token: ${url} did not answer JSON`,
        {
          cause: err,
        },
      );
    }
  }
}

/** True when `token` has the shape of a JWT (three base64url parts), so it is worth verifying as one. */
export const looksLikeJwt = (token: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);

function decode(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  input: string;
  signature: Buffer;
} {
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw new OidcTokenError(
      OidcFailures.malformed,
      'the bearer token is not a JWT: it needs three parts separated by "."',
    );
  }
  const json = (part: string, what: string): Record<string, unknown> => {
    try {
      const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {}
    throw new OidcTokenError(OidcFailures.malformed, `the ID token's ${what} is not base64url JSON`);
  };
  return {
    header: json(parts[0]!, 'header'),
    payload: json(parts[1]!, 'payload'),
    input: `${parts[0]}.${parts[1]}`,
    signature: Buffer.from(parts[2]!, 'base64url'),
  };
}
