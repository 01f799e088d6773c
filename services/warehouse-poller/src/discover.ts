import { createHash } from 'node:crypto';
import type {
  DiscoveredCharts,
  DiscoveredCommits,
  DiscoveredImages,
  FreightChart,
  FreightCommit,
  FreightImage,
  ImageSubscription,
  Warehouse,
  WarehouseHealth,
  WarehouseStatus,
} from '@ferry/contracts';
import { freightId, parseGoDuration, selectImageTags } from '@ferry/kargo';
import { freightCommit, type GitDiscoverer } from './git.ts';
import type { ChartDiscoverer } from './helm.ts';

/** An operating system and CPU architecture, as the registry client takes it. */
export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** Per-call settings of a {@link RegistryPort} call, taken from the subscription being discovered. */
export interface RegistryPortOptions {
  /** The subscription's `insecureSkipTLSVerify`: do not verify the registry's TLS certificate. */
  insecureSkipTLSVerify?: boolean;
}

/** What discovery needs from a registry (the real client, or a fake in tests). */
export interface RegistryPort {
  listTags(repoURL: string, opts?: RegistryPortOptions): Promise<string[]>;
  resolveTag(repoURL: string, tag: string, opts?: RegistryPortOptions): Promise<{ digest: string }>;
  /** Digest (the index digest for a multi-platform image) and creation time; throws when `platform` is absent. */
  getImageInfo(
    repoURL: string,
    reference: string,
    platform?: PlatformSpec,
    opts?: RegistryPortOptions,
  ): Promise<{ digest: string; created?: string }>;
}

/** The registry call options a subscription asks for; empty unless it skips TLS verification. */
export function registryOptionsOf(sub: { readonly insecureSkipTLSVerify?: boolean }): RegistryPortOptions {
  return sub.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {};
}

/** What is cached about a tag: the digest it pointed to and that image's creation time. */
export interface TagMeta {
  digest: string;
  createdAt?: string;
}

/**
 * Discovery's memory between runs (Redis in the service, a Map in tests). `scope` is the repository and
 * platform, because whether and when an image was built depends on the platform read from its index.
 */
export interface DiscoveryCache {
  /** Cached tag → digest (and creation time) entries among `tags`. */
  getTags(scope: string, tags: readonly string[]): Promise<Map<string, TagMeta>>;
  putTags(scope: string, entries: ReadonlyMap<string, TagMeta>): Promise<void>;
  /** Cached digest → creation time entries among `digests`; a digest's metadata never changes. */
  getImages(scope: string, digests: readonly string[]): Promise<Map<string, { createdAt?: string }>>;
  putImages(scope: string, entries: ReadonlyMap<string, { createdAt?: string }>): Promise<void>;
  /** Stores the tag-list hash of a repository, returning the previous one. */
  swapTagListHash(repoURL: string, hash: string): Promise<string | undefined>;
}

/** A cache that remembers nothing: every discovery asks the registry (Kargo without a cache). */
export const NO_CACHE: DiscoveryCache = {
  getTags: async () => new Map(),
  putTags: async () => {},
  getImages: async () => new Map(),
  putImages: async () => {},
  swapTagListHash: async () => undefined,
};

/** The result of discovering one Warehouse. */
export interface DiscoveryResult {
  /** What to store as the Warehouse's status. */
  status: WarehouseStatus;
  /** The best candidate of every subscription, when every subscription found one. */
  images?: FreightImage[];
  /** The best commit of every git subscription, when every subscription found a candidate. */
  commits?: FreightCommit[];
  /** The best version of every chart subscription, when every subscription found a candidate. */
  charts?: FreightChart[];
  /** Problems, one per failing subscription; empty on success. */
  errors: string[];
  /** Repositories whose tag list differs from the previous discovery's (all of them the first time). */
  changedRepos: string[];
}

/** Options of {@link discoverWarehouse}. */
export interface DiscoverOptions {
  /** Caches between discoveries; none when absent. */
  cache?: DiscoveryCache;
  /** The status stored by the previous discovery, to carry `health.since` over. */
  previous?: WarehouseStatus;
  /** Image metadata requests in flight at once per subscription (NewestBuild, platform); 8 when absent. */
  concurrency?: number;
  /** Discovers git subscriptions; a Warehouse with one fails that subscription when absent. */
  git?: GitDiscoverer;
  /** Discovers chart subscriptions; a Warehouse with one fails that subscription when absent. */
  charts?: ChartDiscoverer;
}

