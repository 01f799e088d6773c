export type { TestBrowser } from './browser.ts';
export { CHROMIUM_ARGS, CHROMIUM_PATH, ensureWebBuilt, launchChromium } from './browser.ts';
