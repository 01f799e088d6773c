import { at, type Provider, refreshOrIgnore, registryPush, str } from './types.ts';

/**
 * Docker Hub signs nothing: the secret is part of the receiver's URL, so the path lookup is the check.
 * `repository.repo_name` names the repository (`acme/app`; official images as `library/nginx`).
 */
export const dockerhub: Provider = {
  name: 'dockerhub',
  secretKey: 'secret',
  authenticate: () => true,
  extract(_req, payload) {
    const name = str(at(payload, 'repository', 'repo_name'));
    return refreshOrIgnore(
      registryPush(name ? [`docker.io/${name}`] : []),
      'no repository.repo_name in the payload',
    );
  },
};
