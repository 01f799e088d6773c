/**
 * `pnpm bench [discovery|promotion|git|scale|discovery-scale|webhook] [--interval=20s]
 * [--poller-node-options="--max-old-space-size=96"]`: runs Ferry's benchmarks (the default set when none
 * is named), each against a baseline measured in the same run, and prints Markdown tables. Figures only;
 * nothing is asserted. The two options apply to `discovery-scale` only.
 */
import { availableParallelism, cpus } from 'node:os';
import { discoveryTable, runDiscoveryBench } from './discovery.ts';
import { takeBenchLock } from './lock.ts';

/** The benchmarks by the name `pnpm bench NAME` takes. */
export const BENCHMARKS = ['discovery', 'promotion', 'git', 'scale', 'discovery-scale', 'webhook'] as const;
/** One of {@link BENCHMARKS}. */
export type BenchmarkName = (typeof BENCHMARKS)[number];
/** What `pnpm bench` runs when no benchmark is named: `discovery-scale` (about 5 minutes) only on request. */
export const DEFAULT_BENCHMARKS: readonly BenchmarkName[] = [
  'discovery',
  'promotion',
  'git',
  'scale',
  'webhook',
];

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function main(argv: readonly string[]): Promise<number> {
  const args = argv.filter((a) => !a.startsWith('--'));
  let scaleOptions: Partial<import('./discovery-scale.ts').DiscoveryScaleOptions>;
  try {
    const { discoveryScaleArgs } = await import('./discovery-scale.ts');
    scaleOptions = discoveryScaleArgs(argv.filter((a) => a.startsWith('--')));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
  const unknown = args.filter((a) => !(BENCHMARKS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    process.stderr.write(
      `error: unknown benchmark "${unknown[0]}"; run "pnpm bench" for all, or name one of: ${BENCHMARKS.join(', ')}\n`,
    );
    return 2;
  }
  const chosen = args.length > 0 ? (args as BenchmarkName[]) : [...DEFAULT_BENCHMARKS];
  let release: () => void;
  try {
    release = takeBenchLock();
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    return await runChosen(chosen, scaleOptions);
  } finally {
    release();
  }
}

async function runChosen(
  chosen: readonly BenchmarkName[],
  scaleOptions: Partial<import('./discovery-scale.ts').DiscoveryScaleOptions>,
): Promise<number> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `# Ferry benchmarks, ${new Date().toISOString()}, Node ${process.version}, ${availableParallelism()} cores (${cpu})\n\n`,
  );
  for (const name of chosen) {
    const started = performance.now();
    if (name === 'discovery') {
      const rows = await runDiscoveryBench(log);
      process.stdout.write(
        `## Discovery cost (registry requests per discovery)\n\n${discoveryTable(rows)}\n\n`,
      );
    } else if (name === 'git') {
      const { runGitBench, gitTable } = await import('./git.ts');
      const result = await runGitBench(log);
      process.stdout.write(`## Git writes: 100 Promotions across 10 repositories\n\n${gitTable(result)}\n\n`);
    } else if (name === 'scale') {
      const { runScaleBench, scaleTables } = await import('./scale.ts');
      const result = await runScaleBench(log);
      process.stdout.write(
        `## Scale: 200 Promotions, one replica of each service vs three\n\n${scaleTables(result)}\n\n`,
      );
    } else if (name === 'discovery-scale') {
      const { runDiscoveryScaleBench, discoveryScaleTables, DISCOVERY_SCALE_DEFAULTS } = await import(
        './discovery-scale.ts'
      );
      const result = await runDiscoveryScaleBench(log, { ...DISCOVERY_SCALE_DEFAULTS, ...scaleOptions });
      process.stdout.write(
        `## Discovery at scale: ${result.warehouses} Warehouses on one warehouse-poller\n\n${discoveryScaleTables(result)}\n\n`,
      );
    } else if (name === 'webhook') {
      const { runWebhookBench, webhookTables } = await import('./webhook.ts');
      const result = await runWebhookBench(log);
      process.stdout.write(
        `## Registry push → Freight through the distribution webhook\n\n${webhookTables(result)}\n\n`,
      );
    } else {
      const { runPromotionBench, promotionTables } = await import('./promotion.ts');
      const result = await runPromotionBench(log);
      process.stdout.write(`## Promotion latency\n\n${promotionTables(result)}\n\n`);
    }
    log(`${name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
