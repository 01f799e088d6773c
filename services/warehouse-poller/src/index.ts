export type {
  DiscoverOptions,
  DiscoveryCache,
  DiscoveryResult,
  PlatformSpec,
  RegistryPort,
  TagMeta,
} from './discover.ts';
export { discoverWarehouse, NO_CACHE, nextHealth, parsePlatform } from './discover.ts';
export { DEFAULT_REGISTRY_RATE, redisDiscoveryCache, redisRateLimiter } from './redis-ports.ts';
export type { PollerOptions } from './service.ts';
export { startWarehousePoller } from './service.ts';
