import { at, type Provider, str } from './types.ts';

/**
 * Quay.io signs nothing: the secret is part of the receiver's URL. A "Push to Repository" notification
 * names the repository in `docker_url` (`quay.io/acme/app`).
 */
export const quay: Provider = {
  name: 'quay',
  secretKey: 'secret',
  authenticate: () => true,
  extract(_req, payload) {
    const url = str(at(payload, 'docker_url'));
    return url
      ? { kind: 'refresh', repositories: [url] }
      : { kind: 'ignore', reason: 'no docker_url in the payload' };
  },
};
