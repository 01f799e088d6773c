import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookProvider, WebhookProviderConfig } from '@ferry/contracts';

/** A webhook request as a provider sees it: lower-cased header names and the raw body. */
export interface WebhookRequest {
  /** Header values by lower-cased name (the first value of a repeated header). */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as sent, which signatures cover. */
  body: Buffer;
}

/**
 * The repositories a payload names. Only repositories are taken from a payload, never a tag or a
 * commit: the warehouse-poller asks the registry or git itself.
 */
export interface WebhookTargets {
  /** Image repositories (`host/path`, scheme, tag and digest allowed and dropped); absent = none. */
  images?: string[];
  /** OCI Helm chart repositories (`host/path/chart`, `oci://` allowed); absent = none. */
  charts?: string[];
  /** Git repository URLs in any form (`https://`, `ssh://`, `git@host:path`); absent = none. */
  git?: string[];
}

/** What a payload asks for: a re-check of the repositories it names, or nothing (with why). */
export type WebhookOutcome = ({ kind: 'refresh' } & WebhookTargets) | { kind: 'ignore'; reason: string };

/** One provider: how it proves the sender knows the secret, and which repositories its payloads name. */
export interface Provider {
  /** The provider block's key in a receiver, and the second segment of its path. */
  name: WebhookProvider;
  /** The key of the Kargo Secret's data that holds the value (documentation and messages only). */
  secretKey: string;
  /**
   * True when the request proves knowledge of the secret. Providers whose secret is only part of the
   * URL (Docker Hub, Quay) return true: finding the receiver by its path already proved it.
   */
  authenticate(req: WebhookRequest, secret: string, config: WebhookProviderConfig): boolean;
  /** Reads an authenticated payload. Never trusts a tag in it: it only names repositories to re-check. */
  extract(req: WebhookRequest, payload: unknown, config: WebhookProviderConfig): WebhookOutcome;
}

/** The message for a payload with nothing to refresh. */
export const NO_MATCH = 'no matching subscription';

/** Equality of two strings in time independent of where they differ (hashing first evens out lengths). */
export function safeEqual(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(h(a), h(b)) && a.length === b.length;
}

/** True when `signature` is the HMAC-SHA256 of the body in hex, bare or as `sha256=<hex>`. */
export function hmacMatches(body: Buffer, secret: string, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = createHmac('sha256', secret).update(body).digest('hex');
  const given = signature.startsWith('sha256=') ? signature.slice('sha256='.length) : signature;
  return safeEqual(expected, given.toLowerCase());
}

/** Reads a nested field of an untyped payload; undefined when any step is missing. */
export function at(v: unknown, ...path: Array<string | number>): unknown {
  let cur = v;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** A non-empty string field, or undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Manifest and config media types that show a registry push is a container image, not a Helm chart. */
const IMAGE_MEDIA_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

/**
 * The targets of a push to an OCI registry, as Kargo reads them: a Helm media type names a chart
 * repository, an image-only media type an image repository, and anything else (an OCI manifest can
 * hold either, or no media type is given) both.
 */
export function registryPush(repositories: string[], mediaType?: string): WebhookTargets {
  if (mediaType?.startsWith('application/vnd.cncf.helm')) return { charts: repositories };
  if (mediaType && IMAGE_MEDIA_TYPES.has(mediaType)) return { images: repositories };
  return { images: repositories, charts: repositories };
}

/** A refresh of the targets, or an ignore with `reason` when they name nothing. */
export function refreshOrIgnore(targets: WebhookTargets, reason: string): WebhookOutcome {
  const empty = [targets.images, targets.charts, targets.git].every((l) => !l || l.length === 0);
  return empty ? { kind: 'ignore', reason } : { kind: 'refresh', ...targets };
}
