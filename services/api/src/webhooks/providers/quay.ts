import { at, type Provider, refreshOrIgnore, registryPush, str } from './types.ts';

/**
 * Quay.io signs nothing: the secret is part of the receiver's URL. A "Push to Repository" notification
 * names the repository in `docker_url` (`quay.io/acme/app`): an image or an OCI Helm chart.
 */
export const quay: Provider = {
  name: 'quay',
  secretKey: 'secret',
  authenticate: () => true,
  extract(_req, payload) {
    const url = str(at(payload, 'docker_url'));
    return refreshOrIgnore(registryPush(url ? [url] : []), 'no docker_url in the payload');
  },
};
