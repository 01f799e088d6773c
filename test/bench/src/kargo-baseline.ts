import type { ImageSubscription } from '@ferry/contracts';
import { selectImageTags } from '@ferry/kargo';
import { MANIFEST_ACCEPT } from '@ferry/support';

/** What one baseline discovery found. */
export interface BaselineResult {
  /** The tag it would put in Freight. */
  tag: string;
  /** What that tag resolved to. */
  digest: string;
}

/**
 * The discovery Kargo does on every poll, without any cache, written directly with `fetch` so its
 * registry requests can be counted beside Ferry's: list the tags, then one manifest GET per candidate
 * (up to `discoveryLimit`); for NewestBuild, a manifest GET and a config blob GET for every eligible
 * tag, since the build time lives in the config. Requests run `concurrency` at a time, as Ferry's do.
 */
export async function kargoDiscover(
  registryUrl: string,
  repo: string,
  sub: ImageSubscription,
  concurrency = 8,
): Promise<BaselineResult | undefined> {
  const listed = await getJson<{ tags: string[] | null }>(`${registryUrl}/v2/${repo}/tags/list`);
  const tags = listed.tags ?? [];
  if (sub.imageSelectionStrategy === 'NewestBuild') {
    const eligible = selectImageTags(tags, { ...sub, imageSelectionStrategy: 'Lexical', discoveryLimit: 0 });
    const images = new Map<string, { digest: string; created?: string }>();
    await eachLimited(eligible, concurrency, async (tag) => {
      const m = await getManifest(registryUrl, repo, tag);
      const config = await getJson<{ created?: string }>(`${registryUrl}/v2/${repo}/blobs/${m.configDigest}`);
      images.set(tag, { digest: m.digest, ...(config.created ? { created: config.created } : {}) });
    });
    const created = new Map<string, string>();
    for (const [tag, image] of images) if (image.created) created.set(tag, image.created);
    const top = selectImageTags(eligible, sub, created)[0];
    return top === undefined ? undefined : { tag: top, digest: images.get(top)!.digest };
  }
  const candidates = selectImageTags(tags, sub);
  const digests = new Map<string, string>();
  await eachLimited(candidates, concurrency, async (tag) => {
    digests.set(tag, (await getManifest(registryUrl, repo, tag)).digest);
  });
  const top = candidates[0];
  return top === undefined ? undefined : { tag: top, digest: digests.get(top)! };
}

async function getManifest(
  registryUrl: string,
  repo: string,
  reference: string,
): Promise<{ digest: string; configDigest?: string }> {
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${reference}`, {
    headers: { Accept: MANIFEST_ACCEPT },
  });
  if (res.status !== 200) {
    throw new Error(`baseline: GET manifest ${repo}:${reference} answered HTTP ${res.status}, want 200`);
  }
  const body = (await res.json()) as { config?: { digest?: string } };
  return { digest: res.headers.get('docker-content-digest') ?? '', configDigest: body.config?.digest };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`baseline: GET ${url} answered HTTP ${res.status}, want 200`);
  return (await res.json()) as T;
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
