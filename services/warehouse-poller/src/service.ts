import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RetryLater } from '@ferry/bus';
import type { Warehouse } from '@ferry/contracts';
import { parseGoDuration } from '@ferry/kargo';
import {
  CacheKinds,
  discoveryCacheLookups,
  discoveryDuration,
  discoveryLastDuration,
  discoveryLastTime,
  registryRateLimited,
  registryRateLimitWait,
  registryRequestDuration,
  registryRequests,
} from '@ferry/metrics';
import { Kinds, traceparentOf, withSpan } from '@ferry/observability';
import { credentialsFromDockerConfig, RegistryClient, type RegistryRequestEvent } from '@ferry/registry';
import { every, type RunningService, type ServiceDeps } from '@ferry/runtime';
import { Keys, SecretStore } from '@ferry/store';
import { projectChartCredentials, projectGit, projectRegistry } from './credentials.ts';
import { type DiscoveryCache, discoverWarehouse, type RegistryPort } from './discover.ts';
import { type GitDiscoverer, gitDiscoverer } from './git.ts';
import { type ChartCredentialsLookup, type ChartDiscoverer, helmDiscoverer } from './helm.ts';
import { redisDiscoveryCache, redisGitMemo, redisHelmMemo, redisRateLimiter } from './redis-ports.ts';
import { readOnlyGitMemo, readOnlyHelmMemo, startPollerRequests } from './requests.ts';

const DEFAULT_INTERVAL_MS = 5 * 60_000;

/** Discoveries a webhook's refresh makes at most while it finds nothing new (the first and 3 more). */
const WEBHOOK_LOOKS = 4;

/** Options for tests: a fake registry, a clock, a faster schedule tick. */
export interface PollerOptions {
  registry?: RegistryPort;
  /** Discovery caches; Redis (through the store) when absent. */
  cache?: DiscoveryCache;
  clock?: () => Date;
  tickMs?: number;
  /** Git discovery; the git CLI with clones under `<FERRY_GIT_CACHE_DIR>/poller` when absent. */
  git?: GitDiscoverer;
  /** Chart discovery; HTTP(S) indexes with memos in Redis and OCI tags through `registry` when absent. */
  charts?: ChartDiscoverer;
  /** Basic-auth credentials for HTTP(S) chart repositories (used when `charts` is absent); anonymous when absent. */
  chartCredentials?: ChartCredentialsLookup;
}

/**
 * warehouse-poller: discovers each Warehouse when it is due (its interval) or when asked
 * (RefreshWarehouse), reports the best artifacts as FreightDiscovered. The schedule lives in
 * Redis, and a lease per Warehouse keeps replicas from discovering the same one at once.
 */
