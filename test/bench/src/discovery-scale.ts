/**
 * Issue 3's scale benchmark: 1,000 Warehouses of 100 tags each, polled every minute by one
 * warehouse-poller process, its CPU time and memory read from `/proc` from outside; baseline: the
 * Kargo-style discovery (no cache, one manifest GET per candidate) on a sample of the same Warehouses.
 */
import { rm } from 'node:fs/promises';
import type { ImageSubscription, Warehouse } from '@ferry/contracts';
import { parseGoDuration } from '@ferry/kargo';
import type { ServiceBuild } from '@ferry/launcher';
import { buildServices } from '@ferry/launcher/build';
import { Store } from '@ferry/store';
import {
  freePort,
  MANIFEST_ACCEPT,
  startNatsServer,
  startRegistry,
  type TestNatsServer,
  type TestRegistry,
  tempDir,
} from '@ferry/support';
import { eachLimited, kargoDiscover } from './kargo-baseline.ts';
import { ratio, table } from './report.ts';
import {
  type ProcSample,
  readProc,
  type ServiceProcess,
  spawnService,
  waitReady,
} from './service-process.ts';

/** The Redis database this benchmark owns (shared with the discovery benchmark, which runs before or after); flushed before and after. */
export const SCALE_DISCOVERY_REDIS_DB = 15;
/** The Project every Warehouse belongs to. */
const PROJECT = 'scale';

/** The shape of one run. */
export interface DiscoveryScaleOptions {
  /** Image repositories on the registry. */
  repositories: number;
  /** Tags per repository (`1.0.0` … `1.0.<n-1>`, all on one manifest). */
  tagsPerRepository: number;
  /** Warehouses subscribed to each repository. */
  warehousesPerRepository: number;
  /** Every Warehouse's `spec.interval`, in ms (a whole number of seconds). */
  intervalMs: number;
  /** Intervals measured after the first (cold) one. */
  measuredIntervals: number;
  /** Warehouses the Kargo-style baseline discovers (one per repository, in order). */
  baselineSample: number;
  /** Extra environment for the poller (e.g. `FERRY_POLLER_CONCURRENCY`). */
  pollerEnv?: NodeJS.ProcessEnv;
  /** Node options for the poller (e.g. `--cpu-prof`). */
  pollerNodeArgs?: readonly string[];
  /** Run the poller's bundle (`pnpm build`, as the container image does; the default) or its sources. */
  pollerBuild?: ServiceBuild;
}

/** Issue 3's figures: 100 repositories × 10 Warehouses = 1,000 Warehouses, 100 tags, a 1-minute interval. */
export const DISCOVERY_SCALE_DEFAULTS: DiscoveryScaleOptions = {
  repositories: 100,
  tagsPerRepository: 100,
  warehousesPerRepository: 10,
  intervalMs: 60_000,
  measuredIntervals: 3,
  baselineSample: 100,
};

/** What happened in one interval of the run. */
export interface IntervalFigures {
  /** 0 for the cold one (start-up and the first discovery of every Warehouse). */
  index: number;
  /** Its length in ms (the bench's clock). */
  wallMs: number;
  /** The poller's CPU time in it, ms. */
  cpuMs: number;
  /** The largest resident set size sampled in it (once a second), bytes. */
  maxRssBytes: number;
  /** Registry requests served in it. */
  registryRequests: number;
  /** Discoveries in it (tag-list requests; each discovery of these Warehouses lists once). */
  discoveries: number;
  /** The most a due Warehouse was overdue at a sample (now minus the oldest due time), ms. */
  maxOverdueMs: number;
}

/** The result of {@link runDiscoveryScaleBench}. */
export interface DiscoveryScaleResult {
  options: DiscoveryScaleOptions;
  warehouses: number;
  /** Interval 0 (cold) first, then the measured ones. */
  intervals: IntervalFigures[];
  /** `VmHWM` of the poller at the end: the peak resident set since it started. */
  peakRssBytes: number;
  /** Time to fill the registry. */
  seedMs: number;
  /** Registry requests of one Kargo-style discovery, averaged over the sample. */
  baselineRequestsPerDiscovery: number;
  /** Wall time of the sample's Kargo-style discoveries, 8 at a time. */
  baselineSampleMs: number;
  /** Whether every sampled Kargo-style discovery picked the tag Ferry recorded for that Warehouse. */
  samePick: boolean;
  /** Lines the poller logged at warn or above during the run (should be none). */
  pollerProblems: string[];
}

