import { RegistryConfigError } from './errors.ts';
import { canonicalRegistryHost } from './reference.ts';

/** A username and password (or access token used as password) for one registry. */
export interface RegistryCredentials {
  /** Username; for token-as-password registries often a fixed name such as `oauth2accesstoken`. */
  username: string;
  /** Password or access token. Never logged, never put in an error message. */
  password: string;
}

/**
 * Looks up credentials for a registry host (`docker.io`, `ghcr.io`, `127.0.0.1:5000`), returning undefined
 * for anonymous access.
 */
export type CredentialsProvider = (registryHost: string) => RegistryCredentials | undefined;

/**
 * Builds a {@link CredentialsProvider} from a parsed Docker `config.json`. Each `auths` entry holds either
 * `auth` (base64 of `user:password`) or `username` and `password`; keys may be hosts or URLs, and every
 * Docker Hub spelling (`https://index.docker.io/v1/`, `index.docker.io`, `registry-1.docker.io`) counts as
 * `docker.io`. Entries without credentials (left by credential helpers) are skipped; malformed ones throw a
 * {@link RegistryConfigError} that names the entry but not its content.
 */
export function credentialsFromDockerConfig(json: unknown): CredentialsProvider {
  if (!isRecord(json)) throw new RegistryConfigError('docker config: expected a JSON object');
  const auths = json.auths;
  if (auths !== undefined && !isRecord(auths)) {
    throw new RegistryConfigError('docker config: "auths" must be an object keyed by registry host');
  }
  const byHost = new Map<string, RegistryCredentials>();
  for (const [key, entry] of Object.entries(auths ?? {})) {
    const where = `docker config: auths[${JSON.stringify(key)}]`;
    const host = canonicalRegistryHost(key);
    if (host === undefined) throw new RegistryConfigError(`${where}: the key names no registry host`);
    if (!isRecord(entry)) throw new RegistryConfigError(`${where}: expected an object`);
    const credentials = readEntry(entry, where);
    if (credentials) byHost.set(host, credentials);
  }
  return (registryHost) => {
    const host = canonicalRegistryHost(registryHost);
    return host === undefined ? undefined : byHost.get(host);
  };
}

function readEntry(entry: Record<string, unknown>, where: string): RegistryCredentials | undefined {
  const { auth, username, password } = entry;
  if (typeof auth === 'string' && auth !== '') {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new RegistryConfigError(`${where}.auth: does not decode to "username:password"`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (username === undefined && password === undefined) return undefined;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string') {
    throw new RegistryConfigError(`${where}: "username" and "password" must both be strings`);
  }
  return { username, password };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
