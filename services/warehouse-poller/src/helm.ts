/**
 * Helm chart discovery, as Kargo's chart selectors do it: a classic repository's `index.yaml`
 * (versions that parse as SemVer, loosely) or an OCI repository's tags (strict SemVer, with Helm's `_`
 * standing for `+`), filtered by the subscription's constraint, newest first, at most `discoveryLimit`.
 * An index is fetched with a conditional GET: while it has not changed (304) the versions read from it
 * last time are reused, so a large index is downloaded and parsed once per change, not once per poll.
 */
import { createHash } from 'node:crypto';
import type { ChartSubscription } from '@ferry/contracts';
import { compareSemver, parseSemver, parseSemverConstraint, type SemVersion, satisfies } from '@ferry/kargo';
import { CERTIFICATE_ADVICE, certificateErrorReason, insecureTlsDispatcher } from '@ferry/registry';
import { parse } from 'yaml';
import { type RegistryPort, registryOptionsOf } from './discover.ts';

/** Stable codes of chart discovery errors. */
export const HelmDiscoveryErrorCodes = {
  /** The repository could not be reached (DNS, connection, timeout). */
  unreachable: 'FERRY_ERR_HELM_UNREACHABLE',
  /** The repository answered with a status other than 200 or 304. */
  badResponse: 'FERRY_ERR_HELM_BAD_RESPONSE',
  /** `index.yaml` is not a Helm repository index. */
  badIndex: 'FERRY_ERR_HELM_BAD_INDEX',
  /** The index has no chart of the subscription's name. */
  noChart: 'FERRY_ERR_HELM_NO_CHART',
  /** The HTTPS repository's TLS certificate could not be verified (and the subscription does not skip that). */
  tlsUnverified: 'FERRY_ERR_HELM_TLS_UNVERIFIED',
} as const;

/** A chart discovery failure with a stable code; the message never holds credentials. */
export class HelmDiscoveryError extends Error {
  /** One of {@link HelmDiscoveryErrorCodes}. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HelmDiscoveryError';
    this.code = code;
  }
}

/** Basic-auth credentials for a classic chart repository. */
export interface ChartCredentials {
  username: string;
  password: string;
}

/** Finds the credentials for a chart repository URL; undefined means ask anonymously. */
export type ChartCredentialsLookup = (repoURL: string) => Promise<ChartCredentials | undefined>;

/** What the last fetch of one repository index left behind, to ask "has it changed?" next time. */
export interface HelmIndexMemo {
  /** The index's `ETag`, sent back as `If-None-Match`; absent when the server gave none. */
  etag?: string;
  /** The index's `Last-Modified`, sent back as `If-Modified-Since`; absent when the server gave none. */
  lastModified?: string;
  /** Every chart in the index → its versions as written (unfiltered, index order). */
  charts: Record<string, string[]>;
}

/** Memory between index fetches (Redis in the service, a Map in tests), keyed by the SHA-256 of the index URL. */
export interface HelmIndexMemoCache {
  get(urlHash: string): Promise<HelmIndexMemo | undefined>;
  put(urlHash: string, memo: HelmIndexMemo): Promise<void>;
}

/** An in-process {@link HelmIndexMemoCache}. */
export function memoryHelmMemo(): HelmIndexMemoCache {
  const m = new Map<string, HelmIndexMemo>();
  return { get: async (k) => m.get(k), put: async (k, v) => void m.set(k, v) };
}

/** Discovers one chart subscription: its versions, newest first, at most `discoveryLimit`. */
export type ChartDiscoverer = (sub: ChartSubscription) => Promise<string[]>;

/** One index request, as {@link HelmDiscovererOptions.onIndex} reports it. */
export interface IndexFetchEvent {
  /** The index URL. */
  url: string;
  /** HTTP status: 200 (downloaded), 304 (unchanged, memo reused) or an error status. */
  status: number;
  /** Whether the body was parsed (false for a 304). */
  parsed: boolean;
}

/** Options of {@link helmDiscoverer}. */
export interface HelmDiscovererOptions {
  /** Lists an OCI chart's tags (the image registry client). */
  registry: Pick<RegistryPort, 'listTags'>;
  /** Index memos; none (every poll downloads the index) when absent. */
  memo?: HelmIndexMemoCache;
  /** Credentials for classic repositories (basic auth); anonymous when absent. */
  credentials?: ChartCredentialsLookup;
  /** The HTTP client; the global `fetch` when absent. */
  fetch?: typeof globalThis.fetch;
  /** How long one index request may take; 30 s when absent. */
  timeoutMs?: number;
  /** Sees every index request (tests, metrics). */
  onIndex?: (e: IndexFetchEvent) => void;
}

/** The URL of a classic repository's index: `<repoURL>/index.yaml`, as Kargo builds it. */
export function indexURL(repoURL: string): string {
  return `${repoURL.replace(/\/$/, '')}/index.yaml`;
}

const descending = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);

