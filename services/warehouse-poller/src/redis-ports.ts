import type { RequestLimiter } from '@ferry/registry';
import { Keys, type Store } from '@ferry/store';
import type { DiscoveryCache, TagMeta } from './discover.ts';
import type { GitMemo, GitMemoCache } from './git.ts';
import type { HelmIndexMemo, HelmIndexMemoCache } from './helm.ts';

/** Requests per second (and burst) for a registry host without a configured limit. */
export const DEFAULT_REGISTRY_RATE = 20;

/** {@link DiscoveryCache} in Redis, shared by every replica (warehouse-poller owns the keys). */
export function redisDiscoveryCache(store: Store): DiscoveryCache {
  return {
    async getTags(scope, tags) {
      const raw = await store.getPollCache(Keys.pollTagCache(...split(scope)), tags);
      return new Map([...raw].map(([k, v]) => [k, JSON.parse(v) as TagMeta]));
    },
    async putTags(scope, entries) {
      const raw = new Map([...entries].map(([k, v]) => [k, JSON.stringify(v)]));
      await store.putPollCache(Keys.pollTagCache(...split(scope)), raw);
    },
    async getImages(scope, digests) {
      const raw = await store.getPollCache(Keys.pollImageCache(...split(scope)), digests);
      return new Map([...raw].map(([k, v]) => [k, JSON.parse(v) as { createdAt?: string }]));
    },
    async putImages(scope, entries) {
      const raw = new Map([...entries].map(([k, v]) => [k, JSON.stringify(v)]));
      await store.putPollCache(Keys.pollImageCache(...split(scope)), raw);
    },
    swapTagListHash: (repoURL, hash) => store.swapTagListHash(repoURL, hash),
  };
}

/** {@link GitMemoCache} in Redis (`ferry:poll:git:*`), shared by every replica. */
export function redisGitMemo(store: Store): GitMemoCache {
  return {
    async get(key) {
      const raw = await store.redis.get(Keys.pollGitDiscovery(key));
      return raw === null ? undefined : (JSON.parse(raw) as GitMemo);
    },
    async put(key, memo) {
      await store.redis.set(Keys.pollGitDiscovery(key), JSON.stringify(memo));
    },
  };
}

/** How long an index memo is kept after its last download (then one full download renews it), so a repository no longer polled is forgotten. */
const HELM_MEMO_TTL_SECONDS = 7 * 24 * 3600;

/** {@link HelmIndexMemoCache} in Redis (`ferry:poll:helm:*`), shared by every replica. */
export function redisHelmMemo(store: Store): HelmIndexMemoCache {
  return {
    async get(urlHash) {
      const raw = await store.redis.get(Keys.pollHelmIndex(urlHash));
      return raw === null ? undefined : (JSON.parse(raw) as HelmIndexMemo);
    },
    async put(urlHash, memo) {
      await store.redis.set(Keys.pollHelmIndex(urlHash), JSON.stringify(memo), 'EX', HELM_MEMO_TTL_SECONDS);
    },
  };
}

// A scope is `<repoURL>|<platform>`; repository URLs never contain `|`.
function split(scope: string): [string, string] {
  const at = scope.lastIndexOf('|');
  return [scope.slice(0, at), scope.slice(at + 1)];
}

/**
 * A token bucket per registry host in Redis, so every replica together stays under the host's limit:
 * `limits` by host (requests per second, also the burst), {@link DEFAULT_REGISTRY_RATE} for the rest.
 */
export function redisRateLimiter(
  store: Store,
  limits: Readonly<Record<string, number>>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): RequestLimiter {
  return {
    async acquire(host) {
      const rate = limits[host] ?? DEFAULT_REGISTRY_RATE;
      for (;;) {
        const wait = await store.takeRegistryToken(host, rate, Math.max(1, rate));
        if (wait <= 0) return;
        await sleep(wait);
      }
    },
  };
}
