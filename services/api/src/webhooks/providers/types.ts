import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookProvider, WebhookProviderConfig } from '@ferry/contracts';

/** A webhook request as a provider sees it: lower-cased header names and the raw body. */
export interface WebhookRequest {
  /** Header values by lower-cased name (the first value of a repeated header). */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as sent, which signatures cover. */
  body: Buffer;
}

/** What a payload asks for: a re-check of the named image repositories, or nothing (with why). */
export type WebhookOutcome = { kind: 'refresh'; repositories: string[] } | { kind: 'ignore'; reason: string };

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
  extract(req: WebhookRequest, payload: unknown): WebhookOutcome;
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
