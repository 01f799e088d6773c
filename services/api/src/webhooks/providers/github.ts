import { at, hmacMatches, type Provider, refreshOrIgnore, registryPush, str } from './types.ts';

/** The URL fields of a push payload's `repository`, each one form of the pushed repository's URL. */
const REPO_URL_FIELDS = ['clone_url', 'html_url', 'ssh_url', 'git_url'] as const;

/** The name of an image from a package payload: its `package_url` (tag dropped later), else ghcr.io/<owner>/<name>. */
function imageOf(pkg: unknown): string | undefined {
  // GitHub has been seen to send `ghcr.io/acme/app:` (a colon and no tag); the colon would not parse.
  const url = str(at(pkg, 'package_version', 'package_url'))?.replace(/:$/, '');
  if (url) return url;
  const owner = str(at(pkg, 'namespace')) ?? str(at(pkg, 'owner', 'login'));
  const name = str(at(pkg, 'name'));
  return owner && name ? `ghcr.io/${owner}/${name}` : undefined;
}

/**
 * GitHub: `X-Hub-Signature-256` is the HMAC-SHA256 of the body with the Secret's `secret`.
 * `push` names the git repository (`repository.clone_url`, `html_url`, `ssh_url`, `git_url`);
 * `package` and `registry_package` events (a container version published or updated) name a ghcr.io
 * repository, an image or an OCI Helm chart by its config media type; `ping` refreshes nothing.
 */
export const github: Provider = {
  name: 'github',
  secretKey: 'secret',
  authenticate: (req, secret) => hmacMatches(req.body, secret, req.headers['x-hub-signature-256']),
  extract(req, payload) {
    const event = req.headers['x-github-event'];
    if (event === 'ping') return { kind: 'ignore', reason: 'pong' };
    if (event === 'push') {
      const urls = REPO_URL_FIELDS.flatMap((f) => str(at(payload, 'repository', f)) ?? []);
      return refreshOrIgnore({ git: urls }, 'no repository URL in the push payload');
    }
    if (event !== 'package' && event !== 'registry_package') {
      return { kind: 'ignore', reason: `event "${event ?? ''}" is not handled` };
    }
    const action = str(at(payload, 'action')) ?? '';
    if (action !== 'published' && action !== 'updated') {
      return { kind: 'ignore', reason: `package action "${action}" is not a publication` };
    }
    const pkg = at(payload, event);
    const type = str(at(pkg, 'package_type'))?.toLowerCase();
    if (type !== 'container' && type !== 'docker') {
      return { kind: 'ignore', reason: `package type "${type ?? ''}" is not a container image` };
    }
    const image = imageOf(pkg);
    const mediaType = str(
      at(pkg, 'package_version', 'container_metadata', 'manifest', 'config', 'media_type'),
    );
    return refreshOrIgnore(registryPush(image ? [image] : [], mediaType), 'no package named');
  },
};
