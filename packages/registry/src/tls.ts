import type { Agent } from 'undici';

// undici (the npm package, a second copy beside the one inside Node's fetch) costs about 2.5 MB of heap
// to load; it is only needed for insecureSkipTLSVerify, so it is imported on first use (a dynamic
// import, which the bundled build also keeps lazy).

/**
 * OpenSSL and Node codes of a server certificate that could not be verified (as opposed to a connection
 * that failed for other reasons): an unknown or self-signed CA, a broken chain, an expired certificate or
 * one issued for another name.
 */
const CERTIFICATE_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What `fetch`'s `dispatcher` init field takes. */
export type FetchDispatcher = NonNullable<RequestInit['dispatcher']>;

let insecure: Promise<Agent> | undefined;

/**
 * The one dispatcher for `fetch` that does not verify TLS certificates, for requests a subscription's
 * `insecureSkipTLSVerify` allows. Created on first use and shared by every such request (its connection
 * pool included); never used unless asked for.
 */
export async function insecureTlsDispatcher(): Promise<FetchDispatcher> {
  insecure ??= import('undici').then(({ Agent }) => new Agent({ connect: { rejectUnauthorized: false } }));
  // undici's own Agent and the dispatcher type Node's fetch declares come from two copies of the types.
  return (await insecure) as unknown as FetchDispatcher;
}

/**
 * The certificate error code (`DEPTH_ZERO_SELF_SIGNED_CERT`, `SELF_SIGNED_CERT_IN_CHAIN`,
 * `UNABLE_TO_VERIFY_LEAF_SIGNATURE`...) behind a failed `fetch`, or undefined when it failed for another
 * reason. `fetch` rejects with a `TypeError` whose `cause` is the TLS socket's error.
 */
export function certificateErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && CERTIFICATE_ERROR_CODES.has(code)) return code;
  }
  return undefined;
}

/**
 * `CODE: what OpenSSL says` (`DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate`) for a failed `fetch`
 * whose certificate could not be verified, without the advice Node appends after a semicolon; undefined
 * when it failed for another reason.
 */
export function certificateErrorReason(err: unknown): string | undefined {
  const code = certificateErrorCode(err);
  if (code === undefined) return undefined;
  let e: unknown = err;
  while (e instanceof Error && (e as NodeJS.ErrnoException).code !== code) e = e.cause;
  const text = e instanceof Error ? e.message.split(';')[0]!.trim() : '';
  return text === '' || text === code ? code : `${code}: ${text}`;
}

/**
 * What to do about a certificate that could not be verified: trust its CA, or skip verification for
 * this subscription.
 */
export const CERTIFICATE_ADVICE =
  'if it is signed by a private CA, trust that CA by pointing NODE_EXTRA_CA_CERTS of the warehouse-poller ' +
  "at the CA's PEM file; or set insecureSkipTLSVerify: true on the subscription to skip verification";
