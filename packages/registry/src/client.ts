import { createHash } from 'node:crypto';
import type { CredentialsProvider, RegistryCredentials } from './docker-config.ts';
import {
  RegistryAuthError,
  RegistryBadResponseError,
  type RegistryError,
  type RegistryErrorDetail,
  RegistryNotFoundError,
  RegistryRateLimitedError,
  RegistryTlsError,
  RegistryUnreachableError,
} from './errors.ts';
import { type AuthChallenge, parseLinkNext, parseRetryAfter, parseWwwAuthenticate } from './headers.ts';
import { isIndexMediaType, isManifestMediaType, MANIFEST_ACCEPT } from './media-types.ts';
import {
  assertReference,
  assertTag,
  type ImageRepo,
  isDigest,
  parseImageRepo,
  usesPlainHttp,
} from './reference.ts';
import {
  CERTIFICATE_ADVICE,
  certificateErrorCode,
  certificateErrorReason,
  insecureTlsDispatcher,
} from './tls.ts';

/** The subset of `fetch` the client uses; tests pass a hand-written fake. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Options for {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** Registry hosts (`host` or `host:port`) spoken to over plain HTTP; loopback hosts always are. */
  insecureRegistries?: readonly string[];
  /** Credentials per registry host; anonymous access when absent or when it returns undefined. */
  credentials?: CredentialsProvider;
  /** The HTTP client; the global `fetch` when absent. */
  fetch?: FetchLike;
  /** `User-Agent` of every request. */
  userAgent?: string;
  /** Per-request timeout in milliseconds (30 000 when absent), covering the body as well. */
  timeoutMs?: number;
  /** Clock in epoch milliseconds, for token expiry; `Date.now` when absent. */
  now?: () => number;
  /**
   * Awaited before every registry request (token requests excluded), e.g. a token bucket per registry host
   * shared by every replica; no limit when absent. Keeps this client free of any store.
   */
  limiter?: RequestLimiter;
  /** How often a 429 answer is retried before it becomes a {@link RegistryRateLimitedError}; 3 when absent. */
  maxRateLimitRetries?: number;
  /** First wait after a 429 without `Retry-After`, doubled on each retry; 500 ms when absent. */
  rateLimitBackoffMs?: number;
  /** Longest single wait after a 429, whatever `Retry-After` says; 60 000 ms when absent. */
  maxRateLimitWaitMs?: number;
  /** How to wait; a timer when absent (tests pass one that records). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Called after every registry request (token requests excluded) with its outcome, e.g. to record
   * metrics; keeps this client free of any metrics library. Must not throw.
   */
  onRequest?: (event: RegistryRequestEvent) => void;
  /**
   * Wraps every registry request (each attempt; token requests excluded) in a span of the caller's
   * tracer, e.g. `withSpan` of @ferry/observability; keeps this client free of any tracing library.
   */
  span?: RegistrySpanHook;
}

/**
 * Runs `fn` as one CLIENT span named `name` with `attributes` (`ferry.registry`,
 * `ferry.repository`, `http.request.method`); `fn` reports the answer's status through `set`
 * (`http.response.status_code`, or `error.type` when no answer came). Must return what `fn` returns
 * and rethrow what it throws.
 */
export type RegistrySpanHook = <T>(
  name: string,
  attributes: Record<string, string>,
  fn: (set: (key: string, value: string | number) => void) => Promise<T>,
) => Promise<T>;

/** One registry request as {@link RegistryClientOptions.onRequest} sees it. */
export interface RegistryRequestEvent {
  /** The registry host (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  registry: string;
  /** The HTTP method. */
  method: string;
  /** The HTTP status, or `error` when no answer came (refused, timed out). */
  status: number | 'error';
  /** Milliseconds from sending to the answer's headers. */
  ms: number;
  /** After a 429 that is retried: milliseconds waited before the retry; absent otherwise. */
  retryWaitMs?: number;
}

/** Paces requests to a registry host; see {@link RegistryClientOptions.limiter}. */
export interface RequestLimiter {
  /** Resolves when one more request to registry `host` (`docker.io`, `ghcr.io`, `127.0.0.1:5000`) may be sent. */
  acquire(host: string): Promise<void>;
}

/** What 429 answers cost this client, see {@link RegistryClient.throttling}. */
export interface ThrottlingStats {
  /** 429 answers that were waited out and retried. */
  retries: number;
  /** Milliseconds spent waiting after 429 answers. */
  waitMs: number;
}

/** What a tag points to. */
export interface TagResolution {
  /** Manifest (or index) digest, `sha256:<hex>`. */
  digest: string;
  /** Media type of that manifest, e.g. the OCI image index type for a multi-platform image. */
  mediaType: string;
}

