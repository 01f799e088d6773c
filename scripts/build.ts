/**
 * `pnpm build`: bundles every service into `dist/services/<service>.mjs` (see
 * packages/launcher/src/build.ts), what the container image and `FERRY_BUNDLED=1` run.
 */
import { relative } from 'node:path';
import { ROOT } from '@ferry/launcher';
import { buildServices } from '@ferry/launcher/build';

const started = performance.now();
try {
  const built = await buildServices();
  for (const b of built) {
    process.stdout.write(`${relative(ROOT, b.file)}  ${(b.bytes / 1024 / 1024).toFixed(2)} MB\n`);
  }
  process.stdout.write(`bundled ${built.length} services in ${Math.round(performance.now() - started)} ms\n`);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
}
