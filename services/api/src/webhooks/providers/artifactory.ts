import { at, hmacMatches, type Provider, refreshOrIgnore, registryPush, str } from './types.ts';

/** The host of the Artifactory instance that sent the event (`jpd_origin`), or undefined. */
function originHost(origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  try {
    return new URL(origin).host || undefined;
  } catch {
    return undefined;
  }
}

/**
 * JFrog Artifactory: `X-Jfrog-Event-Auth` is the HMAC-SHA256 of the body in hex with the Secret's
 * `secret-token` (Artifactory's webhook "secret token"). Only docker-domain `pushed` events count. As in
 * Kargo, the repository is the host of `jpd_origin`, then `data.repo_key` (or the receiver's
 * `virtualRepoName`), then `data.path` without its last two segments (tag and manifest file); an
 * `image_type` of `docker` names an image, `oci` an OCI Helm chart, none either.
 */
export const artifactory: Provider = {
  name: 'artifactory',
  secretKey: 'secret-token',
  authenticate: (req, secret) => hmacMatches(req.body, secret, req.headers['x-jfrog-event-auth']),
  extract(_req, payload, config) {
    const domain = str(at(payload, 'domain')) ?? '';
    const type = str(at(payload, 'event_type')) ?? '';
    if (domain !== 'docker' || type !== 'pushed') {
      return { kind: 'ignore', reason: `event "${domain}/${type}" is not a docker push` };
    }
    const host = originHost(str(at(payload, 'jpd_origin')));
    if (!host) return { kind: 'ignore', reason: 'no jpd_origin URL in the payload' };
    const repoKey = config.virtualRepoName ?? str(at(payload, 'data', 'repo_key'));
    if (!repoKey) return { kind: 'ignore', reason: 'no data.repo_key in the payload' };
    const path = str(at(payload, 'data', 'path')) ?? '';
    const sections = path.split('/');
    if (sections.length < 2 || sections.slice(0, -2).some((s) => s === '')) {
      return { kind: 'ignore', reason: `data.path "${path}" is not <image>/<tag>/<manifest>` };
    }
    const repository = [host, repoKey, ...sections.slice(0, -2)].join('/');
    const imageType = str(at(payload, 'data', 'image_type'));
    if (imageType === 'docker') return { kind: 'refresh', images: [repository] };
    if (imageType === 'oci') return { kind: 'refresh', charts: [repository] };
    if (imageType !== undefined) {
      return { kind: 'ignore', reason: `image type "${imageType}" is neither docker nor oci` };
    }
    return refreshOrIgnore(registryPush([repository]), 'no repository in the payload');
  },
};
