import { at, type Provider, refreshOrIgnore, registryPush, safeEqual, str } from './types.ts';

/**
 * Harbor sends the "auth header" configured on its webhook verbatim as `Authorization`; it must equal
 * the Secret's `auth-header`. `PUSH_ARTIFACT` events name the image in `event_data.resources[].resource_url`
 * (host, repository and tag); `event_data.repository.repo_full_name` is the repository without the host.
 */
export const harbor: Provider = {
  name: 'harbor',
  secretKey: 'auth-header',
  authenticate: (req, secret) => {
    const given = req.headers.authorization;
    return given !== undefined && safeEqual(given, secret);
  },
  extract(_req, payload) {
    const type = str(at(payload, 'type'));
    if (type !== 'PUSH_ARTIFACT')
      return { kind: 'ignore', reason: `event type "${type ?? ''}" is not a push` };
    const resources = at(payload, 'event_data', 'resources');
    const urls = (Array.isArray(resources) ? resources : []).flatMap((r) => str(at(r, 'resource_url')) ?? []);
    const full = str(at(payload, 'event_data', 'repository', 'repo_full_name'));
    const repositories = urls.length > 0 ? urls : full ? [full] : [];
    return refreshOrIgnore(registryPush(repositories), 'no repository in the payload');
  },
};
