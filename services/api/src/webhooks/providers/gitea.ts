import { at, hmacMatches, type Provider, refreshOrIgnore, str } from './types.ts';

/** The URL fields of a push payload's `repository`, each one form of the pushed repository's URL. */
const REPO_URL_FIELDS = ['clone_url', 'html_url', 'ssh_url'] as const;

/**
 * Gitea (and Forgejo, which sends the same headers): the HMAC-SHA256 of the body with the Secret's
 * `secret`, in hex in `X-Gitea-Signature`, or as `sha256=<hex>` in `X-Hub-Signature-256` (the header
 * Kargo reads; Gitea sends both). A `push` event (`X-Gitea-Event`) names the git repository
 * (`repository.clone_url`, `html_url`, `ssh_url`); other events refresh nothing, as in Kargo.
 */
export const gitea: Provider = {
  name: 'gitea',
  secretKey: 'secret',
  authenticate: (req, secret) =>
    hmacMatches(req.body, secret, req.headers['x-gitea-signature'] ?? req.headers['x-hub-signature-256']),
  extract(req, payload) {
    const event = req.headers['x-gitea-event'] ?? '';
    if (event !== 'push') return { kind: 'ignore', reason: `event "${event}" is not handled` };
    const urls = REPO_URL_FIELDS.flatMap((f) => str(at(payload, 'repository', f)) ?? []);
    return refreshOrIgnore({ git: urls }, 'no repository URL in the push payload');
  },
};
