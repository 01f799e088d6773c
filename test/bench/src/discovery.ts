import type { ImageSelectionStrategy, ImageSubscription, Warehouse } from '@ferry/contracts';
import { RegistryClient } from '@ferry/registry';
import { Store } from '@ferry/store';
import { MANIFEST_ACCEPT, startRegistry, type TestRegistry } from '@ferry/support';
import { discoverWarehouse, redisDiscoveryCache } from '@ferry/svc-warehouse-poller';
import { eachLimited, kargoDiscover } from './kargo-baseline.ts';
import { ms, ratio, table } from './report.ts';

/** The Redis database the discovery benchmark owns; flushed before and after. */
export const DISCOVERY_REDIS_URL = 'redis://127.0.0.1:6379/15';
/** Tags pointing at one and the same image (issue 3's repository with 1,000 tags). */
export const SAME_IMAGE_TAGS = 1000;
/** Distinct images with distinct `created` times, so NewestBuild has something to rank. */
export const DISTINCT_IMAGES = 20;

const REPO = 'bench/app';

/** One row of the discovery table. */
export interface DiscoveryRow {
  strategy: ImageSelectionStrategy;
  cacheByTag: boolean;
  /** Registry requests of Ferry's first discovery (empty cache). */
  ferryFirst: number;
  /** Registry requests of Ferry's second discovery (nothing changed). */
  ferrySecond: number;
  /** Registry requests of one Kargo-style discovery (it has no cache: every poll costs the same). */
  baseline: number;
  ferryFirstMs: number;
  ferrySecondMs: number;
  baselineMs: number;
  /** Whether Ferry and the baseline chose the same tag and digest. */
  samePick: boolean;
}

const SUBSCRIPTIONS: Array<[ImageSelectionStrategy, Partial<ImageSubscription>]> = [
  ['SemVer', {}],
  ['Lexical', { allowTagsRegexes: ['^[0-9]'] }],
  ['Digest', { constraint: 'latest' }],
  ['NewestBuild', {}],
];

/**
 * Issue 3's benchmark: registry requests (and time) per discovery of a repository with 1,021 tags, for
 * Ferry (discoverWarehouse with the Redis caches and the real registry client) and for a Kargo-style
 * discovery, each strategy with and without `cacheByTag`, against a real docker-registry.
 */
export async function runDiscoveryBench(log: (line: string) => void): Promise<DiscoveryRow[]> {
  const registry = await startRegistry();
  const store = Store.connect(DISCOVERY_REDIS_URL, 'ferry-bench');
  try {
    await store.redis.flushdb();
    const started = performance.now();
    await seed(registry);
    log(
      `seeded ${REPO}: ${SAME_IMAGE_TAGS} tags on one image, ${DISTINCT_IMAGES} distinct images, ` +
        `and "latest" (${Math.round(performance.now() - started)} ms)`,
    );
    const rows: DiscoveryRow[] = [];
    for (const [strategy, extra] of SUBSCRIPTIONS) {
      for (const cacheByTag of [false, true]) {
        await store.redis.flushdb();
        const sub = subscription(`${registry.host}/${REPO}`, strategy, { ...extra, cacheByTag });
        const wh = warehouse(sub);
        const cache = redisDiscoveryCache(store);
        // One long-lived client, as the poller keeps one.
        const client = new RegistryClient();
        const ferry = async () => {
          registry.resetRequests();
          const t0 = performance.now();
          const r = await discoverWarehouse(wh, client, new Date(), { cache });
          const took = performance.now() - t0;
          if (!r.images) throw new Error(`ferry ${strategy} discovery found nothing: ${r.errors.join('; ')}`);
          return { requests: registry.requests, ms: took, pick: r.images[0]! };
        };
        const first = await ferry();
        const second = await ferry();
        registry.resetRequests();
        const t0 = performance.now();
        const base = await kargoDiscover(registry.url, REPO, sub);
        const baselineMs = performance.now() - t0;
        const baseline = registry.requests;
        rows.push({
          strategy,
          cacheByTag,
          ferryFirst: first.requests,
          ferrySecond: second.requests,
          baseline,
          ferryFirstMs: first.ms,
          ferrySecondMs: second.ms,
          baselineMs,
          samePick: base?.tag === second.pick.tag && base.digest === second.pick.digest,
        });
      }
    }
    return rows;
  } finally {
    await store.redis.flushdb().catch(() => {});
    await store.close();
    await registry.close();
  }
}

/** The table printed for {@link runDiscoveryBench}. */
export function discoveryTable(rows: readonly DiscoveryRow[]): string {
  return table(
    [
      'strategy',
      'cacheByTag',
      'Ferry 1st (req)',
      'Ferry 2nd (req)',
      'Kargo-style (req/discovery)',
      'Kargo-style ÷ Ferry 2nd',
      'Ferry 1st (ms)',
      'Ferry 2nd (ms)',
      'Kargo-style (ms)',
      'same pick',
    ],
    rows.map((r) => [
      r.strategy,
      String(r.cacheByTag),
      String(r.ferryFirst),
      String(r.ferrySecond),
      String(r.baseline),
      ratio(r.baseline, r.ferrySecond),
      ms(r.ferryFirstMs),
      ms(r.ferrySecondMs),
      ms(r.baselineMs),
      r.samePick ? 'yes' : 'NO',
    ]),
  );
}

async function seed(registry: TestRegistry): Promise<void> {
  await registry.pushImage(REPO, '1.0.0', { created: new Date('2026-01-01T00:00:00Z') });
  const res = await fetch(`${registry.url}/v2/${REPO}/manifests/1.0.0`, {
    headers: { Accept: MANIFEST_ACCEPT },
  });
  if (res.status !== 200) throw new Error(`seeding: GET manifest ${REPO}:1.0.0 answered HTTP ${res.status}`);
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const bytes = Buffer.from(await res.arrayBuffer());
  // The same manifest bytes under 999 more tags: one PUT each, far quicker than tagExisting's GET + PUT.
  const tags = Array.from({ length: SAME_IMAGE_TAGS - 1 }, (_, i) => `1.0.${i + 1}`);
  await eachLimited(tags, 16, async (tag) => {
    const put = await fetch(`${registry.url}/v2/${REPO}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    await put.body?.cancel();
    if (put.status !== 201)
      throw new Error(`seeding: PUT manifest ${REPO}:${tag} answered HTTP ${put.status}`);
  });
  for (let i = 0; i < DISTINCT_IMAGES; i++) {
    await registry.pushImage(REPO, `2.0.${i}`, { created: new Date(Date.UTC(2026, 2, 1, i)) });
  }
  await registry.tagExisting(REPO, `2.0.${DISTINCT_IMAGES - 1}`, 'latest');
}

function subscription(
  repoURL: string,
  strategy: ImageSelectionStrategy,
  extra: Partial<ImageSubscription>,
): ImageSubscription {
  return {
    repoURL,
    imageSelectionStrategy: strategy,
    strictSemvers: true,
    allowTagsRegexes: [],
    ignoreTagsRegexes: [],
    discoveryLimit: 20,
    ...extra,
  };
}

function warehouse(sub: ImageSubscription): Warehouse {
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Warehouse',
    metadata: { name: 'bench', namespace: 'bench' },
    spec: { interval: '5m0s', freightCreationPolicy: 'Automatic', subscriptions: [{ image: sub }] },
  };
}