/**
 * Reads the command-line options of `pnpm bench discovery-scale`: `--interval=<Go duration>` (whole
 * seconds, at least 1s), `--poller-node-options=<node flags, space separated>` and
 * `--poller-build=bundle|source`. Throws naming the
 * option that is wrong and what it takes.
 */
export function discoveryScaleArgs(args: readonly string[]): Partial<DiscoveryScaleOptions> {
  const out: Partial<DiscoveryScaleOptions> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const [name, value] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, ''];
    if (name === '--interval') {
      let ms = Number.NaN;
      try {
        ms = parseGoDuration(value);
      } catch {}
      if (!Number.isInteger(ms / 1000) || ms < 1000) {
        throw new Error(
          `--interval must be a Go duration of whole seconds, at least 1s (like --interval=20s), got "${value}"`,
        );
      }
      out.intervalMs = ms;
    } else if (name === '--poller-node-options') {
      const flags = value.split(/\s+/).filter(Boolean);
      const bad = flags.find((f) => !f.startsWith('--'));
      if (flags.length === 0 || bad !== undefined) {
        throw new Error(
          `--poller-node-options takes node flags, each starting with "--" (like --poller-node-options="--max-old-space-size=96"), got "${value}"`,
        );
      }
      out.pollerNodeArgs = flags;
    } else if (name === '--poller-build') {
      if (value !== 'bundle' && value !== 'source') {
        throw new Error(`--poller-build must be bundle or source, got "${value}"`);
      }
      out.pollerBuild = value;
    } else {
      throw new Error(
        `unknown option "${arg}"; pnpm bench takes --interval=<duration>, --poller-node-options=<flags> and --poller-build=bundle|source (for discovery-scale)`,
      );
    }
  }
  return out;
}

const repoName = (i: number) => `scale/r${String(i).padStart(3, '0')}`;
const warehouseName = (repo: number, n: number) => `w-r${String(repo).padStart(3, '0')}-${n}`;

/**
 * Fills a docker-registry, applies the Warehouses to Redis database 15, starts warehouse-poller as a
 * child process (with a private NATS), samples it once a second for `1 + measuredIntervals` intervals,
 * then runs the Kargo-style baseline on a sample. Everything started is stopped and removed at the end,
 * also when the run fails.
 */