export async function startWarehousePoller(
  deps: ServiceDeps,
  options: PollerOptions = {},
): Promise<RunningService> {
  const { bus, store, config, log } = deps;
  const clock = options.clock ?? (() => new Date());
  const registry: RegistryPort =
    options.registry ??
    new RegistryClient({
      insecureRegistries: [...config.insecureRegistries],
      credentials: config.registryAuthFile
        ? credentialsFromDockerConfig(JSON.parse(readFileSync(config.registryAuthFile, 'utf8')))
        : undefined,
      limiter: redisRateLimiter(store, config.registryRateLimits),
      onRequest: recordRegistryRequest,
      // A CLIENT span per registry request, a child of the discovery's span.
      span: (name, attributes, fn) =>
        withSpan(name, { attributes, kind: Kinds.client }, (span) => fn((k, v) => span.setAttribute(k, v))),
    });
  const cache = countingCache(options.cache ?? redisDiscoveryCache(store));
  // The poller's clones live apart from git-writer's: they are bare and partial, its are work trees.
  const git =
    options.git ?? gitDiscoverer({ cacheDir: join(config.gitCacheDir, 'poller'), memo: redisGitMemo(store) });

  // Each Project discovers with its own credential Secrets (`kargo.akuity.io/cred-type`), asked per
  // repository; the docker config file stays the registry client's fallback. Fakes passed in are used as given.
  const secrets = new SecretStore(store.redis, config.encryptionKey);
  const portsFor = (project: string) => {
    const forProject = (type: 'image' | 'helm') =>
      registry instanceof RegistryClient ? projectRegistry(registry, secrets, project, type) : registry;
    return {
      registry: forProject('image'),
      git: projectGit(git, secrets, project),
      charts:
        options.charts ??
        helmDiscoverer({
          registry: forProject('helm'),
          memo: redisHelmMemo(store),
          credentials: options.chartCredentials ?? projectChartCredentials(secrets, project),
        }),
    };
  };

  const intervalOf = (wh: Warehouse): number => {
    try {
      return parseGoDuration(wh.spec.interval) || DEFAULT_INTERVAL_MS;
    } catch {
      return DEFAULT_INTERVAL_MS;
    }
  };

  /** Discovers one Warehouse under its lease; returns false when another replica holds it. */
  const discover = async (project: string, name: string, reason: string): Promise<boolean> => {
    const lease = await store.acquireLease(`poll:${project}/${name}`, 60_000);
    if (!lease) return false;
    try {
      const wh = await store.getWarehouse(project, name);
      if (!wh) {
        await store.redis.zrem(Keys.pollSchedule(), `${project}/${name}`);
        forgetDiscoverySeries(project, name);
        return true;
      }
      await withSpan(
        'discover warehouse',
        { attributes: { 'ferry.project': project, 'ferry.warehouse': name } },
        async () => {
          const wlog = log.child({ project, warehouse: name, reason });
          const started = clock();
          const timer = startDiscoveryTimer(project, name, clock);
          const previous = await store.getWarehouseStatus(project, name);
          const ports = portsFor(project);
          const result = await discoverWarehouse(wh, ports.registry, started, {
            cache,
            git: ports.git,
            charts: ports.charts,
            ...(previous ? { previous } : {}),
          }).finally(timer);
          await store.putWarehouseStatus(project, name, result.status);
          if (result.errors.length) wlog.warn({ errors: result.errors }, 'discovery found problems');
          if (previous?.health?.status !== result.status.health?.status) {
            wlog.info({ health: result.status.health }, 'warehouse health changed');
          }
          if (result.images && wh.spec.freightCreationPolicy === 'Automatic') {
            await bus.publish(
              'FreightDiscovered',
              {
                project,
                warehouse: name,
                images: result.images,
                ...(result.commits ? { commits: result.commits } : {}),
                ...(result.charts ? { charts: result.charts } : {}),
                discoveredAt: started.toISOString(),
                ...(traceparentOf() ? { traceparent: traceparentOf() } : {}),
              },
              `discovered:${project}:${name}:${result.status.lastFreightID}`,
            );
          }
          wlog.info(
            { ms: clock().getTime() - started.getTime(), freight: result.status.lastFreightID },
            'discovery finished',
          );
        },
      );
      await store.scheduleDiscovery(project, name, clock().getTime() + intervalOf(wh));
      return true;
    } finally {
      await store.releaseLease(lease);
    }
  };

  /** Puts every Warehouse on the schedule (new ones due now); existing entries are kept. */
  const ensureScheduled = async () => {
    for (const p of await store.listProjects()) {
      for (const wh of await store.listWarehouses(p.metadata.name)) {
        await store.redis.zadd(
          Keys.pollSchedule(),
          'NX',
          clock().getTime(),
          `${p.metadata.name}/${wh.metadata.name}`,
        );
      }
    }
  };

  // Due Warehouses are discovered `discoveryConcurrency` at a time: a cold start (every Warehouse due
  // at once) then holds that many discoveries' requests and spans in memory, not a whole batch's.
  const tick = async () => {
    const due = await store.dueDiscoveries(clock().getTime());
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const [project, name] = due[next++]!.split('/') as [string, string];
        await discover(project, name, 'interval').catch((err) =>
          log.error({ err, project, warehouse: name }, 'discovery failed'),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(config.discoveryConcurrency, due.length) }, worker));
  };

  /**
   * Drops a deleted Warehouse from the schedule and its status, under its lease; false when it
   * exists again (applied anew). Throws when the lease stays taken, so the fact is redelivered.
   */
  const forgetWarehouse = async (project: string, name: string): Promise<boolean> => {
    for (let i = 0; i < 100; i++) {
      const lease = await store.acquireLease(`poll:${project}/${name}`, 60_000);
      if (!lease) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      try {
        if (await store.getWarehouse(project, name)) return false;
        await store.redis
          .multi()
          .zrem(Keys.pollSchedule(), `${project}/${name}`)
          .del(Keys.warehouseStatus(project, name))
          .exec();
        forgetDiscoverySeries(project, name);
        return true;
      } finally {
        await store.releaseLease(lease);
      }
    }
    throw new Error(`warehouse ${name} stayed busy; will retry`);
  };

  await ensureScheduled();
  const consumers = [
    await bus.consume({
      type: 'RefreshWarehouse',
      durable: 'poller-refresh',
      handler: async (cmd, ctx) => {
        ctx.log.info({ warehouse: cmd.warehouse }, 'refresh requested');
        const before = cmd.expectChange
          ? (await store.getWarehouseStatus(cmd.project, cmd.warehouse))?.lastFreightID
          : undefined;
        // Another replica discovering it right now will have the newest tags anyway, unless the
        // push landed after its listing began: so wait for its lease rather than skipping.
        for (let i = 0; i < 100; i++) {
          if (await discover(cmd.project, cmd.warehouse, 'refresh')) {
            // A webhook said something changed; a registry may notify before the tag can be read,
            // so when discovery found nothing new, look again after 0.5, 1 and 2 s.
            if (cmd.expectChange && ctx.deliveryCount < WEBHOOK_LOOKS) {
              const after = (await store.getWarehouseStatus(cmd.project, cmd.warehouse))?.lastFreightID;
              if (after === before) {
                throw new RetryLater(
                  'a webhook announced a change that discovery does not see yet',
                  500 * 2 ** (ctx.deliveryCount - 1),
                );
              }
            }
            return;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`warehouse ${cmd.warehouse} stayed busy; will retry`);
      },
    }),
    await bus.consume({
      type: 'DefinitionsApplied',
      durable: 'poller-definitions',
      handler: async (evt) => {
        for (const r of evt.resources) {
          if (r.kind === 'Warehouse')
            await store.scheduleDiscovery(evt.project, r.name, clock().getTime(), true);
        }
        await tickNow();
      },
    }),
    // A deleted Warehouse leaves the schedule at once. Its lease is taken first, so a discovery
    // running now cannot put it back (or write its status) after the api removed them.
    await bus.consume({
      type: 'DefinitionsDeleted',
      durable: 'poller-definitions-deleted',
      handler: async (evt, ctx) => {
        const gone = evt.resources.some((r) => r.kind === 'Project')
          ? (await store.redis.zrange(Keys.pollSchedule(), 0, -1))
              .filter((m) => m.startsWith(`${evt.project}/`))
              .map((m) => m.slice(evt.project.length + 1))
          : evt.resources.filter((r) => r.kind === 'Warehouse').map((r) => r.name);
        for (const name of gone) {
          if (await forgetWarehouse(evt.project, name))
            ctx.log.info({ warehouse: name }, 'deleted warehouse unscheduled');
        }
      },
    }),
  ];
  const timer = every(options.tickMs ?? 1000, tick, log);
  const reconcile = every(config.reconcileIntervalMs, ensureScheduled, log);
  const tickNow = () => tick().catch((err) => log.error({ err }, 'discovery tick failed'));
  // Requests from the api: tag → digest for manual Freight, and read-only tests of subscriptions.
  // Tests clone into a directory of their own, so they never race a discovery's fetch.
  // Requests use the Project's credentials as discovery does, and never write the caches or memos.
  const testGit =
    options.git ??
    gitDiscoverer({
      cacheDir: join(config.gitCacheDir, 'poller-test'),
      memo: readOnlyGitMemo(redisGitMemo(store)),
    });
  const requests = startPollerRequests(bus, log, {
    registry,
    cache: options.cache ?? redisDiscoveryCache(store),
    git: testGit,
    clock,
    forProject: (project) => {
      const forType = (type: 'image' | 'helm') =>
        registry instanceof RegistryClient ? projectRegistry(registry, secrets, project, type) : registry;
      return {
        registry: forType('image'),
        git: projectGit(testGit, secrets, project),
        charts:
          options.charts ??
          helmDiscoverer({
            registry: forType('helm'),
            memo: readOnlyHelmMemo(redisHelmMemo(store)),
            credentials: options.chartCredentials ?? projectChartCredentials(secrets, project),
          }),
      };
    },
  });

  return {
    stop: async () => {
      requests.stop();
      await Promise.all(consumers.map((c) => c.stop()));
      await timer.stop();
      await reconcile.stop();
    },
  };
}

