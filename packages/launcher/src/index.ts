export type { Fleet, FleetOptions, ServiceName } from './launcher.ts';
export {
  apiPortFor,
  DEFAULT_API_PORT,
  DEFAULT_OPS_PORT_BASE,
  ensureServers,
  opsPortFor,
  portOpen,
  ROOT,
  replicaCount,
  replicasFromEnv,
  SERVICES,
  serviceEnv,
  startFleet,
} from './launcher.ts';