export async function runDiscoveryScaleBench(
  log: (line: string) => void,
  options: DiscoveryScaleOptions = DISCOVERY_SCALE_DEFAULTS,
): Promise<DiscoveryScaleResult> {
  const { repositories, tagsPerRepository, intervalMs } = options;
  if (!Number.isInteger(intervalMs / 1000) || intervalMs < 1000) {
    throw new RangeError(`intervalMs must be a whole number of seconds, got ${intervalMs}`);
  }
  const build = options.pollerBuild ?? 'bundle';
  if (build === 'bundle') {
    // The poller's bundle from the sources as they are now, as `pnpm build` writes it.
    const [built] = await buildServices(['warehouse-poller']);
    log(`bundled warehouse-poller (${(built!.bytes / 1024 / 1024).toFixed(2)} MB)`);
  }
  const dir = await tempDir('bench-discovery-scale');
  const redisUrl = `redis://127.0.0.1:6379/${SCALE_DISCOVERY_REDIS_DB}`;
  const store = Store.connect(redisUrl, 'ferry-bench');
  let registry: TestRegistry | undefined;
  let nats: TestNatsServer | undefined;
  let poller: ServiceProcess | undefined;
  let failed = true;
  try {
    await store.redis.flushdb();
    registry = await startRegistry();
    nats = await startNatsServer();
    const t0 = performance.now();
    await seed(registry, repositories, tagsPerRepository);
    const seedMs = performance.now() - t0;
    log(
      `seeded ${repositories} repositories × ${tagsPerRepository} tags (${registry.requests} requests, ${Math.round(seedMs)} ms)`,
    );
    const warehouses = await applyWarehouses(store, registry.host, options);
    log(`applied ${warehouses} Warehouses to Redis database ${SCALE_DISCOVERY_REDIS_DB}`);

    const opsPort = await freePort();
    poller = spawnService(
      'warehouse-poller',
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        FERRY_NATS_URL: nats.url,
        FERRY_REDIS_URL: redisUrl,
        FERRY_OPS_PORT: String(opsPort),
        FERRY_GIT_CACHE_DIR: `${dir}/git-cache`,
        // Production's level: one "discovery finished" line per discovery is part of the cost.
        FERRY_LOG_LEVEL: 'info',
        // 1,000 Warehouses × 2 requests a minute is 33 requests/s on one host, above the default
        // budget of 20/s: raise this registry's, as an operator with their own registry would.
        FERRY_REGISTRY_RATE_LIMITS: `${registry.host}=1000`,
        ...options.pollerEnv,
      },
      dir,
      options.pollerNodeArgs,
      build,
    );
    registry.resetRequests();
    const started = await readProc(poller.pid);
    await waitReady(`http://127.0.0.1:${opsPort}/readyz`, 'warehouse-poller', poller.logFile);
    log(
      `warehouse-poller is ready (pid ${poller.pid}); measuring ${1 + options.measuredIntervals} intervals`,
    );

    const intervals: IntervalFigures[] = [];
    let boundary = started;
    let requestsAt = 0;
    for (let index = 0; index <= options.measuredIntervals; index++) {
      const end = boundary.at + intervalMs;
      let maxRss = 0;
      let maxOverdue = 0;
      while (performance.now() < end) {
        await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, end - performance.now()))));
        const s = await readProc(poller.pid).catch(() => {
          throw new Error(`warehouse-poller exited during the run:\n${poller?.logTail()}`);
        });
        maxRss = Math.max(maxRss, s.rssBytes);
        const oldest = await store.redis.zrange('ferry:poll:due', 0, 0, 'WITHSCORES');
        if (oldest[1] !== undefined) maxOverdue = Math.max(maxOverdue, Date.now() - Number(oldest[1]));
      }
      const now: ProcSample = await readProc(poller.pid);
      const logged = registry.requestLog.slice(requestsAt);
      requestsAt = registry.requestLog.length;
      const figures: IntervalFigures = {
        index,
        wallMs: now.at - boundary.at,
        cpuMs: now.cpuMs - boundary.cpuMs,
        maxRssBytes: maxRss,
        registryRequests: logged.length,
        discoveries: logged.filter((r) => r.path.endsWith('/tags/list') || r.path.includes('/tags/list?'))
          .length,
        maxOverdueMs: maxOverdue,
      };
      intervals.push(figures);
      log(
        `interval ${index}: cpu ${(figures.cpuMs / figures.wallMs).toFixed(3)} cores, rss ${mb(maxRss)} MB, ` +
          `${figures.discoveries} discoveries, ${figures.registryRequests} requests, overdue ≤ ${Math.round(maxOverdue)} ms`,
      );
      boundary = now;
    }
    const peakRssBytes = (await readProc(poller.pid)).hwmBytes;
    await poller.stop();
    const pollerProblems = problems(poller.logTail(1_000_000));

    // Baseline: the Kargo way for the first Warehouse of each of the first `baselineSample` repositories.
    const sample = Array.from({ length: Math.min(options.baselineSample, repositories) }, (_, i) => i);
    let samePick = true;
    registry.resetRequests();
    const b0 = performance.now();
    await eachLimited(sample, 8, async (i) => {
      const sub = subscription(`${registry!.host}/${repoName(i)}`);
      const base = await kargoDiscover(registry!.url, repoName(i), sub);
      const status = await store.getWarehouseStatus(PROJECT, warehouseName(i, 0));
      const ferryTag = status?.discoveredArtifacts?.images?.[0]?.references?.[0]?.tag;
      if (base?.tag === undefined || base.tag !== ferryTag) samePick = false;
    });
    const baselineSampleMs = performance.now() - b0;
    const baselineRequestsPerDiscovery = registry.requests / sample.length;
    failed = false;
    return {
      options,
      warehouses,
      intervals,
      peakRssBytes,
      seedMs,
      baselineRequestsPerDiscovery,
      baselineSampleMs,
      samePick,
      pollerProblems,
    };
  } finally {
    if (failed && poller) log(`warehouse-poller's last lines:\n${poller.logTail()}`);
    await poller?.stop();
    await nats?.close();
    await registry?.close();
    await store.redis.flushdb().catch(() => {});
    await store.close();
    if (!process.env.BENCH_KEEP_DIR) await rm(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

/** The table printed for {@link runDiscoveryScaleBench}: one row per interval, then the comparison. */
export function discoveryScaleTables(r: DiscoveryScaleResult): string {
  const perInterval = table(
    [
      'interval',
      'wall s',
      'CPU (cores)',
      'max RSS MB',
      'discoveries',
      'registry req',
      'req/discovery',
      'max overdue s',
    ],
    r.intervals.map((i) => [
      i.index === 0 ? '0 (cold)' : String(i.index),
      (i.wallMs / 1000).toFixed(1),
      (i.cpuMs / i.wallMs).toFixed(3),
      mb(i.maxRssBytes),
      String(i.discoveries),
      String(i.registryRequests),
      i.discoveries ? (i.registryRequests / i.discoveries).toFixed(2) : '–',
      (i.maxOverdueMs / 1000).toFixed(1),
    ]),
  );
  const steady = r.intervals.slice(1);
  const sum = (f: (i: IntervalFigures) => number) => steady.reduce((a, i) => a + f(i), 0);
  const cores = sum((i) => i.cpuMs) / sum((i) => i.wallMs);
  const reqPerInterval = sum((i) => i.registryRequests) / steady.length;
  const discPerInterval = sum((i) => i.discoveries) / steady.length;
  const baselinePerInterval = r.baselineRequestsPerDiscovery * r.warehouses;
  const summary = table(
    ['measure', 'Ferry (steady intervals)', 'Kargo-style', 'Kargo-style ÷ Ferry', 'target'],
    [
      ['CPU (cores)', cores.toFixed(3), '–', '–', '< 0.5'],
      ['peak RSS (VmHWM) MB', mb(r.peakRssBytes), '–', '–', '< 100'],
      ['discoveries / interval', discPerInterval.toFixed(0), String(r.warehouses), '–', String(r.warehouses)],
      [
        'registry requests / interval',
        reqPerInterval.toFixed(0),
        baselinePerInterval.toFixed(0),
        ratio(baselinePerInterval, reqPerInterval),
        '–',
      ],
      [
        'registry requests / discovery',
        discPerInterval ? (reqPerInterval / discPerInterval).toFixed(2) : '–',
        r.baselineRequestsPerDiscovery.toFixed(2),
        ratio(r.baselineRequestsPerDiscovery, discPerInterval ? reqPerInterval / discPerInterval : 0),
        '–',
      ],
    ],
  );
  const notes = [
    `${r.warehouses} Warehouses (${r.options.repositories} repositories × ${r.options.warehousesPerRepository}), ` +
      `${r.options.tagsPerRepository} tags each, interval ${r.options.intervalMs / 1000} s; registry seeded in ${(r.seedMs / 1000).toFixed(1)} s.`,
    `warehouse-poller run from its ${r.options.pollerBuild === 'source' ? 'TypeScript sources' : 'bundle (pnpm build)'} with the launcher's flags${r.options.pollerNodeArgs?.length ? ` and ${r.options.pollerNodeArgs.join(' ')}` : ''}.`,
    `Kargo-style sample: ${Math.min(r.options.baselineSample, r.options.repositories)} discoveries in ${Math.round(r.baselineSampleMs)} ms, ` +
      `same pick as Ferry: ${r.samePick ? 'yes' : 'NO'}.`,
    `Poller warnings and errors during the run: ${r.pollerProblems.length}${r.pollerProblems.length ? ` (first: ${r.pollerProblems[0]})` : ''}.`,
  ];
  return `${perInterval}\n\n${summary}\n\n${notes.map((n) => `- ${n}`).join('\n')}`;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

// pino writes JSON lines; level 40 is warn, 50 error, 60 fatal.
function problems(logText: string): string[] {
  return logText
    .split('\n')
    .filter((l) => /"level":(4|5|6)0/.test(l))
    .map((l) => l.slice(0, 300));
}

/**
 * One image under `tagsPerRepository` tags in each repository: pushed once to the first repository,
 * its blobs mounted into the others, and the same manifest bytes PUT under every tag (far quicker than
 * a push per tag; discovery reads tags and digests, not layers).
 */
async function seed(registry: TestRegistry, repositories: number, tagsPerRepository: number): Promise<void> {
  const first = repoName(0);
  await registry.pushImage(first, '1.0.0', { created: new Date('2026-01-01T00:00:00Z') });
  const res = await fetch(`${registry.url}/v2/${first}/manifests/1.0.0`, {
    headers: { Accept: MANIFEST_ACCEPT },
  });
  if (res.status !== 200) throw new Error(`seeding: GET manifest ${first}:1.0.0 answered HTTP ${res.status}`);
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const bytes = Buffer.from(await res.arrayBuffer());
  const manifest = JSON.parse(bytes.toString('utf8')) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  const blobs = [manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
  const repos = Array.from({ length: repositories }, (_, i) => i);
  await eachLimited(repos.slice(1), 8, async (i) => {
    for (const digest of blobs) {
      const mount = await fetch(
        `${registry.url}/v2/${repoName(i)}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(first)}`,
        { method: 'POST' },
      );
      await mount.body?.cancel();
      if (mount.status !== 201)
        throw new Error(
          `seeding: mounting ${digest} into ${repoName(i)} answered HTTP ${mount.status}, want 201`,
        );
    }
  });
  const puts = repos.flatMap((i) =>
    Array.from({ length: tagsPerRepository }, (_, t) => [repoName(i), `1.0.${t}`] as const).filter(
      ([, tag]) => i !== 0 || tag !== '1.0.0',
    ),
  );
  await eachLimited(puts, 16, async ([repo, tag]) => {
    const put = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    await put.body?.cancel();
    if (put.status !== 201)
      throw new Error(`seeding: PUT manifest ${repo}:${tag} answered HTTP ${put.status}`);
  });
}

/** Kargo's defaults: SemVer, discoveryLimit 20, no `cacheByTag`. */
function subscription(repoURL: string): ImageSubscription {
  return {
    repoURL,
    imageSelectionStrategy: 'SemVer',
    strictSemvers: true,
    allowTagsRegexes: [],
    ignoreTagsRegexes: [],
    discoveryLimit: 20,
  };
}

async function applyWarehouses(store: Store, host: string, o: DiscoveryScaleOptions): Promise<number> {
  const interval = `${Math.floor(o.intervalMs / 60_000)}m${(o.intervalMs % 60_000) / 1000}s`;
  const now = new Date().toISOString();
  await store.applyResources(
    [
      {
        project: PROJECT,
        resource: { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Project', metadata: { name: PROJECT } },
      },
    ],
    now,
  );
  let n = 0;
  for (let repo = 0; repo < o.repositories; repo++) {
    const items = Array.from({ length: o.warehousesPerRepository }, (_, w) => {
      const resource: Warehouse = {
        apiVersion: 'kargo.akuity.io/v1alpha1',
        kind: 'Warehouse',
        metadata: { name: warehouseName(repo, w), namespace: PROJECT },
        spec: {
          interval,
          freightCreationPolicy: 'Automatic',
          subscriptions: [{ image: subscription(`${host}/${repoName(repo)}`) }],
        },
      };
      return { project: PROJECT, resource };
    });
    await store.applyResources(items, now);
    n += items.length;
  }
  return n;
}
