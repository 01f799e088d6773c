import { at, type Provider, refreshOrIgnore, registryPush, str } from './types.ts';

/** The URL fields of an Azure DevOps repository, each one form of its URL. */
const DEVOPS_URL_FIELDS = ['remoteUrl', 'sshUrl', 'webUrl'] as const;

/**
 * Azure signs nothing: the secret is part of the receiver's URL (Secret key `secret`), as in Kargo.
 * One receiver takes both of Kargo's Azure senders, told apart by the payload: Azure Container
 * Registry (`action`) — a `push` names `request.host` + `target.repository` (image or OCI Helm chart
 * by `target.mediaType`), a `ping` answers pong; and Azure DevOps service hooks (`eventType`) — a
 * `git.push` names `resource.repository.remoteUrl` (and `sshUrl`, `webUrl`).
 */
export const azure: Provider = {
  name: 'azure',
  secretKey: 'secret',
  authenticate: () => true,
  extract(_req, payload) {
    const devops = str(at(payload, 'eventType'));
    if (devops !== undefined) {
      if (devops !== 'git.push') return { kind: 'ignore', reason: `event "${devops}" is not handled` };
      const urls = DEVOPS_URL_FIELDS.flatMap((f) => str(at(payload, 'resource', 'repository', f)) ?? []);
      return refreshOrIgnore({ git: urls }, 'no resource.repository.remoteUrl in the payload');
    }
    const action = str(at(payload, 'action')) ?? '';
    if (action === 'ping') return { kind: 'ignore', reason: 'pong' };
    if (action !== 'push') return { kind: 'ignore', reason: `action "${action}" is not handled` };
    const host = str(at(payload, 'request', 'host'));
    const repo = str(at(payload, 'target', 'repository'));
    return refreshOrIgnore(
      registryPush(host && repo ? [`${host}/${repo}`] : [], str(at(payload, 'target', 'mediaType'))),
      'no request.host and target.repository in the payload',
    );
  },
};
