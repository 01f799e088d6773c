import { at, hmacMatches, NO_MATCH, type Provider, str } from './types.ts';

/** The name of an image from a package payload: its `package_url` (tag dropped later), else ghcr.io/<owner>/<name>. */
function imageOf(pkg: unknown): string | undefined {
  const url = str(at(pkg, 'package_version', 'package_url'));
  if (url) return url;
  const owner = str(at(pkg, 'namespace')) ?? str(at(pkg, 'owner', 'login'));
  const name = str(at(pkg, 'name'));
  return owner && name ? `ghcr.io/${owner}/${name}` : undefined;
}

/**
 * GitHub: `X-Hub-Signature-256` is the HMAC-SHA256 of the body with the Secret's `secret`.
 * `package` and `registry_package` events (published container versions) name a ghcr.io image;
 * `ping` and `push` (git, which Ferry does not subscribe to yet) refresh nothing.
 */
export const github: Provider = {
  name: 'github',
  secretKey: 'secret',
  authenticate: (req, secret) => hmacMatches(req.body, secret, req.headers['x-hub-signature-256']),
  extract(req, payload) {
    const event = req.headers['x-github-event'];
    if (event === 'ping') return { kind: 'ignore', reason: 'pong' };
    if (event === 'push')
      return { kind: 'ignore', reason: `${NO_MATCH}: git subscriptions are not supported yet` };
    if (event !== 'package' && event !== 'registry_package') {
      return { kind: 'ignore', reason: `event "${event ?? ''}" is not handled` };
    }
    const pkg = at(payload, event);
    const type = str(at(pkg, 'package_type'))?.toLowerCase();
    if (type !== 'container' && type !== 'docker') {
      return { kind: 'ignore', reason: `package type "${type ?? ''}" is not a container image` };
    }
    const image = imageOf(pkg);
    return image
      ? { kind: 'refresh', repositories: [image] }
      : { kind: 'ignore', reason: 'no package named' };
  },
};
