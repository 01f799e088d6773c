export type { Fleet, FleetOptions, ServiceName, ServiceRuntime } from './launcher.ts';
export {
  apiPortFor,
  COMPILE_CACHE_DIR,
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
  serviceRuntime,
  startFleet,
  warmCompileCache,
} from './launcher.ts';