const DEFAULT_CONCURRENCY = 8;

/**
 * Discovers a Warehouse's image subscriptions: lists tags (one request), ranks candidates per the
 * subscription's strategy and reads only what the caches do not hold:
 * - with `cacheByTag` (tags are immutable) a tag read once is never read again, so an unchanged
 *   repository costs the one listing request;
 * - without it the best candidate is resolved again (one HEAD), because a mutable tag may have moved;
 *   NewestBuild resolves every eligible tag, and reads image metadata only for digests not seen before;
 * - with `platform`, a candidate whose image has no such platform is skipped (as Kargo does) and the
 *   Freight pins the digest the tag resolves to (the index digest), as Kargo records it;
 * - with `minimumAge` (Ferry's), a candidate whose image was built less than that long before `now` is
 *   skipped; build times come through the same caches, so an unchanged repository costs no more.
 * A failing subscription is reported, named by index and repository, without hiding what the others found.
 */
export async function discoverWarehouse(
  wh: Warehouse,
  registry: RegistryPort,
  now: Date,
  opts: DiscoverOptions = {},
): Promise<DiscoveryResult> {
  const cache = opts.cache ?? NO_CACHE;
  const discovered: DiscoveredImages[] = [];
  const best: FreightImage[] = [];
  const errors: string[] = [];
  const changedRepos: string[] = [];
  const discoveredGit: DiscoveredCommits[] = [];
  const bestCommits: FreightCommit[] = [];
  const discoveredCharts: DiscoveredCharts[] = [];
  const bestCharts: FreightChart[] = [];
  // Subscriptions are numbered across kinds, as the Warehouse lists them, so problems name the right one.
  const ok: boolean[] = [];
  await Promise.all(
    wh.spec.subscriptions.map(async ({ image: sub, git, chart }, i) => {
      if (chart) {
        const entry: DiscoveredCharts = {
          repoURL: chart.repoURL,
          ...(chart.name ? { name: chart.name } : {}),
          ...(chart.semverConstraint ? { semverConstraint: chart.semverConstraint } : {}),
          versions: [],
        };
        const c = discoveredCharts.push(entry) - 1;
        try {
          if (!opts.charts) throw new Error('chart discovery is not configured in this warehouse-poller');
          entry.versions = await opts.charts(chart);
          const best = entry.versions[0];
          if (best === undefined) {
            const what = chart.name ? `chart ${chart.name} in ${chart.repoURL}` : `chart ${chart.repoURL}`;
            errors.push(
              `subscription ${i} (${chart.repoURL}): ` +
                (chart.semverConstraint
                  ? `no version of ${what} satisfies constraint "${chart.semverConstraint}"; publish a matching version or change the constraint`
                  : `${what} has no SemVer version; publish one (like 1.0.0)`),
            );
            return;
          }
          // Kargo records an OCI chart with an empty name: its repoURL names the chart.
          bestCharts[c] = { repoURL: chart.repoURL, name: chart.name ?? '', version: best };
          ok[i] = true;
        } catch (err) {
          errors.push(`subscription ${i} (${chart.repoURL}): ${(err as Error).message}`);
        }
        return;
      }
      if (git) {
        const g = discoveredGit.push({ repoURL: git.repoURL, commits: [] }) - 1;
        try {
          if (!opts.git) throw new Error('git discovery is not configured in this warehouse-poller');
          const commits = await opts.git(git);
          discoveredGit[g] = { repoURL: git.repoURL, commits };
          if (commits[0] === undefined) {
            errors.push(
              `subscription ${i} (${git.repoURL}): no commit matches` +
                (git.commitSelectionStrategy === 'NewestFromBranch'
                  ? ` on branch ${git.branch ?? '(default)'}${git.includePaths.length || git.excludePaths.length ? ' touching the included paths' : ''}`
                  : ` strategy ${git.commitSelectionStrategy}${git.semverConstraint ? ` with constraint "${git.semverConstraint}"` : ''}`) +
                '; push a matching commit or tag, or change the subscription',
            );
            return;
          }
          bestCommits[g] = freightCommit(git.repoURL, commits[0]);
          ok[i] = true;
        } catch (err) {
          errors.push(`subscription ${i} (${git.repoURL}): ${(err as Error).message}`);
        }
        return;
      }
      if (!sub) return;
      try {
        const tags = await registry.listTags(sub.repoURL, registryOptionsOf(sub));
        const hash = createHash('sha256')
          .update([...tags].sort().join('\n'))
          .digest('hex');
        if ((await cache.swapTagListHash(sub.repoURL, hash)) !== hash) changedRepos.push(sub.repoURL);
        const found = await discoverSubscription(sub, tags, registry, cache, now, opts.concurrency);
        if (found === undefined) {
          errors.push(
            `subscription ${i} (${sub.repoURL}): no tag among ${tags.length} matches` +
              (sub.constraint ? ` constraint "${sub.constraint}"` : '') +
              (sub.platform ? ` for platform ${sub.platform}` : '') +
              (sub.minimumAge ? ` with an image built at least ${sub.minimumAge} ago` : '') +
              `; push a matching tag or change the constraint`,
          );
          discovered[i] = { repoURL: sub.repoURL, references: [] };
          return;
        }
        discovered[i] = { repoURL: sub.repoURL, references: found.references };
        best[i] = { repoURL: sub.repoURL, tag: found.tag, digest: found.digest };
      } catch (err) {
        errors.push(`subscription ${i} (${sub.repoURL}): ${(err as Error).message}`);
        discovered[i] = { repoURL: sub.repoURL, references: [] };
      }
    }),
  );
  errors.sort();
  for (const [i, b] of best.entries()) if (b) ok[i] = true;
  const complete = wh.spec.subscriptions.every((_, i) => ok[i] === true);
  const images = best.filter(Boolean);
  const commits = bestCommits.filter(Boolean);
  const charts = bestCharts.filter(Boolean);
  const status: WarehouseStatus = {
    lastHandledRefresh: now.toISOString(),
    discoveredArtifacts: {
      discoveredAt: now.toISOString(),
      images: discovered.filter(Boolean),
      ...(discoveredGit.length ? { git: discoveredGit } : {}),
      ...(discoveredCharts.length ? { charts: discoveredCharts } : {}),
    },
    health: nextHealth(opts.previous?.health, errors, now),
  };
  if (errors.length) status.message = errors.join('; ');
  if (complete) {
    status.lastFreightID = freightId({
      origin: { kind: 'Warehouse', name: wh.metadata.name },
      images,
      commits,
      charts,
    });
  }
  return complete
    ? {
        status,
        images,
        ...(commits.length ? { commits } : {}),
        ...(charts.length ? { charts } : {}),
        errors,
        changedRepos,
      }
    : { status, errors, changedRepos };
}

