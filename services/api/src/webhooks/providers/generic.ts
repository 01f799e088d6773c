import { at, hmacMatches, type Provider, str } from './types.ts';

/** The header a generic receiver reads the signature from when `signatureHeader` is not set. */
export const DEFAULT_SIGNATURE_HEADER = 'X-Ferry-Signature-256';

/**
 * Any sender (Ferry's form of Kargo's generic receiver): the header named by `signatureHeader`
 * carries the HMAC-SHA256 of the body with the Secret's `secret`, in hex, bare or as `sha256=<hex>`.
 * The JSON body names the image in `repoURL` (or several in `repoURLs`).
 */
export const generic: Provider = {
  name: 'generic',
  secretKey: 'secret',
  authenticate: (req, secret, config) =>
    hmacMatches(
      req.body,
      secret,
      req.headers[(config.signatureHeader ?? DEFAULT_SIGNATURE_HEADER).toLowerCase()],
    ),
  extract(_req, payload) {
    const list = at(payload, 'repoURLs');
    const repositories = [
      ...(str(at(payload, 'repoURL')) ? [str(at(payload, 'repoURL')) as string] : []),
      ...(Array.isArray(list) ? list.flatMap((u) => str(u) ?? []) : []),
    ];
    return repositories.length > 0
      ? { kind: 'refresh', repositories }
      : { kind: 'ignore', reason: 'no repoURL in the body' };
  },
};
