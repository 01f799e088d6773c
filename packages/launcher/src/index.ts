export type { Fleet, FleetOptions, ServiceName } from './launcher.ts';
export { ensureServers, portOpen, ROOT, SERVICES, startFleet } from './launcher.ts';