/**
 * Ranks chart versions as Kargo does: those that parse (`oci` tags strictly, with `_` read as `+` and no
 * leading `v`; index versions loosely) and satisfy `semverConstraint`, highest first, equal versions by
 * their text descending; at most `discoveryLimit`. Versions come back as written (`_` turned into `+`).
 */
export function selectChartVersions(
  versions: readonly string[],
  sub: { readonly semverConstraint?: string | undefined; readonly discoveryLimit: number },
  source: 'index' | 'oci',
): string[] {
  const constraint = sub.semverConstraint ? parseSemverConstraint(sub.semverConstraint) : undefined;
  const parsed: SemVersion[] = [];
  for (const raw of versions) {
    // OCI tags cannot hold `+`; Helm writes build metadata with `_` instead.
    const text = source === 'oci' ? raw.replaceAll('_', '+') : raw;
    const v =
      source === 'oci'
        ? text.startsWith('v')
          ? undefined
          : parseSemver(text, true)
        : parseSemver(text, false);
    if (v && (!constraint || satisfies(v, constraint))) parsed.push(v);
  }
  parsed.sort((a, b) => compareSemver(b, a) || descending(a.original, b.original));
  const limited = sub.discoveryLimit > 0 ? parsed.slice(0, sub.discoveryLimit) : parsed;
  return limited.map((v) => v.original);
}

