import {
  at,
  type Provider,
  refreshOrIgnore,
  registryPush,
  safeEqual,
  str,
  type WebhookTargets,
} from './types.ts';

/** Media types of what a push event must carry to count: manifests and indexes, not layer blobs. */
const MANIFEST = /manifest|image\.index/;

/**
 * A CNCF distribution registry (`docker-registry`, the Docker registry image): its `notifications`
 * endpoint configured with the header `Authorization: Bearer <secret>`. Each `push` event of a manifest
 * names `target.repository` on `request.host` (an image, or an OCI Helm chart unless the media type
 * says image); pulls and blob pushes refresh nothing.
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
    const images = new Set<string>();
    const charts = new Set<string>();
    for (const e of Array.isArray(events) ? events : []) {
      if (at(e, 'action') !== 'push') continue;
      const mediaType = str(at(e, 'target', 'mediaType'));
      if (!MANIFEST.test(mediaType ?? '') && !str(at(e, 'target', 'tag'))) continue;
      const repo = str(at(e, 'target', 'repository'));
      const host = str(at(e, 'request', 'host'));
      if (!repo || !host) continue;
      const found: WebhookTargets = registryPush([`${host}/${repo}`], mediaType);
      for (const r of found.images ?? []) images.add(r);
      for (const r of found.charts ?? []) charts.add(r);
    }
    return refreshOrIgnore({ images: [...images], charts: [...charts] }, 'no manifest push in the events');
  },
};
