export type {
  DiscoverOptions,
  DiscoveryCache,
  DiscoveryResult,
  PlatformSpec,
  RegistryPort,
  TagMeta,
} from './discover.ts';
export { discoverWarehouse, NO_CACHE, nextHealth, parsePlatform } from './discover.ts';
export type {
  ChartCredentials,
  ChartCredentialsLookup,
  ChartDiscoverer,
  HelmDiscovererOptions,
  HelmIndexMemo,
  HelmIndexMemoCache,
  IndexFetchEvent,
} from './helm.ts';
export {
  HelmDiscoveryError,
  HelmDiscoveryErrorCodes,
  helmDiscoverer,
  indexURL,
  memoryHelmMemo,
  selectChartVersions,
} from './helm.ts';
export {
  DEFAULT_REGISTRY_RATE,
  redisDiscoveryCache,
  redisHelmMemo,
  redisRateLimiter,
} from './redis-ports.ts';
export type { PollerOptions } from './service.ts';
export { startWarehousePoller } from './service.ts';
