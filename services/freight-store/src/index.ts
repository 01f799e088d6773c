export { freightFromDiscovery } from './core.ts';
export { startFreightStore } from './service.ts';
