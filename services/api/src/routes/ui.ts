import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { FerryError } from '@ferry/contracts';
import { WEB_BUILD_COMMAND, webDistDir } from '@ferry/web';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** Options of {@link uiRoutes}. */
export interface UiRoutesOptions {
  /** The built UI; defaults to `packages/web/dist` (`@ferry/web`'s `webDistDir`). */
  distDir?: string;
}

/** Content types of the files a Vite build writes. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Asset names carry a content hash, so a browser may keep them for good. */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** index.html names the current assets, so it is revalidated on every load. */
export const INDEX_CACHE_CONTROL = 'no-cache';

const notBuilt = (distDir: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ferry: UI not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>Ferry's web UI is not built</h1>
<p>The api serves the UI from <code>${distDir}</code>, which has no <code>index.html</code>.
Build it with <code>${WEB_BUILD_COMMAND}</code> (<code>bash scripts/setup.sh</code> does this), then reload.</p>
<p>The REST API works without it: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>
`;

/**
 * Serves the built web UI: `/` and every `/ui/*` deep link answer `index.html` (the UI routes in the
 * browser), `/assets/*` the hashed bundles. When the UI was never built, pages answer 503 with a page
 * that says how to build it.
 */
export const uiRoutes: FastifyPluginAsync<UiRoutesOptions> = async (app, opts) => {
  const dist = resolve(opts.distDir ?? webDistDir);
  const assets = join(dist, 'assets');

  const index = async (reply: FastifyReply) => {
    const html = await readFile(join(dist, 'index.html')).catch(() => undefined);
    if (!html) {
      return reply
        .status(503)
        .header('content-type', CONTENT_TYPES['.html']!)
        .header('cache-control', 'no-store')
        .send(notBuilt(dist));
    }
    return reply
      .header('content-type', CONTENT_TYPES['.html']!)
      .header('cache-control', INDEX_CACHE_CONTROL)
      .header('x-content-type-options', 'nosniff')
      .send(html);
  };

  const hide = { schema: { hide: true } };
  app.get('/', hide, async (_req, reply) => index(reply));
  app.get('/ui', hide, async (_req, reply) => index(reply));
  app.get('/ui/*', hide, async (_req, reply) => index(reply));
  app.get<{ Params: { '*': string } }>('/assets/*', hide, async (req, reply) => {
    const file = resolve(assets, req.params['*']);
    // A path that climbs out of the assets directory is simply not an asset.
    const body = file.startsWith(assets + sep) ? await readFile(file).catch(() => undefined) : undefined;
    if (!body) {
      throw new FerryError(
        'FERRY_ERR_NOT_FOUND',
        `no UI asset "${req.params['*']}": reload the page; after an upgrade, rebuild with ${WEB_BUILD_COMMAND}`,
      );
    }
    return reply
      .header('content-type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream')
      .header('cache-control', ASSET_CACHE_CONTROL)
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
};
