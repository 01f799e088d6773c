/**
 * Helpers of the UI's browser tests: Debian's Chromium driven by playwright-core (no browser is ever
 * downloaded), and a build of the UI when the one on disk is missing or older than its source.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { webDistDir } from '@ferry/web';
import { type BrowserContext, chromium } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags that keep Chromium quiet, offline and working as root in a container. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
] as const;

/** A running browser with a profile of its own; `close` removes the profile. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Starts Chromium with a fresh user-data-dir. */
export async function launchChromium(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no browser at ${CHROMIUM_PATH}: install Debian's chromium (bash scripts/setup.sh does)`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'ferry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

const webRoot = dirname(webDistDir);

/** Builds the UI (`vite build`) unless `dist/index.html` is newer than every source file. */
export function ensureWebBuilt(): void {
  const index = join(webDistDir, 'index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = globSync(['app/**/*', 'src/**/*.ts', 'vite.config.ts'], { cwd: webRoot });
  if (built && sources.every((f) => statSync(join(webRoot, f)).mtimeMs <= built)) return;
  const vite = join(
    dirname(createRequire(join(webRoot, 'package.json')).resolve('vite/package.json')),
    'bin',
    'vite.js',
  );
  const res = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'error'], {
    cwd: webRoot,
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`vite build of the UI failed:\n${res.stdout}${res.stderr}`);
}
