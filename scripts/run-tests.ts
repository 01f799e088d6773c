/**
 * Runs one tier of tests with Node's test runner:
 *   unit  `*.test.ts` (pure, fast; no servers)
 *   int   `*.int.test.ts` (real NATS, Redis, git, registry)
 *   e2e   `test/e2e/**\/*.e2e.test.ts` (the whole chain, as separate processes)
 * Each tier prints the runner's summary; the exit code is the runner's.
 */
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const tier = process.argv[2];
const roots = ['packages/*/src/**/', 'services/*/src/**/', 'test/*/src/**/'];
let files: string[];
switch (tier) {
  case 'unit':
    files = roots.flatMap((r) => globSync(`${r}*.test.ts`)).filter((f) => !/\.(int|e2e)\.test\.ts$/.test(f));
    break;
  case 'int':
    files = roots.flatMap((r) => globSync(`${r}*.int.test.ts`));
    break;
  case 'e2e':
    files = globSync('test/e2e/**/*.e2e.test.ts');
    break;
  default:
    console.error('usage: node scripts/run-tests.ts unit|int|e2e');
    process.exit(2);
}
files = [...new Set(files)].filter((f) => !f.includes('node_modules')).sort();
if (files.length === 0) {
  console.error(`no ${tier} tests found`);
  process.exit(1);
}
const concurrency = tier === 'unit' ? '4' : '1';
const res = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(res.status ?? 1);