/** Reads a repository index's `entries`: chart name → versions. Throws when it is not a Helm index. */
export function chartVersionsFromIndex(text: string, url: string): Record<string, string[]> {
  let doc: unknown;
  try {
    // The failsafe schema keeps every scalar a string: `version: 1.10` stays "1.10", not the number 1.1.
    doc = parse(text, { schema: 'failsafe', maxAliasCount: -1 });
  } catch (err) {
    throw new HelmDiscoveryError(
      HelmDiscoveryErrorCodes.badIndex,
      `${url} is not valid YAML (${(err as Error).message.split('\n')[0]}); check repoURL points at a Helm chart repository`,
      { cause: err },
    );
  }
  const entries = isRecord(doc) ? doc.entries : undefined;
  if (!isRecord(entries)) {
    throw new HelmDiscoveryError(
      HelmDiscoveryErrorCodes.badIndex,
      `${url} has no "entries" map, so it is not a Helm repository index; check repoURL points at a Helm chart repository`,
    );
  }
  const charts: Record<string, string[]> = {};
  for (const [name, list] of Object.entries(entries)) {
    charts[name] = Array.isArray(list)
      ? list.flatMap((e) => (isRecord(e) && typeof e.version === 'string' ? [e.version] : []))
      : [];
  }
  return charts;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Chart discovery over HTTP(S) repositories and OCI registries. Requests for one index made at the
 * same time (two subscriptions of one repository) share one fetch.
 */
export function helmDiscoverer(opts: HelmDiscovererOptions): ChartDiscoverer {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const inflight = new Map<string, Promise<Record<string, string[]>>>();

  const fetchIndex = async (
    repoURL: string,
    url: string,
    insecureSkipTLSVerify: boolean,
  ): Promise<Record<string, string[]>> => {
    const key = createHash('sha256').update(url).digest('hex');
    const memo = await opts.memo?.get(key);
    const headers: Record<string, string> = { accept: 'application/x-yaml, text/yaml, text/plain, */*' };
    if (memo?.etag) headers['if-none-match'] = memo.etag;
    if (memo?.lastModified) headers['if-modified-since'] = memo.lastModified;
    const creds = await opts.credentials?.(repoURL);
    if (creds) {
      headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    let res: Response;
    try {
      res = await doFetch(url, {
        headers,
        signal: AbortSignal.timeout(timeoutMs),
        // The registry client's shared non-verifying dispatcher, only for a subscription that asks.
        ...(insecureSkipTLSVerify ? { dispatcher: await insecureTlsDispatcher() } : {}),
      });
    } catch (err) {
      const certificate = certificateErrorReason(err);
      if (certificate !== undefined) {
        throw new HelmDiscoveryError(
          HelmDiscoveryErrorCodes.tlsUnverified,
          `the TLS certificate of ${new URL(url).origin} could not be verified while fetching ${url} ` +
            `(${certificate}); ${CERTIFICATE_ADVICE}`,
          { cause: err },
        );
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new HelmDiscoveryError(
        HelmDiscoveryErrorCodes.unreachable,
        `cannot reach ${url} (${why}); check repoURL and that the repository is up`,
        { cause: err },
      );
    }
    if (res.status === 304 && memo) {
      await res.body?.cancel();
      opts.onIndex?.({ url, status: 304, parsed: false });
      return memo.charts;
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      opts.onIndex?.({ url, status: res.status, parsed: false });
      const hint =
        res.status === 401 || res.status === 403
          ? creds
            ? 'the repository refused the credentials found for it'
            : 'the repository needs credentials and none were found for it'
          : res.status === 404
            ? 'there is no index.yaml there; check repoURL'
            : 'try again later or check the repository';
      throw new HelmDiscoveryError(
        HelmDiscoveryErrorCodes.badResponse,
        `GET ${url} answered HTTP ${res.status}: ${hint}`,
      );
    }
    const charts = chartVersionsFromIndex(await res.text(), url);
    opts.onIndex?.({ url, status: 200, parsed: true });
    const etag = res.headers.get('etag');
    const lastModified = res.headers.get('last-modified');
    if (opts.memo && (etag || lastModified)) {
      await opts.memo.put(key, {
        ...(etag ? { etag } : {}),
        ...(lastModified ? { lastModified } : {}),
        charts,
      });
    }
    return charts;
  };

  const indexOnce = (repoURL: string, insecureSkipTLSVerify: boolean): Promise<Record<string, string[]>> => {
    const url = indexURL(repoURL);
    // A subscription that verifies certificates never shares a fetch made without verification.
    const key = `${insecureSkipTLSVerify ? 'insecure' : 'verified'} ${url}`;
    let p = inflight.get(key);
    if (!p) {
      p = fetchIndex(repoURL, url, insecureSkipTLSVerify).finally(() => inflight.delete(key));
      inflight.set(key, p);
    }
    return p;
  };

  return async (sub) => {
    if (sub.repoURL.startsWith('oci://')) {
      const tags = await opts.registry.listTags(sub.repoURL.slice('oci://'.length), registryOptionsOf(sub));
      return selectChartVersions(tags, sub, 'oci');
    }
    const charts = await indexOnce(sub.repoURL, sub.insecureSkipTLSVerify === true);
    const name = sub.name ?? '';
    const versions = Object.hasOwn(charts, name) ? charts[name] : undefined;
    if (versions === undefined) {
      const names = Object.keys(charts);
      const some = names.slice(0, 10).join(', ') + (names.length > 10 ? ', …' : '');
      throw new HelmDiscoveryError(
        HelmDiscoveryErrorCodes.noChart,
        `chart "${name}" is not in ${indexURL(sub.repoURL)} (${names.length ? `it has ${names.length}: ${some}` : 'it lists no charts'}); check the subscription's name`,
      );
    }
    return selectChartVersions(versions, sub, 'index');
  };
}
