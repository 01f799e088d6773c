/**
 * `pnpm start`: runs Ferry's six services on this machine, each as its own process, after
 * making sure NATS and Redis answer (starting local ones when they are installed).
 */
import {
  apiPortFor,
  bundledFromEnv,
  ensureServers,
  replicaCount,
  replicasFromEnv,
  startFleet,
} from '@ferry/launcher';

try {
  await ensureServers(process.env, (l) => console.log(`[ferry] ${l}`));
} catch (err) {
  console.error(`[ferry] ${(err as Error).message}`);
  process.exit(1);
}
let replicas: ReturnType<typeof replicasFromEnv>;
let bundled: boolean;
try {
  replicas = replicasFromEnv(process.env);
  bundled = bundledFromEnv(process.env);
} catch (err) {
  console.error(`[ferry] ${(err as Error).message}`);
  process.exit(2);
}
let fleet: ReturnType<typeof startFleet>;
try {
  fleet = startFleet({
    env: process.env,
    replicas,
    bundled,
    onLine: (service, line) => process.stdout.write(`[${service.padEnd(16)}] ${line}\n`),
  });
} catch (err) {
  console.error(`[ferry] ${(err as Error).message}`);
  process.exit(2);
}
for (const [name, child] of fleet.processes) {
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`[ferry] ${name} exited (${signal ?? code}); stopping the rest`);
    void shutdown();
  });
}
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await fleet.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
const apiUrls = Array.from(
  { length: replicaCount('api', replicas) },
  (_, n) => `http://${process.env.FERRY_API_HOST ?? '127.0.0.1'}:${apiPortFor(process.env, n)}`,
);
console.log(`[ferry] started; API on ${apiUrls.join(', ')}`);
