/**
 * warehouse-poller's answers to requests (NATS core request/reply, no stream):
 * - `ResolveImages`: image tags → the digests they point at now, asked of the registry every time
 *   (the api never trusts a digest it was sent; this is how it checks one);
 * - `TestSubscriptions`: a discovery of an unsaved Warehouse that reads the discovery caches but
 *   writes nothing: no Warehouse status, no cache entry, no FreightDiscovered, no schedule.
 */
import type { Bus } from '@ferry/bus';
import {
  type Candidate,
  POLLER_REQUEST_QUEUE,
  type RequestType,
  type ResolvedImage,
  type ResolveImagesReply,
  ResolveImagesRequestSchema,
  requestSubjectFor,
  type SubscriptionTest,
  type TestSubscriptionsReply,
  TestSubscriptionsRequestSchema,
  validate,
  type Warehouse,
} from '@ferry/contracts';
import type { Logger } from '@ferry/observability';
import {
  type DiscoveryCache,
  type DiscoveryResult,
  discoverWarehouse,
  parsePlatform,
  type RegistryPort,
} from './discover.ts';
import type { GitDiscoverer, GitMemoCache } from './git.ts';
import type { ChartDiscoverer, HelmIndexMemoCache } from './helm.ts';

/** What the request handlers use: the poller's own registry client, caches and git discoverer. */
export interface PollerRequestDeps {
  /** The registry client discovery uses (its rate limits apply to these requests too). */
  registry: RegistryPort;
  /** The discovery caches; only read (see {@link readOnlyCache}). */
  cache: DiscoveryCache;
  /** Git discovery for tests of git subscriptions; such a subscription fails without it. */
  git?: GitDiscoverer;
  /** Chart discovery for tests of chart subscriptions (its caches read-only); such a subscription fails without it. */
  charts?: ChartDiscoverer;
  /** The clock discovery stamps its result with. */
  clock: () => Date;
  /**
   * The ports bound to a request's Project (its credential Secrets); what it returns replaces
   * `registry`, `git` and `charts`. Absent = the ports above, as given.
   */
  forProject?: (project: string) => Partial<Pick<PollerRequestDeps, 'registry' | 'git' | 'charts'>>;
}

/** A running set of request subscriptions. */
export interface PollerRequests {
  /** Stops answering (requests in hand still get their answer). */
  stop(): void;
}

/**
 * Answers `ResolveImages` and `TestSubscriptions` for every Project on `bus.nc`, in the queue group
 * `warehouse-poller` so one replica answers each request.
 */