/** The Warehouse's health after a discovery; `since` is kept while the status does not change. */
export function nextHealth(
  previous: WarehouseHealth | undefined,
  errors: readonly string[],
  now: Date,
): WarehouseHealth {
  const status = errors.length > 0 ? 'Unhealthy' : 'Healthy';
  const since = previous?.status === status && previous.since ? previous.since : now.toISOString();
  return errors.length > 0 ? { status, reason: errors.join('; '), since } : { status, since };
}

interface Found {
  tag: string;
  digest: string;
  references: DiscoveredImages['references'];
}

async function discoverSubscription(
  sub: ImageSubscription,
  tags: readonly string[],
  registry: RegistryPort,
  cache: DiscoveryCache,
  now: Date,
  concurrency = DEFAULT_CONCURRENCY,
): Promise<Found | undefined> {
  const oldEnough = ageFilter(sub, now);
  const platform = sub.platform ? parsePlatform(sub.platform) : undefined;
  const scope = `${sub.repoURL}|${sub.platform ?? ''}`;
  const metaOf = tagReader(sub, registry, cache, scope, platform);
  if (sub.imageSelectionStrategy === 'NewestBuild') {
    // Every eligible tag's build time is needed to rank them; the caches make this a one-time cost.
    const eligible = selectImageTags(tags, { ...sub, imageSelectionStrategy: 'Lexical', discoveryLimit: 0 });
    const metas = await metaOf(eligible, concurrency);
    const created = new Map<string, string>();
    for (const [tag, meta] of metas) if (meta?.createdAt) created.set(tag, meta.createdAt);
    const usable = eligible.filter((t) => oldEnough(metas.get(t)));
    const ranked = selectImageTags(usable, sub, created);
    if (ranked.length === 0) return undefined;
    const top = ranked[0]!;
    const digest = metas.get(top)!.digest;
    return {
      tag: top,
      digest,
      references: ranked.map((tag) => ({
        tag,
        ...(tag === top ? { digest } : {}),
        ...(created.has(tag) ? { createdAt: created.get(tag) } : {}),
      })),
    };
  }
  const candidates = selectImageTags(tags, sub);
  // Only the best candidate is read; with a platform, candidates without it are skipped in order.
  for (const [n, tag] of candidates.entries()) {
    const meta = (await metaOf([tag], 1)).get(tag);
    if (meta === undefined || !oldEnough(meta)) continue;
    const rest = candidates.slice(n);
    return {
      tag,
      digest: meta.digest,
      references: rest.map((t) =>
        t === tag
          ? { tag, digest: meta.digest, ...(meta.createdAt ? { createdAt: meta.createdAt } : {}) }
          : { tag: t },
      ),
    };
  }
  return undefined;
}

