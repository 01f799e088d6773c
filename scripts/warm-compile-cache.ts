/**
 * `node scripts/warm-compile-cache.ts [--bundled]`: fills Node's compile cache (`NODE_COMPILE_CACHE`,
 * else `.ferry/compile-cache`) for every service, from source (their next starts strip no
 * TypeScript) or, with `--bundled`, for the bundles of `pnpm build`. The container image runs it at
 * build time as the user the services run as (see deploy/Dockerfile).
 */
import { COMPILE_CACHE_DIR, SERVICES, warmCompileCache } from '@ferry/launcher';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--bundled');
if (unknown.length) {
  process.stderr.write(`error: unknown argument ${unknown[0]}; usage: warm-compile-cache.ts [--bundled]\n`);
  process.exit(2);
}
const build = args.includes('--bundled') ? 'bundle' : 'source';
const dir = process.env.NODE_COMPILE_CACHE || COMPILE_CACHE_DIR;
try {
  warmCompileCache(SERVICES, dir, build);
  process.stdout.write(`compile cache for ${SERVICES.length} services (${build}) in ${dir}\n`);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
}