export function startPollerRequests(
  bus: Pick<Bus, 'nc'>,
  log: Logger,
  deps: PollerRequestDeps,
): PollerRequests {
  const answer = (type: RequestType, fn: (payload: unknown) => Promise<unknown>) =>
    bus.nc.subscribe(requestSubjectFor(type, '*'), {
      queue: POLLER_REQUEST_QUEUE,
      callback: (err, msg) => {
        if (err) {
          log.warn({ err, request: type }, 'request subscription failed');
          return;
        }
        void (async () => {
          let reply: unknown;
          try {
            reply = await fn(msg.json());
          } catch (e) {
            log.warn({ err: e, request: type }, 'request failed');
            reply = { error: (e as Error).message };
          }
          msg.respond(JSON.stringify(reply));
        })();
      },
    });
  const subs = [
    answer('ResolveImages', (p) => answerResolveImages(p, deps)),
    answer('TestSubscriptions', (p) => answerTestSubscriptions(p, deps)),
  ];
  log.info('warehouse-poller answering resolve and test requests');
  return {
    stop: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
}

/** Answers a `ResolveImages` payload: one entry per image, in order; a bad payload is an `error`. */
export async function answerResolveImages(
  payload: unknown,
  given: Pick<PollerRequestDeps, 'registry' | 'forProject'>,
): Promise<ResolveImagesReply> {
  let req: ReturnType<typeof validate<typeof ResolveImagesRequestSchema>>;
  try {
    req = validate(ResolveImagesRequestSchema, payload, 'ResolveImages request');
  } catch (e) {
    return { error: (e as Error).message };
  }
  const deps = { ...given, ...given.forProject?.(req.project) };
  const images = await Promise.all(
    req.images.map(async ({ repoURL, tag, platform }): Promise<ResolvedImage> => {
      try {
        const { digest } = await deps.registry.resolveTag(repoURL, tag);
        if (platform) {
          try {
            await deps.registry.getImageInfo(repoURL, digest, parsePlatform(platform));
          } catch (err) {
            if ((err as { code?: string }).code === 'FERRY_ERR_REGISTRY_NOT_FOUND')
              return { repoURL, tag, error: `${repoURL}:${tag} has no image for platform ${platform}` };
            throw err;
          }
        }
        return { repoURL, tag, digest };
      } catch (err) {
        return { repoURL, tag, error: `cannot resolve ${repoURL}:${tag}: ${(err as Error).message}` };
      }
    }),
  );
  return { images };
}

/** Answers a `TestSubscriptions` payload with what each subscription would pick; a bad payload is an `error`. */
export async function answerTestSubscriptions(
  payload: unknown,
  given: PollerRequestDeps,
): Promise<TestSubscriptionsReply> {
  let wh: Warehouse;
  let project: string;
  try {
    const req = validate(TestSubscriptionsRequestSchema, payload, 'TestSubscriptions request');
    wh = req.warehouse as unknown as Warehouse;
    project = req.project;
  } catch (e) {
    return { error: (e as Error).message };
  }
  const deps = { ...given, ...given.forProject?.(project) };
  const result = await discoverWarehouse(wh, deps.registry, deps.clock(), {
    cache: readOnlyCache(deps.cache),
    ...(deps.git ? { git: deps.git } : {}),
    ...(deps.charts ? { charts: deps.charts } : {}),
  });
  const subscriptions = subscriptionTests(wh, result);
  const found = subscriptions.every((s) => s.picked !== undefined);
  return found && result.status.lastFreightID
    ? { subscriptions, freight: result.status.lastFreightID }
    : { subscriptions };
}

/**
 * A discovery result as one entry per subscription, in the Warehouse's order: what it would pick,
 * its ranked candidates and its problem. Discovery numbers problems by subscription
 * (`subscription 2 (repo): ...`) and lists discovered artifacts per kind in subscription order.
 */
export function subscriptionTests(wh: Warehouse, result: DiscoveryResult): SubscriptionTest[] {
  const found = result.status.discoveredArtifacts;
  const problems = new Map<number, string>();
  for (const e of result.errors) {
    const m = /^subscription (\d+) \([^)]*\): (.*)$/s.exec(e);
    if (m) problems.set(Number(m[1]), m[2]!);
  }
  const seen = { image: 0, git: 0, chart: 0 };
  return wh.spec.subscriptions.map((s, index): SubscriptionTest => {
    let out: SubscriptionTest;
    if (s.image) {
      const d = found?.images[seen.image++];
      out = {
        index,
        kind: 'image',
        repoURL: s.image.repoURL,
        candidates: (d?.references ?? []).map((r) => ({
          tag: r.tag,
          ...(r.digest ? { digest: r.digest } : {}),
          ...(r.createdAt ? { createdAt: r.createdAt } : {}),
        })),
      };
    } else if (s.git) {
      const d = found?.git?.[seen.git++];
      out = {
        index,
        kind: 'git',
        repoURL: s.git.repoURL,
        candidates: (d?.commits ?? []).map(
          (c): Candidate => ({
            id: c.id,
            ...(c.tag ? { tag: c.tag } : {}),
            ...(c.branch ? { branch: c.branch } : {}),
            ...(c.subject ? { subject: c.subject } : {}),
            ...(c.creatorDate ? { creatorDate: c.creatorDate } : {}),
          }),
        ),
      };
    } else {
      const chart = s.chart!;
      const d = found?.charts?.[seen.chart++];
      out = {
        index,
        kind: 'chart',
        repoURL: chart.repoURL,
        ...(chart.name ? { name: chart.name } : {}),
        candidates: (d?.versions ?? []).map((version) => ({ version })),
      };
    }
    const problem = problems.get(index);
    if (problem !== undefined) out.error = problem;
    else if (out.candidates[0] !== undefined) out.picked = out.candidates[0];
    else out.error = 'found no candidate';
    return out;
  });
}

/**
 * A view of the discovery caches that reads and never writes: a test of a subscription must leave
 * the poller's state as it found it. The tag-list hash is not read either (it only tells which
 * repositories changed since the last stored discovery, which a test does not report).
 */
export function readOnlyCache(cache: DiscoveryCache): DiscoveryCache {
  return {
    getTags: (scope, tags) => cache.getTags(scope, tags),
    getImages: (scope, digests) => cache.getImages(scope, digests),
    putTags: async () => {},
    putImages: async () => {},
    swapTagListHash: async () => undefined,
  };
}

/** A view of the Helm index memo that reads and never writes (see {@link readOnlyCache}). */
export function readOnlyHelmMemo(memo: HelmIndexMemoCache): HelmIndexMemoCache {
  return { get: (key) => memo.get(key), put: async () => {} };
}

/** A view of the git memo that reads and never writes (see {@link readOnlyCache}). */
export function readOnlyGitMemo(memo: GitMemoCache): GitMemoCache {
  return { get: (key) => memo.get(key), put: async () => {} };
}
