import { posix } from 'node:path';
import type { PromotionWorkspace } from '@ferry/contracts';

/**
 * Normalises a step path inside the Promotion's work tree (`./repo-0/apps/dev`), refusing
 * absolute paths and paths that climb out of the work tree.
 */
export function workPath(p: string, field: string): string {
  if (posix.isAbsolute(p)) throw new Error(`${field}: "${p}" must be relative to the Promotion's work tree`);
  const n = posix.normalize(p).replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../')) throw new Error(`${field}: "${p}" leaves the Promotion's work tree`);
  return n === '' ? '.' : n;
}

/** Finds the checkout that holds a work-tree path and the path relative to that repository. */
export function locate(
  ws: PromotionWorkspace,
  p: string,
  field: string,
): { checkout: PromotionWorkspace['checkouts'][number]; repoPath: string } {
  const n = workPath(p, field);
  let best: PromotionWorkspace['checkouts'][number] | undefined;
  for (const c of ws.checkouts) {
    if ((n === c.path || n.startsWith(`${c.path}/`)) && (!best || c.path.length > best.path.length)) best = c;
  }
  if (!best) {
    const known = ws.checkouts.map((c) => c.path).join(', ') || 'none';
    throw new Error(
      `${field}: "${p}" is not inside a checkout of an earlier git-clone step (checkouts: ${known})`,
    );
  }
  const rest = n === best.path ? '.' : n.slice(best.path.length + 1);
  return { checkout: best, repoPath: rest };
}
