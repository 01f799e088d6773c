export type { DiscoveryResult, RegistryPort } from './discover.ts';
export { discoverWarehouse } from './discover.ts';
export type { PollerOptions } from './service.ts';
export { startWarehousePoller } from './service.ts';
