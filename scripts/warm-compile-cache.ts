/**
 * `node scripts/warm-compile-cache.ts`: fills Node's compile cache (`NODE_COMPILE_CACHE`, else
 * `.ferry/compile-cache`) for every service, so that their next starts strip no TypeScript. The
 * container image runs it at build time as the user the services run as (see deploy/Dockerfile).
 */
import { COMPILE_CACHE_DIR, SERVICES, warmCompileCache } from '@ferry/launcher';

const dir = process.env.NODE_COMPILE_CACHE || COMPILE_CACHE_DIR;
try {
  warmCompileCache(SERVICES, dir);
  process.stdout.write(`compile cache for ${SERVICES.length} services in ${dir}\n`);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
}
