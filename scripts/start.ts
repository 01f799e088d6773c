/**
 * `pnpm start`: runs Ferry's six services on this machine, each as its own process, after
 * making sure NATS and Redis answer (starting local ones when they are installed).
 */
import { ensureServers, startFleet } from '@ferry/launcher';

try {
  await ensureServers(process.env, (l) => console.log(`[ferry] ${l}`));
} catch (err) {
  console.error(`[ferry] ${(err as Error).message}`);
  process.exit(1);
}
const fleet = startFleet({
  env: process.env,
  onLine: (service, line) => process.stdout.write(`[${service.padEnd(16)}] ${line}\n`),
});
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
console.log(
  `[ferry] started; API on http://${process.env.FERRY_API_HOST ?? '127.0.0.1'}:${process.env.FERRY_API_PORT ?? 8080}`,
);