/**
 * Starts timing one discovery of a Warehouse. The function returned, called when it ends (failed or
 * not), records it in `ferry_discovery_duration_seconds` (by project, the trace active now as its
 * exemplar) and sets the Warehouse's `ferry_discovery_last_duration_seconds` and
 * `ferry_discovery_last_timestamp_seconds`; it returns the duration in seconds.
 */
export function startDiscoveryTimer(project: string, warehouse: string, clock: () => Date): () => number {
  const end = discoveryDuration.startTimer({ project });
  return () => {
    const seconds = end();
    discoveryLastDuration.set({ project, warehouse }, seconds);
    discoveryLastTime.set({ project, warehouse }, clock().getTime() / 1000);
    return seconds;
  };
}

/** Drops a Warehouse's `ferry_discovery_last_*` series: it was deleted, so its figures are no longer news. */
export function forgetDiscoverySeries(project: string, warehouse: string): void {
  discoveryLastDuration.remove({ project, warehouse });
  discoveryLastTime.remove({ project, warehouse });
}

/** Records one registry request in the `ferry_registry_*` metrics (the client's `onRequest` hook). */
export function recordRegistryRequest(e: RegistryRequestEvent): void {
  registryRequests.inc({ registry: e.registry, code: String(e.status) });
  registryRequestDuration.observe({ registry: e.registry }, e.ms / 1000);
  if (e.status === 429) registryRateLimited.inc({ registry: e.registry });
  if (e.retryWaitMs !== undefined) registryRateLimitWait.inc({ registry: e.registry }, e.retryWaitMs / 1000);
}

/** Wraps a discovery cache so every lookup counts in `ferry_discovery_cache_lookups_total`. */
export function countingCache(cache: DiscoveryCache): DiscoveryCache {
  const count = (kind: string, asked: number, found: number) => {
    if (found) discoveryCacheLookups.inc({ kind, result: 'hit' }, found);
    if (asked > found) discoveryCacheLookups.inc({ kind, result: 'miss' }, asked - found);
  };
  // Methods named one by one: a class-based cache's methods would not survive a spread.
  return {
    putTags: (scope, entries) => cache.putTags(scope, entries),
    putImages: (scope, entries) => cache.putImages(scope, entries),
    swapTagListHash: (repoURL, hash) => cache.swapTagListHash(repoURL, hash),
    getTags: async (scope, tags) => {
      const found = await cache.getTags(scope, tags);
      count(CacheKinds.tag, tags.length, found.size);
      return found;
    },
    getImages: async (scope, digests) => {
      const found = await cache.getImages(scope, digests);
      count(CacheKinds.image, digests.length, found.size);
      return found;
    },
  };
}