/** A fetched manifest. */
export interface ManifestResult {
  /** Digest of the exact bytes served, `sha256:<hex>`. */
  digest: string;
  /** Media type from `Content-Type` (or the manifest's `mediaType` field when the header is generic). */
  mediaType: string;
  /** The parsed JSON. */
  manifest: unknown;
}

/** An operating system and CPU architecture. */
export interface ImagePlatform {
  /** Operating system, e.g. `linux`. */
  os: string;
  /** CPU architecture in Go's naming, e.g. `amd64`. */
  architecture: string;
  /** CPU variant, e.g. `v8`; absent when the image states none. */
  variant?: string;
}

/** What {@link RegistryClient.getImageInfo} reads about one image. */
export interface ImageInfo {
  /** Digest the reference resolves to (the index digest for a multi-platform image): what Freight pins. */
  digest: string;
  /** Media type of the manifest at `digest`. */
  mediaType: string;
  /** Digest of the single-platform image manifest that was read (equals `digest` for a plain image). */
  manifestDigest: string;
  /** The config's `created` timestamp (RFC 3339) when the image has one. */
  created?: string;
  /** Platform from the image config. */
  platform: ImagePlatform;
  /** `config.Labels` of the image config; empty when it has none. */
  labels: Record<string, string>;
}

/** Request counts, for tests and benchmarks that assert what a discovery cost. */
export interface RegistryStats {
  /** HTTP requests sent to registries (token services excluded). */
  requests: number;
  /** HTTP requests sent to token services. */
  tokenRequests: number;
  /** Registry requests by `"<METHOD> <status>"`, e.g. `"GET 200"`; a network failure counts as `"GET error"`. */
  byMethodStatus: Record<string, number>;
}

/**
 * Per-call options of the reading methods, for a client shared by many tenants (Projects): credentials
 * that belong to the caller rather than to the client.
 */
export interface RegistryCallOptions {
  /**
   * Credentials for this call's repository, asked once per call. When it resolves undefined (or is absent)
   * the client's {@link RegistryClientOptions.credentials} provider is used, e.g. a docker config file.
   * Tokens obtained with them are cached apart from those of other credentials and of anonymous access.
   */
  credentials?: () => Promise<RegistryCredentials | undefined>;
  /**
   * What an authentication error advises when no credentials were found for the call, replacing the
   * generic advice, e.g. which Secret to apply. Must not contain credentials.
   */
  missingCredentialsHint?: string;
  /**
   * Do not verify the TLS certificates of this call's registry and of its token service (a subscription's
   * `insecureSkipTLSVerify`). Absent or false = verified; a certificate that fails then raises a
   * {@link RegistryTlsError} saying what to do.
   */
  insecureSkipTLSVerify?: boolean;
}

/** Credentials resolved for one call, its advice when there are none, and whether TLS is verified. */
interface CallAuth {
  credentials: RegistryCredentials | undefined;
  hint: string | undefined;
  insecureSkipTLSVerify: boolean;
}

interface Op {
  repo: ImageRepo;
  action: string;
  auth?: CallAuth;
}

type HostAuth = { kind: 'basic' } | { kind: 'bearer'; realm: string; service: string | undefined };
type SentAuth = { kind: 'basic' | 'bearer'; header: string } | undefined;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RATE_LIMIT_RETRIES = 3;
const DEFAULT_BACKOFF_MS = 500;
const DEFAULT_MAX_WAIT_MS = 60_000;
const DEFAULT_TOKEN_TTL_SECONDS = 60;
const MAX_PAGES = 1000;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * A Docker Registry HTTP API V2 / OCI distribution client for discovering images: list tags, resolve tags
 * to digests, read manifests and image configs. Authentication follows Docker: the first request is
 * anonymous; a 401 challenge is answered with a bearer token (cached per registry and scope until shortly
 * before it expires) or basic credentials, which later requests then send up front.
 */
export class RegistryClient {
  readonly #insecure: readonly string[];
  readonly #credentials: CredentialsProvider | undefined;
  readonly #fetch: FetchLike;
  readonly #userAgent: string;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #hostAuth = new Map<string, HostAuth>();
  readonly #tokens = new Map<string, { token: string; expiresAt: number }>();
  // Token requests in flight, so that parallel discoveries of one repository share a single request.
  readonly #pendingTokens = new Map<string, Promise<string>>();
  // Every password and token this client has handled, scrubbed from error messages as a last defence.
  readonly #secrets = new Set<string>();
  readonly #limiter: RequestLimiter | undefined;
  readonly #maxRetries: number;
  readonly #backoffMs: number;
  readonly #maxWaitMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #onRequest: ((event: RegistryRequestEvent) => void) | undefined;
  readonly #span: RegistrySpanHook;
  #requests = 0;
  #tokenRequests = 0;
  #throttled: ThrottlingStats = { retries: 0, waitMs: 0 };
  readonly #byMethodStatus = new Map<string, number>();

