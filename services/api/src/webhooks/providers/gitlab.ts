import { NO_MATCH, type Provider, safeEqual } from './types.ts';

/**
 * GitLab: `X-Gitlab-Token` equals the Secret's `secret-token`. GitLab sends push events for git
 * repositories only; Ferry has no git subscriptions yet, so an authenticated event refreshes nothing.
 */
export const gitlab: Provider = {
  name: 'gitlab',
  secretKey: 'secret-token',
  authenticate: (req, secret) => {
    const token = req.headers['x-gitlab-token'];
    return token !== undefined && safeEqual(token, secret);
  },
  extract: (req) => ({
    kind: 'ignore',
    reason: `${NO_MATCH}: GitLab sends git events (${req.headers['x-gitlab-event'] ?? 'unnamed'}), and Ferry has no git subscriptions yet`,
  }),
};
