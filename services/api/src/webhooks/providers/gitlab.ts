import { at, type Provider, refreshOrIgnore, safeEqual, str } from './types.ts';

/** The URL fields of a push payload's `project`, each one form of the pushed repository's URL. */
const PROJECT_URL_FIELDS = ['git_http_url', 'git_ssh_url', 'web_url'] as const;

/** The events that report new commits or tags (the `X-Gitlab-Event` header). */
const PUSH_EVENTS = new Set(['Push Hook', 'Tag Push Hook']);

/**
 * GitLab: `X-Gitlab-Token` equals the Secret's `secret-token`. `Push Hook` and `Tag Push Hook` events
 * name the git repository (`project.git_http_url`, `git_ssh_url`, `web_url`); other events refresh nothing.
 */
export const gitlab: Provider = {
  name: 'gitlab',
  secretKey: 'secret-token',
  authenticate: (req, secret) => {
    const token = req.headers['x-gitlab-token'];
    return token !== undefined && safeEqual(token, secret);
  },
  extract(req, payload) {
    const event = req.headers['x-gitlab-event'] ?? '';
    if (!PUSH_EVENTS.has(event)) return { kind: 'ignore', reason: `event "${event}" is not handled` };
    // `repository` carries the same URLs in payloads of older GitLab releases.
    const urls = ['project', 'repository'].flatMap((o) =>
      PROJECT_URL_FIELDS.flatMap((f) => str(at(payload, o, f)) ?? []),
    );
    return refreshOrIgnore({ git: urls }, 'no project URL in the push payload');
  },
};