  constructor(opts: RegistryClientOptions = {}) {
    this.#insecure = opts.insecureRegistries ?? [];
    this.#credentials = opts.credentials;
    this.#fetch = opts.fetch ?? ((url, init) => fetch(url, init));
    this.#userAgent = opts.userAgent ?? 'ferry-registry-client';
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#now = opts.now ?? Date.now;
    this.#limiter = opts.limiter;
    this.#maxRetries = opts.maxRateLimitRetries ?? DEFAULT_RATE_LIMIT_RETRIES;
    this.#backoffMs = opts.rateLimitBackoffMs ?? DEFAULT_BACKOFF_MS;
    this.#maxWaitMs = opts.maxRateLimitWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#onRequest = opts.onRequest;
    this.#span = opts.span ?? ((_name, _attributes, fn) => fn(() => {}));
  }

  /** Retries and waiting caused by 429 answers since construction or {@link resetStats}. */
  get throttling(): ThrottlingStats {
    return { ...this.#throttled };
  }

  /** A snapshot of the request counts since construction or {@link resetStats}. */
  get stats(): RegistryStats {
    return {
      requests: this.#requests,
      tokenRequests: this.#tokenRequests,
      byMethodStatus: Object.fromEntries(this.#byMethodStatus),
    };
  }

  /** Zeroes the request counts (the token cache is kept). */
  resetStats(): void {
    this.#requests = 0;
    this.#tokenRequests = 0;
    this.#byMethodStatus.clear();
    this.#throttled = { retries: 0, waitMs: 0 };
  }

  /**
   * Lists every tag of the repository, following `Link: <...>; rel="next"` pagination. Order is the
   * registry's; a repository whose tags were all deleted (`"tags": null`) has none.
   */
  async listTags(repoURL: string, call?: RegistryCallOptions): Promise<string[]> {
    const repo = parseImageRepo(repoURL);
    const op: Op = { repo, action: 'listing tags', auth: await callAuth(call) };
    const first = `${this.#baseURL(repo)}/v2/${repo.repository}/tags/list`;
    const tags: string[] = [];
    const seen = new Set<string>();
    let url: string | undefined = first;
    while (url !== undefined) {
      if (seen.has(url) || seen.size >= MAX_PAGES) {
        throw this.#badResponse(op, `pagination did not end after ${seen.size} pages (next: ${url})`);
      }
      seen.add(url);
      const res = await this.#send(op, 'GET', url, 'application/json');
      if (!res.ok) throw await this.#errorFor(op, res);
      const body = await this.#json(op, res);
      const page = isRecord(body) ? body.tags : undefined;
      if (page !== null && !(Array.isArray(page) && page.every((t) => typeof t === 'string'))) {
        throw this.#badResponse(op, 'the body has no "tags" array');
      }
      if (page) tags.push(...page);
      const next = parseLinkNext(res.headers.get('link'), url);
      if (next !== undefined && new URL(next).origin !== new URL(first).origin) {
        // Following it would send this registry's credentials to another host.
        throw this.#badResponse(op, `the next page link points to another origin (${new URL(next).origin})`);
      }
      url = next;
    }
    return tags;
  }

  /**
   * Resolves a tag to its manifest digest with one HEAD request (which Docker Hub does not count against
   * pull limits); falls back to GET and hashing the body when the registry sends no `Docker-Content-Digest`.
   */
  async resolveTag(repoURL: string, tag: string, call?: RegistryCallOptions): Promise<TagResolution> {
    const repo = parseImageRepo(repoURL);
    assertTag(tag, repo);
    const op: Op = { repo, action: `resolving tag "${tag}"`, auth: await callAuth(call) };
    const res = await this.#send(op, 'HEAD', this.#manifestURL(repo, tag), MANIFEST_ACCEPT);
    if (!res.ok) throw await this.#errorFor(op, res);
    await res.body?.cancel();
    const digest = res.headers.get('docker-content-digest');
    const mediaType = contentType(res);
    if (digest !== null && isDigest(digest) && mediaType !== '') return { digest, mediaType };
    const manifest = await this.#getManifest(repo, tag, op.auth);
    return { digest: manifest.digest, mediaType: manifest.mediaType };
  }

  /** Fetches and parses a manifest by tag or digest, verifying the digest of the bytes served. */
  async getManifest(repoURL: string, reference: string, call?: RegistryCallOptions): Promise<ManifestResult> {
    const repo = parseImageRepo(repoURL);
    assertReference(reference, repo);
    return await this.#getManifest(repo, reference, await callAuth(call));
  }

  /**
   * Reads what a Warehouse needs to select an image: its digest, creation time, platform and labels. For a
   * multi-platform index the entry for `platform` is read; without `platform`, linux/amd64 when the index
   * has it, else its first entry that names a real platform.
   */
  async getImageInfo(
    repoURL: string,
    reference: string,
    platform?: ImagePlatform,
    call?: RegistryCallOptions,
  ): Promise<ImageInfo> {
    const repo = parseImageRepo(repoURL);
    assertReference(reference, repo);
    const auth = await callAuth(call);
    const top = await this.#getManifest(repo, reference, auth);
    let image = top;
    if (
      isIndexMediaType(top.mediaType) ||
      (isRecord(top.manifest) && Array.isArray(top.manifest.manifests))
    ) {
      const op: Op = { repo, action: `reading the image index "${reference}"`, auth };
      const entries = indexEntries(top.manifest);
      if (entries === undefined) throw this.#badResponse(op, 'the index has no valid "manifests" array');
      const chosen = selectPlatform(entries, platform);
      if (chosen === undefined) {
        const wanted = platform ? formatPlatform(platform) : 'any platform';
        const available = entries.map((e) => (e.platform ? formatPlatform(e.platform) : '?')).join(', ');
        throw new RegistryNotFoundError(
          `repository "${repo.repository}" on registry ${repo.registry}: the index "${reference}" has no image ` +
            `for ${wanted} (it has: ${available || 'none'}); pick one of those platforms`,
          { registry: repo.registry, repository: repo.repository },
        );
      }
      image = await this.#getManifest(repo, chosen.digest, auth);
    }
    const op: Op = { repo, action: `reading the image manifest ${image.digest}`, auth };
    const config =
      isRecord(image.manifest) && isRecord(image.manifest.config) ? image.manifest.config : undefined;
    const configDigest = config?.digest;
    if (typeof configDigest !== 'string' || !isDigest(configDigest)) {
      throw this.#badResponse(op, 'the manifest has no config descriptor (is it an image manifest?)');
    }
    const blob = await this.#getBlobJson(repo, configDigest, auth);
    const inner = isRecord(blob.config) ? blob.config : {};
    const labels: Record<string, string> = {};
    if (isRecord(inner.Labels)) {
      for (const [key, value] of Object.entries(inner.Labels))
        if (typeof value === 'string') labels[key] = value;
    }
    return {
      digest: top.digest,
      mediaType: top.mediaType,
      manifestDigest: image.digest,
      ...(typeof blob.created === 'string' ? { created: blob.created } : {}),
      platform: {
        os: typeof blob.os === 'string' ? blob.os : '',
        architecture: typeof blob.architecture === 'string' ? blob.architecture : '',
        ...(typeof blob.variant === 'string' ? { variant: blob.variant } : {}),
      },
      labels,
    };
  }

  async #getManifest(
    repo: ImageRepo,
    reference: string,
    auth: CallAuth | undefined,
  ): Promise<ManifestResult> {
    const op: Op = { repo, action: `fetching manifest "${reference}"`, auth };
    const res = await this.#send(op, 'GET', this.#manifestURL(repo, reference), MANIFEST_ACCEPT);
    if (!res.ok) throw await this.#errorFor(op, res);
    const bytes = await this.#bytes(op, res);
    const digest = sha256(bytes);
    const header = res.headers.get('docker-content-digest');
    if (header !== null && SHA256_DIGEST.test(header) && header !== digest) {
      throw this.#badResponse(op, `Docker-Content-Digest says ${header} but the body hashes to ${digest}`);
    }
    if (isDigest(reference) && reference.startsWith('sha256:') && reference !== digest) {
      throw this.#badResponse(op, `the body hashes to ${digest}, not the requested digest`);
    }
    const manifest = parseJson(bytes);
    if (!isRecord(manifest)) throw this.#badResponse(op, 'the body is not a JSON object');
    const headerType = contentType(res);
    const mediaType =
      isManifestMediaType(headerType) || typeof manifest.mediaType !== 'string'
        ? headerType
        : manifest.mediaType;
    return { digest, mediaType, manifest };
  }

  async #getBlobJson(
    repo: ImageRepo,
    digest: string,
    auth: CallAuth | undefined,
  ): Promise<Record<string, unknown>> {
    const op: Op = { repo, action: `fetching the image config ${digest}`, auth };
    const res = await this.#send(
      op,
      'GET',
      `${this.#baseURL(repo)}/v2/${repo.repository}/blobs/${digest}`,
      '*/*',
    );
    if (!res.ok) throw await this.#errorFor(op, res);
    const bytes = await this.#bytes(op, res);
    if (digest.startsWith('sha256:') && sha256(bytes) !== digest) {
      throw this.#badResponse(op, `the blob hashes to ${sha256(bytes)}`);
    }
    const parsed = parseJson(bytes);
    if (!isRecord(parsed)) throw this.#badResponse(op, 'the image config is not a JSON object');
    return parsed;
  }

  // Sends a registry request, answering one auth challenge if the registry asks for it.
  async #send(op: Op, method: 'GET' | 'HEAD', url: string, accept: string): Promise<Response> {
    const scope = `repository:${op.repo.repository}:pull`;
    const known = await this.#knownAuth(op, scope);
    const res = await this.#fetchRegistry(op, method, url, accept, known);
    if (res.status !== 401) return res;
    // Basic credentials already sent were refused; asking again would only repeat the answer.
    if (known?.kind === 'basic') throw await this.#errorFor(op, res);
    if (known?.kind === 'bearer') this.#tokens.delete(this.#tokenKey(op, scope));
    const challenges = parseWwwAuthenticate(res.headers.get('www-authenticate'));
    await res.body?.cancel();
    const auth = await this.#answerChallenge(op, challenges, scope);
    const retried = await this.#fetchRegistry(op, method, url, accept, auth);
    if (retried.status === 401) throw await this.#errorFor(op, retried);
    return retried;
  }

  // Auth to send before any challenge: what this host asked for last time.
  async #knownAuth(op: Op, scope: string): Promise<SentAuth> {
    const known = this.#hostAuth.get(op.repo.apiHost);
    if (known === undefined) return undefined;
    if (known.kind === 'basic') {
      const credentials = this.#credentialsFor(op);
      return credentials ? { kind: 'basic', header: basicHeader(credentials) } : undefined;
    }
    const cached = this.#tokens.get(this.#tokenKey(op, scope));
    if (cached && cached.expiresAt > this.#now()) return { kind: 'bearer', header: `Bearer ${cached.token}` };
    // The realm is known, so a token for this scope is fetched now rather than after an anonymous 401.
    const token = await this.#token(op, known.realm, known.service, scope, scope);
    return { kind: 'bearer', header: `Bearer ${token}` };
  }

  async #answerChallenge(op: Op, challenges: AuthChallenge[], scope: string): Promise<SentAuth> {
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer?.params.realm !== undefined) {
      const { realm, service } = bearer.params;
      this.#hostAuth.set(op.repo.apiHost, { kind: 'bearer', realm, service });
      const token = await this.#token(op, realm, service, bearer.params.scope ?? scope, scope);
      return { kind: 'bearer', header: `Bearer ${token}` };
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      const credentials = this.#credentialsFor(op);
      if (!credentials) {
        throw new RegistryAuthError(
          `${subject(op)}: authentication required while ${op.action} (HTTP 401, basic auth); ` +
            (op.auth?.hint ?? `configure credentials for registry ${op.repo.registry}`),
          { registry: op.repo.registry, repository: op.repo.repository, status: 401 },
        );
      }
      this.#hostAuth.set(op.repo.apiHost, { kind: 'basic' });
      return { kind: 'basic', header: basicHeader(credentials) };
    }
    const offered = challenges.map((c) => c.scheme).join(', ') || 'none';
    throw new RegistryAuthError(
      `${subject(op)}: authentication required while ${op.action} (HTTP 401) but the registry offers no ` +
        `supported auth scheme (offered: ${offered}); this client supports Bearer and Basic`,
      { registry: op.repo.registry, repository: op.repo.repository, status: 401 },
    );
  }

  #token(
    op: Op,
    realm: string,
    service: string | undefined,
    scope: string,
    cacheScope: string,
  ): Promise<string> {
    const key = this.#tokenKey(op, cacheScope);
    const pending = this.#pendingTokens.get(key);
    if (pending) return pending;
    const request = this.#fetchToken(op, realm, service, scope, cacheScope).finally(() =>
      this.#pendingTokens.delete(key),
    );
    this.#pendingTokens.set(key, request);
    return request;
  }

  async #fetchToken(
    op: Op,
    realm: string,
    service: string | undefined,
    scope: string,
    cacheScope: string,
  ): Promise<string> {
    const fail = (message: string, init: { status?: number; cause?: unknown } = {}): RegistryError =>
      new RegistryAuthError(this.#redact(message), {
        registry: op.repo.registry,
        repository: op.repo.repository,
        ...init,
      });
    let url: URL;
    try {
      url = new URL(realm);
    } catch (cause) {
      throw this.#badResponse(
        op,
        `the auth challenge names an invalid token realm ${JSON.stringify(realm)}`,
        cause,
      );
    }
    if (service !== undefined) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const credentials = this.#credentialsFor(op);
    const headers: Record<string, string> = { 'User-Agent': this.#userAgent, Accept: 'application/json' };
    if (credentials) {
      if (url.protocol !== 'https:' && !usesPlainHttp(url.host, this.#insecure)) {
        throw fail(
          `${subject(op)}: refusing to send credentials over plain HTTP to the token service ${url.origin}; ` +
            'use an https realm or list that host in insecureRegistries',
        );
      }
      headers.Authorization = basicHeader(credentials);
    }
    this.#tokenRequests++;
    let res: Response;
    let body: unknown;
    try {
      res = await this.#fetch(url.toString(), {
        method: 'GET',
        headers,
        signal: AbortSignal.timeout(this.#timeoutMs),
        ...(await tlsInit(op)),
      });
      body = res.ok ? parseJson(Buffer.from(await res.arrayBuffer())) : undefined;
      if (!res.ok) await res.body?.cancel();
    } catch (cause) {
      if (cause instanceof SyntaxError) {
        throw this.#badResponse(op, `the token service ${url.origin} answered with invalid JSON`, cause);
      }
      const tlsCode = certificateErrorCode(cause);
      if (tlsCode !== undefined) throw this.#tlsError(op, `the token service ${url.origin}`, tlsCode, cause);
      throw new RegistryUnreachableError(
        `${subject(op)}: cannot reach the token service ${url.origin} while ${op.action} ` +
          `(${this.#networkReason(cause)}); check the network and the registry's auth configuration`,
        { registry: op.repo.registry, repository: op.repo.repository, cause },
      );
    }
    if (res.status === 401 || res.status === 403) {
      throw fail(
        `${subject(op)}: the token service ${url.origin} refused ${credentials ? 'the configured credentials' : 'anonymous access'} ` +
          `while ${op.action} (HTTP ${res.status}); ${this.#credentialsAdvice(op, credentials)}`,
        { status: res.status },
      );
    }
    if (res.status === 429) {
      const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'), this.#now());
      throw new RegistryRateLimitedError(
        `${subject(op)}: the token service ${url.origin} rate-limited the request while ${op.action} (HTTP 429); ` +
          (retryAfterSeconds === undefined ? 'retry later' : `retry after ${retryAfterSeconds} s`),
        { registry: op.repo.registry, repository: op.repo.repository, status: 429, retryAfterSeconds },
      );
    }
    if (!res.ok) {
      throw this.#badResponse(
        op,
        `the token service ${url.origin} answered HTTP ${res.status}`,
        undefined,
        res.status,
      );
    }
    const record = isRecord(body) ? body : {};
    const token =
      typeof record.token === 'string' && record.token !== ''
        ? record.token
        : typeof record.access_token === 'string' && record.access_token !== ''
          ? record.access_token
          : undefined;
    if (token === undefined) {
      throw this.#badResponse(
        op,
        `the token service ${url.origin} answered without "token" or "access_token"`,
      );
    }
    this.#secrets.add(token);
    const expiresIn =
      typeof record.expires_in === 'number' && record.expires_in > 0
        ? record.expires_in
        : DEFAULT_TOKEN_TTL_SECONDS;
    // Renew a little early so a token never expires between the cache check and the registry's check.
    const margin = Math.min(30, expiresIn / 2);
    this.#tokens.set(this.#tokenKey(op, cacheScope), {
      token,
      expiresAt: this.#now() + (expiresIn - margin) * 1000,
    });
    return token;
  }

  async #fetchRegistry(
    op: Op,
    method: string,
    url: string,
    accept: string,
    auth: SentAuth,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: accept, 'User-Agent': this.#userAgent };
    if (auth) headers.Authorization = auth.header;
    for (let attempt = 0; ; attempt++) {
      await this.#limiter?.acquire(op.repo.registry);
      this.#requests++;
      let res: Response;
      const sent = performance.now();
      const registry = op.repo.registry;
      const attributes = {
        'ferry.registry': registry,
        'ferry.repository': op.repo.repository,
        'http.request.method': method,
      };
      try {
        res = await this.#span(`registry ${method}`, attributes, async (set) => {
          try {
            const r = await this.#fetch(url, {
              method,
              headers,
              signal: AbortSignal.timeout(this.#timeoutMs),
              ...(await tlsInit(op)),
            });
            set('http.response.status_code', r.status);
            return r;
          } catch (err) {
            set('error.type', 'unreachable');
            throw err;
          }
        });
        this.#count(`${method} ${res.status}`);
      } catch (cause) {
        this.#count(`${method} error`);
        this.#onRequest?.({ registry, method, status: 'error', ms: performance.now() - sent });
        throw this.#unreachable(op, cause);
      }
      const ms = performance.now() - sent;
      if (res.status !== 429 || attempt >= this.#maxRetries) {
        this.#onRequest?.({ registry, method, status: res.status, ms });
        return res;
      }
      // The registry says when it will take requests again; without that, back off exponentially.
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'), this.#now());
      const wait = Math.min(
        this.#maxWaitMs,
        retryAfter === undefined ? this.#backoffMs * 2 ** attempt : retryAfter * 1000,
      );
      await res.body?.cancel();
      this.#throttled.retries++;
      this.#throttled.waitMs += wait;
      this.#onRequest?.({ registry, method, status: res.status, ms, retryWaitMs: wait });
      await this.#sleep(wait);
    }
  }

  #count(key: string): void {
    this.#byMethodStatus.set(key, (this.#byMethodStatus.get(key) ?? 0) + 1);
  }

  async #bytes(op: Op, res: Response): Promise<Buffer> {
    try {
      return Buffer.from(await res.arrayBuffer());
    } catch (cause) {
      throw this.#unreachable(op, cause);
    }
  }

  async #json(op: Op, res: Response): Promise<unknown> {
    const bytes = await this.#bytes(op, res);
    try {
      return parseJson(bytes);
    } catch (cause) {
      throw this.#badResponse(op, 'the body is not valid JSON', cause, res.status);
    }
  }

  // Turns a non-2xx registry answer into the matching typed error.
  async #errorFor(op: Op, res: Response): Promise<RegistryError> {
    let text = '';
    try {
      text = await res.text();
    } catch {
      // The status alone still makes a useful error.
    }
    const details = parseErrorBody(text).map((d) => ({ code: d.code, message: this.#redact(d.message) }));
    const status = `HTTP ${res.status}${details.length > 0 ? `, ${details.map(formatDetail).join('; ')}` : ''}`;
    const init = { registry: op.repo.registry, repository: op.repo.repository, status: res.status, details };
    const credentials = this.#credentialsFor(op);
    switch (res.status) {
      case 401:
      case 403:
        return new RegistryAuthError(
          this.#redact(
            `${subject(op)}: access denied while ${op.action} (${status}); ${this.#credentialsAdvice(op, credentials)}`,
          ),
          init,
        );
      case 404:
        return new RegistryNotFoundError(
          `${subject(op)}: not found while ${op.action} (${status}); check the image repository URL and that ` +
            'the image was pushed',
          init,
        );
      case 429: {
        const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'), this.#now());
        const when = retryAfterSeconds === undefined ? 'retry later' : `retry after ${retryAfterSeconds} s`;
        const hint = credentials ? '' : ', or configure credentials: authenticated pulls get higher limits';
        return new RegistryRateLimitedError(
          `${subject(op)}: rate-limited while ${op.action} (${status}); ${when}${hint}`,
          {
            ...init,
            retryAfterSeconds,
          },
        );
      }
      default:
        return new RegistryBadResponseError(
          `${subject(op)}: unexpected answer while ${op.action} (${status}); retry later and check the ` +
            "registry's health if it persists",
          init,
        );
    }
  }

  #badResponse(op: Op, what: string, cause?: unknown, status?: number): RegistryBadResponseError {
    return new RegistryBadResponseError(
      this.#redact(
        `${subject(op)}: unusable answer while ${op.action}: ${what}; retry later and check the registry if it persists`,
      ),
      {
        registry: op.repo.registry,
        repository: op.repo.repository,
        cause,
        ...(status === undefined ? {} : { status }),
      },
    );
  }

  #unreachable(op: Op, cause: unknown): RegistryUnreachableError | RegistryTlsError {
    const origin = this.#baseURL(op.repo);
    const tlsCode = certificateErrorCode(cause);
    if (tlsCode !== undefined) return this.#tlsError(op, origin, tlsCode, cause);
    const plainHint = origin.startsWith('https:')
      ? '; a registry that serves plain HTTP must be listed in insecureRegistries'
      : '';
    return new RegistryUnreachableError(
      this.#redact(
        `${subject(op)}: cannot reach ${origin} while ${op.action} (${this.#networkReason(cause)}); ` +
          `check the registry address and the network${plainHint}`,
      ),
      { registry: op.repo.registry, repository: op.repo.repository, cause },
    );
  }

  #tlsError(op: Op, what: string, tlsCode: string, cause: unknown): RegistryTlsError {
    return new RegistryTlsError(
      this.#redact(
        `${subject(op)}: the TLS certificate of ${what} could not be verified while ${op.action} ` +
          `(${certificateErrorReason(cause) ?? tlsCode}); ${CERTIFICATE_ADVICE}`,
      ),
      { registry: op.repo.registry, repository: op.repo.repository, cause, tlsCode },
    );
  }

  #networkReason(cause: unknown): string {
    if (cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError')) {
      return `no answer within ${this.#timeoutMs} ms`;
    }
    const inner = cause instanceof Error ? cause.cause : undefined;
    if (inner instanceof Error) {
      const code = (inner as NodeJS.ErrnoException).code;
      return code ? `${code}: ${inner.message}` : inner.message;
    }
    return cause instanceof Error ? cause.message : String(cause);
  }

  #credentialsAdvice(op: Op, credentials: RegistryCredentials | undefined): string {
    if (credentials) {
      return `check the credentials configured for registry ${op.repo.registry} and that they may pull "${op.repo.repository}"`;
    }
    return (
      op.auth?.hint ??
      `no credentials are configured for registry ${op.repo.registry}; add them if the repository is private`
    );
  }

  // Tokens are cached per host, scope and identity: a token one caller's credentials earned must never
  // serve another caller (another Project) or anonymous access.
  #tokenKey(op: Op, scope: string): string {
    const c = this.#credentialsFor(op);
    const who = c
      ? createHash('sha256').update(`${c.username}\0${c.password}`).digest('hex').slice(0, 16)
      : '-';
    return `${op.repo.apiHost} ${scope} ${who}`;
  }

  #credentialsFor(op: Op): RegistryCredentials | undefined {
    const credentials = op.auth?.credentials ?? this.#credentials?.(op.repo.registry);
    if (credentials) {
      this.#secrets.add(credentials.password);
      this.#secrets.add(Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64'));
    }
    return credentials;
  }

  #redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) {
      if (secret.length >= 4) out = out.replaceAll(secret, '[redacted]');
    }
    return out;
  }

  #baseURL(repo: ImageRepo): string {
    return `${usesPlainHttp(repo.apiHost, this.#insecure) ? 'http' : 'https'}://${repo.apiHost}`;
  }

  #manifestURL(repo: ImageRepo, reference: string): string {
    return `${this.#baseURL(repo)}/v2/${repo.repository}/manifests/${reference}`;
  }
}

