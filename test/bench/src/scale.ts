/**
 * The scale benchmark: the scale test's workload (one GitOps repository, 20 Stages, Freight promoted
 * to all of them in order) at 200 Promotions, once with one process per service and once with three
 * of every service but the api. Prints throughput, latency, commits and each replica's share.
 */
import { replicaKeys, runScale, type ScaleResult, SPREAD_SERVICES } from '../../e2e/src/scale.ts';
import { ms, summarize, table } from './report.ts';

/** The Redis database the scale benchmark's Ferry owns; flushed before each run. */
export const SCALE_REDIS_DB = 10;
/** Stages in the pipeline. */
export const SCALE_STAGES = 20;
/** Freight per Stage, so 200 Promotions. */
export const SCALE_FREIGHT = 10;
/** The replica counts compared. */
export const SCALE_REPLICAS = [1, 3] as const;

/** One run per replica count. */
export type ScaleBench = { replicas: number; result: ScaleResult }[];

/** Runs the workload once per entry of {@link SCALE_REPLICAS}. */
export async function runScaleBench(log: (line: string) => void): Promise<ScaleBench> {
  const out: ScaleBench = [];
  for (const replicas of SCALE_REPLICAS) {
    log(`scale: ${SCALE_STAGES * SCALE_FREIGHT} Promotions with ${replicas} replica(s)`);
    const result = await runScale({
      replicas,
      stages: SCALE_STAGES,
      freight: SCALE_FREIGHT,
      redisDb: SCALE_REDIS_DB,
      log,
    });
    out.push({ replicas, result });
  }
  return out;
}

/** Throughput and latency per run, then each replica's share of the messages its service handled. */
export function scaleTables(bench: ScaleBench): string {
  const summary = table(
    ['Replicas', 'Promotions', 'Succeeded', 'Promotions/s', 'p50 ms', 'p90 ms', 'Commits', 'Wall s'],
    bench.map(({ replicas, result: r }) => {
      const lat = summarize(r.promotions.map((p) => p.latencyMs).filter((v) => Number.isFinite(v)));
      return [
        String(replicas),
        String(r.promotions.length),
        String(r.promotions.filter((p) => p.phase === 'Succeeded').length),
        (r.promotions.length / (r.wallMs / 1000)).toFixed(2),
        ms(lat.p50),
        ms(lat.p90),
        String(r.commits),
        (r.wallMs / 1000).toFixed(1),
      ];
    }),
  );
  const rows: string[][] = [];
  for (const { replicas, result } of bench) {
    for (const service of SPREAD_SERVICES) {
      const keys = replicaKeys(service, replicas);
      const total = keys.reduce((a, k) => a + (result.handled.get(k) ?? 0), 0);
      const shares = keys.map(
        (k) => `${total ? Math.round((100 * (result.handled.get(k) ?? 0)) / total) : 0}%`,
      );
      rows.push([String(replicas), service, String(total), shares.join(' / ')]);
    }
  }
  const shares = table(['Replicas', 'Service', 'Messages', 'Share per replica'], rows);
  return `${summary}\n\n${shares}`;
}
