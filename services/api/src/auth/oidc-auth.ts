/**
 * OIDC in the api: turns a bearer ID token into a principal (or a 401 saying why not), and serves
 * `GET /api/v1/auth/config`, the public description of how to log in that the UI and CLI read.
 */
import type { OidcConfig } from '@ferry/config';
import { FerryError } from '@ferry/contracts';
import type { FastifyInstance } from 'fastify';
import { OidcTokenError, OidcVerifier } from './oidc.ts';
import { principalFromClaims } from './oidc-principal.ts';
import type { Principal } from './roles.ts';

/** OIDC settings of the auth plugin: the validated config, and for tests the fetch and JWKS refetch interval. */
export type OidcAuthOptions = OidcConfig & {
  /** The fetch for discovery and the JWKS; default global fetch. */
  fetch?: typeof fetch;
  /** The least time between JWKS fetches caused by unknown key ids, in ms (default 30 000). */
  jwksMinRefetchMs?: number;
};

/** The route that tells clients how to log in; public. */
export const AUTH_CONFIG_URL = '/api/v1/auth/config';

/** Verifies bearer ID tokens and maps their claims to a principal. */
export class OidcAuthenticator {
  readonly #options: OidcAuthOptions;
  readonly #verifier: OidcVerifier;

  constructor(options: OidcAuthOptions, clock: () => Date) {
    this.#options = options;
    this.#verifier = new OidcVerifier({
      issuer: options.issuerUrl,
      audiences: options.audiences,
      clockSkewSeconds: options.clockSkewSeconds,
      now: () => clock().getTime(),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.jwksMinRefetchMs === undefined ? {} : { jwksMinRefetchMs: options.jwksMinRefetchMs }),
    });
  }

  /** The principal of an ID token; a 401 `FERRY_ERR_UNAUTHENTICATED` whose message and `details.reason` say why not. */
  async authenticate(token: string): Promise<Principal> {
    try {
      return principalFromClaims(await this.#verifier.verify(token), this.#options);
    } catch (err) {
      if (!(err instanceof OidcTokenError)) throw err;
      throw new FerryError('FERRY_ERR_UNAUTHENTICATED', err.message, { details: { reason: err.reason } });
    }
  }
}

/** What `GET /api/v1/auth/config` answers. */
export interface AuthConfigAnswer {
  /** The credentials the api accepts: `token`, `oidc`; empty when auth is off. */
  methods: ('token' | 'oidc')[];
  /** Present when OIDC is on: where and as whom to log in. */
  oidc?: {
    /** The issuer URL; its discovery document is at `<issuer>/.well-known/openid-configuration`. */
    issuer: string;
    /** The client id of the web UI. */
    clientId: string;
    /** The client id of the CLI. */
    cliClientId: string;
    /** The scopes to ask for. */
    scopes: string[];
  };
}

/** Adds `GET /api/v1/auth/config`: which methods are on and, for OIDC, the issuer and client ids (no secrets). */
export function authConfigRoute(app: FastifyInstance, answer: AuthConfigAnswer): void {
  app.get(
    AUTH_CONFIG_URL,
    {
      schema: {
        tags: ['access'],
        summary: 'How to log in: the accepted methods and, with OIDC, the issuer and client ids (public)',
      },
    },
    async () => answer,
  );
}

/** The answer of `GET /api/v1/auth/config` for the given mode and OIDC settings. */
export const authConfigAnswer = (
  mode: 'none' | 'token' | 'oidc',
  oidc: OidcConfig | undefined,
): AuthConfigAnswer => ({
  methods: [
    ...(mode === 'token' ? (['token'] as const) : []),
    ...(oidc && mode !== 'none' ? (['oidc'] as const) : []),
  ],
  ...(oidc && mode !== 'none'
    ? {
        oidc: {
          issuer: oidc.issuerUrl,
          clientId: oidc.clientId,
          cliClientId: oidc.cliClientId,
          scopes: [...oidc.scopes],
        },
      }
    : {}),
});