interface IndexEntry {
  digest: string;
  platform: ImagePlatform | undefined;
}

function indexEntries(manifest: unknown): IndexEntry[] | undefined {
  if (!isRecord(manifest) || !Array.isArray(manifest.manifests)) return undefined;
  const entries: IndexEntry[] = [];
  for (const entry of manifest.manifests) {
    if (!isRecord(entry) || typeof entry.digest !== 'string' || !isDigest(entry.digest)) return undefined;
    const p = isRecord(entry.platform) ? entry.platform : undefined;
    const platform =
      p && typeof p.os === 'string' && typeof p.architecture === 'string'
        ? {
            os: p.os,
            architecture: p.architecture,
            ...(typeof p.variant === 'string' ? { variant: p.variant } : {}),
          }
        : undefined;
    entries.push({ digest: entry.digest, platform });
  }
  return entries;
}

/**
 * Picks the index entry for a platform. arm64 without a variant counts as arm64/v8, as containerd
 * normalises it. Without a wanted platform: linux/amd64, else the first entry naming a real platform
 * (attestation manifests say `unknown/unknown`).
 */
function selectPlatform(entries: IndexEntry[], wanted: ImagePlatform | undefined): IndexEntry | undefined {
  if (wanted === undefined) {
    return (
      selectPlatform(entries, { os: 'linux', architecture: 'amd64' }) ??
      entries.find((e) => e.platform && e.platform.os !== 'unknown' && e.platform.architecture !== 'unknown')
    );
  }
  const variantOf = (p: ImagePlatform): string | undefined =>
    p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined);
  return entries.find(
    (e) =>
      e.platform !== undefined &&
      e.platform.os === wanted.os &&
      e.platform.architecture === wanted.architecture &&
      (wanted.variant === undefined || variantOf(e.platform) === variantOf(wanted)),
  );
}

