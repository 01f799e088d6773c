/**
 * The bundled build of the services: each service's `main.ts` and everything it imports (workspace
 * packages and npm dependencies) as one minified ES module, `dist/services/<service>.mjs`, with a
 * linked source map beside it. The container image and the Kubernetes Deployments run these; the
 * launcher runs them when asked (`bundled: true`, `FERRY_BUNDLED=1`), and from the TypeScript
 * sources otherwise.
 *
 * Why: a service run from source loads a few hundred modules, and V8 keeps each one's source text
 * and compiled code; one minified file is about a third of that text, and Node never needs its
 * TypeScript stripper. warehouse-poller at rest is 80 MB resident bundled against 99 MB from source
 * (docs/benchmarks.md, discovery at scale).
 */
import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_DIR, ROOT, SERVICES, type ServiceName } from './launcher.ts';

/** The bundle of one service in `dir`; the launcher's `serviceScript(service, 'bundle')` for BUNDLE_DIR. */
const bundlePath = (service: ServiceName, dir: string): string => join(dir, `${service}.mjs`);

/** One bundle written by {@link buildServices}. */
export interface BuiltService {
  service: ServiceName;
  /** Absolute path of the bundle. */
  file: string;
  /** Its size in bytes (the source map not counted). */
  bytes: number;
}

/**
 * Bundles `services` into `outDir` (one esbuild run for all of them, about a second). Names are
 * kept (`keepNames`), so stack traces and logged error classes read as in the source; set
 * `NODE_OPTIONS=--enable-source-maps` to get the source files and lines as well. Throws with
 * esbuild's messages when a service does not bundle.
 */
export async function buildServices(
  services: readonly ServiceName[] = SERVICES,
  outDir = BUNDLE_DIR,
): Promise<BuiltService[]> {
  const entryPoints = Object.fromEntries(
    services.map((s) => [s, join(ROOT, 'services', s, 'src', 'main.ts')] as const),
  );
  await build({
    entryPoints,
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'silent',
    // npm packages written as CommonJS call require() for Node's built-ins; an ES module has none.
    banner: {
      js: "import { createRequire as __ferryCreateRequire } from 'node:module'; const require = __ferryCreateRequire(import.meta.url);",
    },
    // Where the api finds the built UI, relative to the bundle (see @ferry/web's webDistDir).
    define: {
      __FERRY_WEB_DIST__: JSON.stringify(`${relative(outDir, join(ROOT, 'packages', 'web', 'dist'))}/`),
    },
  }).catch((err: Error & { errors?: Array<{ text: string; location?: { file: string; line: number } }> }) => {
    const details = (err.errors ?? [])
      .slice(0, 10)
      .map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`)
      .join('\n');
    throw new Error(`bundling the services failed:\n${details || err.message}`);
  });
  return services.map((service) => {
    const file = bundlePath(service, outDir);
    return { service, file, bytes: statSync(file).size };
  });
}
