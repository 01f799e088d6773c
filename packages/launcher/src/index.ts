export type { Fleet, FleetOptions, ServiceName } from './launcher.ts';
export {
  DEFAULT_OPS_PORT_BASE,
  ensureServers,
  opsPortFor,
  portOpen,
  ROOT,
  replicaCount,
  SERVICES,
  serviceEnv,
  startFleet,
} from './launcher.ts';
