export type {
  FetchLike,
  ImageInfo,
  ImagePlatform,
  ManifestResult,
  RegistryCallOptions,
  RegistryClientOptions,
  RegistryRequestEvent,
  RegistrySpanHook,
  RegistryStats,
  RequestLimiter,
  TagResolution,
  ThrottlingStats,
} from './client.ts';
export { RegistryClient } from './client.ts';
export type { CredentialsProvider, RegistryCredentials } from './docker-config.ts';
export { credentialsFromDockerConfig } from './docker-config.ts';
export type { RegistryErrorDetail, RegistryErrorInit } from './errors.ts';
export {
  InvalidImageRepoError,
  RegistryAuthError,
  RegistryBadResponseError,
  RegistryConfigError,
  RegistryError,
  RegistryErrorCode,
  RegistryNotFoundError,
  RegistryRateLimitedError,
  RegistryTlsError,
  RegistryUnreachableError,
} from './errors.ts';
export type { AuthChallenge } from './headers.ts';
export { parseLinkNext, parseRetryAfter, parseWwwAuthenticate } from './headers.ts';
export { isIndexMediaType, MANIFEST_ACCEPT, ManifestMediaType } from './media-types.ts';
export type { ImageRepo } from './reference.ts';
export {
  canonicalRegistryHost,
  DOCKER_HUB,
  DOCKER_HUB_API_HOST,
  parseImageRepo,
  usesPlainHttp,
} from './reference.ts';
export type { FetchDispatcher } from './tls.ts';
export {
  CERTIFICATE_ADVICE,
  certificateErrorCode,
  certificateErrorReason,
  insecureTlsDispatcher,
} from './tls.ts';
