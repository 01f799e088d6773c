/**
 * `@ferry/web` on the server side: where the built UI lives, so the api can serve it. The UI's
 * source is under `app/` and is built with `pnpm --filter @ferry/web build` (scripts/setup.sh runs it).
 */
import { fileURLToPath } from 'node:url';

// Set by the services' bundled build (packages/launcher/src/build.ts) to the UI's path relative to
// the bundle; undefined when this module runs from source.
declare const __FERRY_WEB_DIST__: string | undefined;

/** Absolute path of the built UI (`packages/web/dist`); it holds `index.html` once built. */
export const webDistDir: string = fileURLToPath(
  new URL(typeof __FERRY_WEB_DIST__ === 'string' ? __FERRY_WEB_DIST__ : '../dist/', import.meta.url),
);

/** The command that builds the UI, for messages that tell people what to run. */
export const WEB_BUILD_COMMAND = 'pnpm --filter @ferry/web build';