/**
 * Reads tags' digests (and, for NewestBuild or a platform, their metadata) through the caches; a tag whose
 * image lacks the wanted platform maps to undefined.
 */
function tagReader(
  sub: ImageSubscription,
  registry: RegistryPort,
  cache: DiscoveryCache,
  scope: string,
  platform: PlatformSpec | undefined,
) {
  const needsInfo =
    sub.imageSelectionStrategy === 'NewestBuild' || platform !== undefined || sub.minimumAge !== undefined;
  return async (tags: readonly string[], concurrency: number): Promise<Map<string, TagMeta | undefined>> => {
    const out = new Map<string, TagMeta | undefined>();
    const cachedTags = sub.cacheByTag ? await cache.getTags(scope, tags) : new Map<string, TagMeta>();
    // A tag cached by a subscription that did not need its build time still saves the HEAD.
    const missing = tags.filter((t) => {
      const hit = cachedTags.get(t);
      return hit === undefined || (needsInfo && hit.createdAt === undefined);
    });
    for (const [t, m] of cachedTags) if (!missing.includes(t)) out.set(t, m);
    const learnedTags = new Map<string, TagMeta>();
    const learnedImages = new Map<string, { createdAt?: string }>();
    // One metadata read per digest, even when many tags point at it and are resolved at once.
    const reads = new Map<string, Promise<{ createdAt?: string } | undefined>>();
    const readImage = async (digest: string): Promise<{ createdAt?: string } | undefined> => {
      const known = (await cache.getImages(scope, [digest])).get(digest);
      if (known) return known;
      try {
        const info = await registry.getImageInfo(sub.repoURL, digest, platform, registryOptionsOf(sub));
        const meta = info.created ? { createdAt: info.created } : {};
        learnedImages.set(digest, meta);
        return meta;
      } catch (err) {
        // Kargo skips a candidate whose index has no image for the wanted platform.
        if (platform !== undefined && (err as { code?: string }).code === 'FERRY_ERR_REGISTRY_NOT_FOUND') {
          return undefined;
        }
        throw err;
      }
    };
    await eachLimited(missing, concurrency, async (tag) => {
      const digest =
        cachedTags.get(tag)?.digest ??
        (await registry.resolveTag(sub.repoURL, tag, registryOptionsOf(sub))).digest;
      let meta: TagMeta | undefined = { digest };
      if (needsInfo) {
        let read = reads.get(digest);
        if (read === undefined) {
          read = readImage(digest);
          reads.set(digest, read);
        }
        const image = await read;
        meta = image === undefined ? undefined : { digest, ...image };
      }
      out.set(tag, meta);
      if (meta !== undefined) learnedTags.set(tag, meta);
    });
    if (sub.cacheByTag) await cache.putTags(scope, learnedTags);
    await cache.putImages(scope, learnedImages);
    return out;
  };
}

/**
 * Whether a tag's image may be taken under the subscription's `minimumAge` (a Ferry extension): built at
 * least that long before `now`. An image without a build time cannot prove its age and never counts;
 * without `minimumAge` every readable tag does.
 */
export function ageFilter(
  sub: Pick<ImageSubscription, 'minimumAge'>,
  now: Date,
): (meta: TagMeta | undefined) => boolean {
  if (!sub.minimumAge) return (meta) => meta !== undefined;
  const newest = now.getTime() - parseGoDuration(sub.minimumAge);
  return (meta) => {
    if (meta?.createdAt === undefined) return false;
    const built = Date.parse(meta.createdAt);
    return Number.isFinite(built) && built <= newest;
  };
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function eachLimited<T>(
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

/** `os/arch[/variant]` as the registry client takes it. */
export function parsePlatform(text: string): PlatformSpec {
  const [os = '', architecture = '', variant] = text.split('/');
  return { os, architecture, ...(variant ? { variant } : {}) };
}
