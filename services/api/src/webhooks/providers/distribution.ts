import { at, type Provider, safeEqual, str } from './types.ts';

/** Media types of what a push event must carry to count: manifests and indexes, not layer blobs. */
const MANIFEST = /manifest|image\.index/;

/**
 * A CNCF distribution registry (`docker-registry`, the Docker registry image): its `notifications`
 * endpoint configured with the header `Authorization: Bearer <secret>`. Each `push` event of a manifest
 * names `target.repository` on `request.host`; pulls and blob pushes refresh nothing.
 */
export const distribution: Provider = {
  name: 'distribution',
  secretKey: 'secret',
  authenticate: (req, secret) => {
    const given = req.headers.authorization;
    return given !== undefined && safeEqual(given, `Bearer ${secret}`);
  },
  extract(_req, payload) {
    const events = at(payload, 'events');
    const repositories = new Set<string>();
    for (const e of Array.isArray(events) ? events : []) {
      if (at(e, 'action') !== 'push') continue;
      if (!MANIFEST.test(str(at(e, 'target', 'mediaType')) ?? '') && !str(at(e, 'target', 'tag'))) continue;
      const repo = str(at(e, 'target', 'repository'));
      const host = str(at(e, 'request', 'host'));
      if (repo && host) repositories.add(`${host}/${repo}`);
    }
    return repositories.size > 0
      ? { kind: 'refresh', repositories: [...repositories] }
      : { kind: 'ignore', reason: 'no manifest push in the events' };
  },
};