function formatPlatform(p: ImagePlatform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function parseErrorBody(text: string): RegistryErrorDetail[] {
  try {
    const body: unknown = JSON.parse(text);
    if (!isRecord(body) || !Array.isArray(body.errors)) return [];
    return body.errors.filter(isRecord).map((e) => ({
      code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
      message: typeof e.message === 'string' ? e.message : '',
    }));
  } catch {
    return [];
  }
}

function formatDetail(d: RegistryErrorDetail): string {
  return d.message ? `${d.code}: ${d.message}` : d.code;
}

function subject(op: Op): string {
  return `repository "${op.repo.repository}" on registry ${op.repo.registry}`;
}

async function callAuth(call: RegistryCallOptions | undefined): Promise<CallAuth | undefined> {
  if (call === undefined) return undefined;
  return {
    credentials: await call.credentials?.(),
    hint: call.missingCredentialsHint,
    insecureSkipTLSVerify: call.insecureSkipTLSVerify === true,
  };
}

// The `fetch` init that skips certificate checks, only for a call that asked to.
async function tlsInit(op: Op): Promise<Pick<RequestInit, 'dispatcher'>> {
  return op.auth?.insecureSkipTLSVerify ? { dispatcher: await insecureTlsDispatcher() } : {};
}

function basicHeader(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

function contentType(res: Response): string {
  return (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function parseJson(bytes: Buffer): unknown {
  return JSON.parse(bytes.toString('utf8'));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
