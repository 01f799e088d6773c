import { InvalidImageRepoError } from './errors.ts';

/** A parsed, normalised image repository (no tag, no digest). */
export interface ImageRepo {
  /** Registry host as users write it, lowercase, with port when given: `docker.io`, `ghcr.io`, `localhost:5000`. */
  registry: string;
  /** Repository path within the registry: `library/nginx`, `team/app`. */
  repository: string;
  /** `registry/repository`, the one spelling used as a key: `docker.io/library/nginx`. */
  canonical: string;
  /** Host the HTTP API is served on: `registry-1.docker.io` for Docker Hub, else `registry`. */
  apiHost: string;
}

/** Docker Hub's name in image references. */
export const DOCKER_HUB = 'docker.io';
/** The host that serves Docker Hub's registry API. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set([
  DOCKER_HUB,
  'index.docker.io',
  DOCKER_HUB_API_HOST,
  'registry.hub.docker.com',
]);

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_NAME =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;
const IPV6_LITERAL = /^\[[0-9a-fA-F:.]+\]$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/**
 * Parses an image repository URL as Warehouse subscriptions write it (`nginx`, `team/app`,
 * `ghcr.io/org/app`, `localhost:5000/app`) and normalises it the way Docker does: no registry means
 * Docker Hub, and a one-component Docker Hub name lives under `library/`. Tags, digests and URL schemes are
 * rejected, because a subscription names a repository, not an image.
 */
export function parseImageRepo(repoURL: unknown): ImageRepo {
  if (typeof repoURL !== 'string') {
    throw new InvalidImageRepoError(`invalid image repository (${typeof repoURL}): expected a string`);
  }
  const bad = (what: string): InvalidImageRepoError =>
    new InvalidImageRepoError(`invalid image repository ${JSON.stringify(repoURL)}: ${what}`);
  if (repoURL === '') throw bad('it is empty');
  if (/\s/.test(repoURL)) throw bad('it contains whitespace');
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(repoURL)) {
    throw bad('it must not start with a URL scheme; write host/path, e.g. ghcr.io/org/app');
  }
  if (repoURL.includes('@')) throw bad('it must not include a digest; name the repository only');

  const parts = repoURL.split('/');
  const first = parts[0]!;
  const hasDomain =
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['));
  let registry = DOCKER_HUB;
  if (hasDomain) {
    registry = normaliseRegistryHost(first, bad);
    parts.shift();
  }
  for (const part of parts) {
    if (part === '') throw bad('it has an empty path component (leading, trailing or double slash)');
    if (part.includes(':')) throw bad('it must not include a tag; name the repository only');
    if (part !== part.toLowerCase()) throw bad('the repository path must be lowercase');
    if (!PATH_COMPONENT.test(part)) {
      throw bad(
        `path component ${JSON.stringify(part)} may only hold a-z, 0-9 and single '.', '_', '__' or '-' separators`,
      );
    }
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (repository.length > 255) throw bad('the repository path is longer than 255 characters');
  return {
    registry,
    repository,
    canonical: `${registry}/${repository}`,
    apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry,
  };
}

/** Throws unless `tag` is a valid tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`). */
export function assertTag(tag: string, repo: ImageRepo): void {
  if (!TAG.test(tag)) {
    throw new InvalidImageRepoError(
      `invalid tag ${JSON.stringify(tag)} for repository "${repo.repository}" on registry ${repo.registry}: ` +
        'a tag is 1-128 of A-Z, a-z, 0-9, _, . and -, not starting with . or -',
      { registry: repo.registry, repository: repo.repository },
    );
  }
}

/** Whether `reference` is a digest (`algorithm:hex`) rather than a tag. */
export function isDigest(reference: string): boolean {
  return DIGEST.test(reference);
}

/** Throws unless `reference` is a valid tag or digest. */
export function assertReference(reference: string, repo: ImageRepo): void {
  if (!isDigest(reference)) assertTag(reference, repo);
}

/**
 * Whether the registry API host is spoken to over plain HTTP: loopback hosts (127.0.0.0/8, ::1,
 * localhost), as Docker does, and hosts listed in `insecureRegistries` (an entry without a port matches
 * every port of that host).
 */
export function usesPlainHttp(apiHost: string, insecureRegistries: readonly string[] = []): boolean {
  const { hostname } = splitHostPort(apiHost);
  if (hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname)) return true;
  const host = apiHost.toLowerCase();
  return insecureRegistries.some((entry) => {
    const normalised = entry
      .trim()
      .toLowerCase()
      .replace(/^[a-z]+:\/\//, '')
      .replace(/\/.*$/, '');
    return normalised === host || normalised === hostname;
  });
}

/**
 * Normalises a registry host as written in a reference or a Docker config key: lowercase, scheme and
 * path dropped, every Docker Hub alias (`index.docker.io`, `https://index.docker.io/v1/`...) mapped to
 * `docker.io`. Returns undefined when no host can be read.
 */
export function canonicalRegistryHost(value: string): string | undefined {
  const host = value
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/.*$/, '');
  if (host === '') return undefined;
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

function normaliseRegistryHost(value: string, bad: (what: string) => InvalidImageRepoError): string {
  const { hostname, port } = splitHostPort(value);
  if (!(DOMAIN_NAME.test(hostname) || IPV6_LITERAL.test(hostname))) {
    throw bad(`registry host ${JSON.stringify(value)} is not a valid host name`);
  }
  if (port !== undefined) {
    const n = Number(port);
    if (!/^\d{1,5}$/.test(port) || n < 1 || n > 65535) {
      throw bad(`registry port ${JSON.stringify(port)} is not a number from 1 to 65535`);
    }
  }
  const host = value.toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

function splitHostPort(value: string): { hostname: string; port: string | undefined } {
  const lower = value.toLowerCase();
  if (lower.startsWith('[')) {
    const close = lower.indexOf(']');
    if (close < 0) return { hostname: lower, port: undefined };
    const rest = lower.slice(close + 1);
    return { hostname: lower.slice(0, close + 1), port: rest.startsWith(':') ? rest.slice(1) : undefined };
  }
  const colon = lower.lastIndexOf(':');
  return colon < 0
    ? { hostname: lower, port: undefined }
    : { hostname: lower.slice(0, colon), port: lower.slice(colon + 1) };
}
