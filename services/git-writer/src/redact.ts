/**
 * Credentials may ride in repository URLs (`https://user:token@host/repo`); they never go
 * into logs, messages, facts, span attributes or Redis keys.
 */

const USERINFO_AT_START = /^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i;
const USERINFO_ANYWHERE = /\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"]+@/gi;

/** The URL without its user-info part, e.g. `https://git.example.com/org/repo.git`. */
export function redactURL(url: string): string {
  return url.replace(USERINFO_AT_START, '$1');
}

/** A text (typically git's stderr) with every URL's user-info replaced by `***`. */
export function redactText(text: string): string {
  return text.replace(USERINFO_ANYWHERE, '$1***@');
}
