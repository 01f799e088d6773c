import { at, hmacMatches, type Provider, refreshOrIgnore, str } from './types.ts';

/** The header a generic receiver reads the signature from when `signatureHeader` is not set. */
export const DEFAULT_SIGNATURE_HEADER = 'X-Ferry-Signature-256';

/**
 * Any sender (Ferry's form of Kargo's generic receiver): the header named by `signatureHeader`
 * carries the HMAC-SHA256 of the body with the Secret's `secret`, in hex, bare or as `sha256=<hex>`.
 * The JSON body names the repository in `repoURL` (or several in `repoURLs`): an image, an OCI Helm chart
 * or a git repository, matched against subscriptions of each kind.
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
    // The body does not say what kind of repository it names, so it is matched against all three.
    return refreshOrIgnore(
      { images: repositories, charts: repositories, git: repositories },
      'no repoURL in the body',
    );
  },
};
