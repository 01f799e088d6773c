import { at, hmacMatches, type Provider, refreshOrIgnore, str } from './types.ts';

/** The links of a payload's `repository`: `html.href` (Cloud) and every `clone[].href` (both). */
function repositoryLinks(payload: unknown): string[] {
  const clone = at(payload, 'repository', 'links', 'clone');
  const html = str(at(payload, 'repository', 'links', 'html', 'href'));
  return [
    ...(html ? [html] : []),
    ...(Array.isArray(clone) ? clone.flatMap((c) => str(at(c, 'href')) ?? []) : []),
  ];
}

/**
 * Bitbucket: `X-Hub-Signature` is `sha256=<hex>`, the HMAC-SHA256 of the body with the Secret's
 * `secret`. Bitbucket Cloud's `repo:push` (`X-Event-Key`) names the repository in
 * `repository.links.html.href`; Bitbucket Data Center's `repo:refs_changed` in
 * `repository.links.clone[].href`. Data Center's `diagnostics:ping` answers pong; other events
 * refresh nothing.
 */
export const bitbucket: Provider = {
  name: 'bitbucket',
  secretKey: 'secret',
  authenticate: (req, secret) => hmacMatches(req.body, secret, req.headers['x-hub-signature']),
  extract(req, payload) {
    const event = req.headers['x-event-key'] ?? '';
    if (event === 'diagnostics:ping') return { kind: 'ignore', reason: 'pong' };
    if (event !== 'repo:push' && event !== 'repo:refs_changed') {
      return { kind: 'ignore', reason: `event "${event}" is not handled` };
    }
    return refreshOrIgnore({ git: repositoryLinks(payload) }, 'no repository link in the push payload');
  },
};
