/**
 * `pnpm bench [discovery|promotion|git|scale]`: runs Ferry's benchmarks (both when none is named), each against a
 * baseline measured in the same run, and prints Markdown tables. Figures only; nothing is asserted.
 */
import { availableParallelism, cpus } from 'node:os';
import { discoveryTable, runDiscoveryBench } from './discovery.ts';

/** The benchmarks by the name `pnpm bench NAME` takes. */
export const BENCHMARKS = ['discovery', 'promotion', 'git', 'scale'] as const;
/** One of {@link BENCHMARKS}. */
export type BenchmarkName = (typeof BENCHMARKS)[number];

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((a) => !(BENCHMARKS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    process.stderr.write(
      `error: unknown benchmark "${unknown[0]}"; run "pnpm bench" for all, or name one of: ${BENCHMARKS.join(', ')}\n`,
    );
    return 2;
  }
  const chosen = args.length > 0 ? (args as BenchmarkName[]) : [...BENCHMARKS];
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
