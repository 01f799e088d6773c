/**
 * Issue 3's webhook benchmark: registry push → Freight through the distribution webhook, with the api,
 * warehouse-poller and freight-store as child processes; baseline: the same push → Freight on the poll
 * interval alone (no webhook), measured at a short interval, and Kargo's 5-minute default computed from it.
 */
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Bus } from '@ferry/bus';
import { freightId, parseGoDuration } from '@ferry/kargo';
import { createLogger } from '@ferry/observability';
import { Store } from '@ferry/store';
import {
  freePort,
  startNatsServer,
  startRegistry,
  type TestNatsServer,
  type TestRegistry,
  tempDir,
} from '@ferry/support';
import { ms, percentile, ratio, table } from './report.ts';
import { type ServiceProcess, spawnService, waitReady } from './service-process.ts';

/** The Redis database this benchmark owns (as the discovery benchmarks do; they run one after another). */
export const WEBHOOK_REDIS_DB = 15;
/** Pushes measured through the webhook, one at a time. */
export const WEBHOOK_PUSHES = 50;
/** Time from one push's start to the next (see {@link runWebhookBench} on the receiver's rate limit). */
export const PUSH_SPACING_MS = 1000;
/**
 * A webhook push whose Freight has not come this long after the push counts as missed: the registry
 * can send the manifest's push event before it has written the tag, so the refresh finds the tag
 * listed but not resolvable (HTTP 404), and the Warehouse's 5-minute interval is the next chance.
 */
export const MISS_AFTER_MS = 10_000;
/** Pushes measured back to back (each still waits for its Freight), to show the rate limit. */
export const BURST_PUSHES = 12;
/** The baseline Warehouse's `spec.interval` (no webhook). */
export const POLL_INTERVAL = '5s';
/** Pushes measured on the baseline, each at a random point of the interval. */
export const POLL_PUSHES = 10;
/** Kargo's default Warehouse interval, for the computed column. */
export const KARGO_DEFAULT_INTERVAL_MS = 5 * 60_000;

const HOOKED = 'hooked';
const POLLED = 'polled';
const WAREHOUSE = 'app';
const SECRET = 'bench-webhook-token';

/** Latencies of one way of turning a push into Freight, ms. */
export interface LatencySeries {
  /** What was measured. */
  label: string;
  samples: number[];
}

/** The result of {@link runWebhookBench}. */
export interface WebhookBench {
  /** Paced pushes through the webhook. */
  webhook: LatencySeries;
  /** Back-to-back pushes through the webhook. */
  burst: LatencySeries;
  /** Pushes found by the poll interval alone. */
  polled: LatencySeries;
  /** Webhook deliveries the api answered, by HTTP status. */
  deliveries: Record<string, number>;
  /** Registry notifications dropped before the api (pulls, blob pushes), as the registry's `ignore` would. */
  dropped: number;
  /** Webhook pushes whose Freight did not come within {@link MISS_AFTER_MS} (left out of the latencies). */
  missed: number;
}

/**
 * Starts NATS, a docker-registry whose notifications go to the api's distribution receiver, and
 * freight-store, warehouse-poller and api as processes (Redis database 15, auth off). Then, from the
 * moment each push's manifest PUT is answered to the moment FreightCreated for exactly that image
 * arrives on NATS:
 * 1. {@link WEBHOOK_PUSHES} pushes to a Warehouse with Kargo's default 5-minute interval, so only the
 *    webhook can make it quick; one at a time, each waiting for its Freight, {@link PUSH_SPACING_MS}
 *    apart: the receiver allows a burst of 20 requests then one a second, and a push is one delivery
 *    once pulls and blob pushes are filtered out (see {@link startEventFilter}).
 * 2. {@link BURST_PUSHES} pushes back to back (each still waits for its Freight): what a burst costs.
 * 3. The baseline: {@link POLL_PUSHES} pushes to a Warehouse of a Project without a receiver, interval
 *    {@link POLL_INTERVAL}, each after a random pause so pushes land at random points of the interval.
 */
export async function runWebhookBench(log: (line: string) => void): Promise<WebhookBench> {
  const dir = await tempDir('bench-webhook');
  const redisUrl = `redis://127.0.0.1:6379/${WEBHOOK_REDIS_DB}`;
  const store = Store.connect(redisUrl, 'ferry-bench');
  const services: ServiceProcess[] = [];
  let nats: TestNatsServer | undefined;
  let registry: TestRegistry | undefined;
  let bus: Bus | undefined;
  let filter: EventFilter | undefined;
  let failed = true;
  try {
    await store.redis.flushdb();
    nats = await startNatsServer();
    const apiPort = await freePort();
    const api = `http://127.0.0.1:${apiPort}`;
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FERRY_NATS_URL: nats.url,
      FERRY_REDIS_URL: redisUrl,
      FERRY_API_PORT: String(apiPort),
      FERRY_AUTH: 'none',
      FERRY_GIT_CACHE_DIR: `${dir}/git-cache`,
      FERRY_LOG_LEVEL: 'info',
      // The receiver's Secret the interim way (FERRY_WEBHOOK_SECRET_<NAME>), so no encryption key is needed.
      FERRY_WEBHOOK_SECRET_HOOK_SECRET: SECRET,
    };
    for (const service of ['freight-store', 'warehouse-poller', 'api']) {
      const opsPort = await freePort();
      const p = spawnService(service, { ...base, FERRY_OPS_PORT: String(opsPort) }, dir);
      services.push(p);
      await waitReady(`http://127.0.0.1:${opsPort}/readyz`, service, p.logFile);
    }
    bus = await Bus.connect({
      servers: nats.url,
      name: 'ferry-bench',
      log: createLogger('bench', 'silent'),
      maxDeliver: 1,
    });
    const created = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    const sub = bus.nc.subscribe('ferry.v1.freight.created.>', {
      callback: (err, m) => {
        if (err) return;
        const id = (m.json() as { freight: string }).freight;
        created.set(id, performance.now());
        waiters.get(id)?.();
      },
    });

    await apply(api, projects());
    const path = await receiverPath(api);
    filter = await startEventFilter(`${api}${path}`);
    registry = await startRegistry({
      notify: { url: filter.url, headers: { Authorization: [`Bearer ${SECRET}`] } },
    });
    const reg = registry;
    const repoURL = (project: string) => `${reg.host}/bench/${project}`;
    // Something to discover first, so the measured pushes are the only change each time.
    for (const project of [HOOKED, POLLED]) await reg.pushImage(`bench/${project}`, '1.0.0');
    await apply(api, warehouses(repoURL(HOOKED), repoURL(POLLED)));

    /**
     * Pushes `tag`, then waits up to `timeoutMs` for FreightCreated of that image; resolves with the
     * latency in ms, or undefined when it did not come (counted as missed).
     */
    const measure = async (project: string, tag: string, timeoutMs: number): Promise<number | undefined> => {
      const image = await reg.pushImage(`bench/${project}`, tag);
      const pushed = performance.now();
      const id = freightId({
        origin: { kind: 'Warehouse', name: WAREHOUSE },
        images: [{ repoURL: repoURL(project), tag, digest: image.digest }],
        commits: [],
        charts: [],
      });
      const arrived = await new Promise<boolean>((resolve) => {
        if (created.has(id)) return resolve(true);
        const t = setTimeout(() => resolve(false), timeoutMs);
        waiters.set(id, () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      waiters.delete(id);
      return arrived ? created.get(id)! - pushed : undefined;
    };
    await waitFor('the first Freight of both Warehouses', async () => {
      const [a, b] = await Promise.all([
        store.redis.zcard(`ferry:p:${HOOKED}:freight:by-warehouse:${WAREHOUSE}`),
        store.redis.zcard(`ferry:p:${POLLED}:freight:by-warehouse:${WAREHOUSE}`),
      ]);
      return a > 0 && b > 0;
    });

    const webhook: number[] = [];
    let missed = 0;
    for (let i = 1; i <= WEBHOOK_PUSHES; i++) {
      const started = performance.now();
      const took = await measure(HOOKED, `1.0.${i}`, MISS_AFTER_MS);
      if (took === undefined) missed++;
      else webhook.push(took);
      await sleep(PUSH_SPACING_MS - (performance.now() - started));
    }
    log(`webhook: ${WEBHOOK_PUSHES} paced pushes, p50 ${ms(percentile(webhook, 50))} ms`);
    // Let the receiver's bucket fill up again before the burst.
    await sleep(12_000);
    const burst: number[] = [];
    for (let i = 1; i <= BURST_PUSHES; i++) {
      const took = await measure(HOOKED, `1.1.${i}`, MISS_AFTER_MS);
      if (took === undefined) missed++;
      else burst.push(took);
    }
    log(`webhook: ${BURST_PUSHES} back-to-back pushes, max ${ms(Math.max(...burst))} ms`);

    const intervalMs = parseGoDuration(POLL_INTERVAL);
    const polled: number[] = [];
    for (let i = 1; i <= POLL_PUSHES; i++) {
      await sleep(Math.random() * intervalMs);
      const took = await measure(POLLED, `1.0.${i}`, 4 * intervalMs);
      if (took === undefined)
        throw new Error(`no Freight for ${POLLED}/${WAREHOUSE} 1.0.${i} within four intervals`);
      polled.push(took);
    }
    log(`interval ${POLL_INTERVAL}: ${POLL_PUSHES} pushes, p50 ${ms(percentile(polled, 50))} ms`);
    sub.unsubscribe();
    failed = false;
    return {
      webhook: { label: 'webhook, paced', samples: webhook },
      burst: { label: 'webhook, back to back', samples: burst },
      polled: { label: `interval ${POLL_INTERVAL}, no webhook`, samples: polled },
      deliveries: { ...filter.answered },
      dropped: filter.dropped,
      missed,
    };
  } finally {
    if (failed) for (const s of services) log(`${s.logFile}, last lines:\n${s.logTail(15)}`);
    await bus?.close().catch(() => {});
    for (const s of services.reverse()) await s.stop();
    await registry?.close();
    await filter?.close();
    await nats?.close();
    await store.redis.flushdb().catch(() => {});
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The tables printed for {@link runWebhookBench}. */
export function webhookTables(r: WebhookBench): string {
  const row = (s: LatencySeries) => [
    s.label,
    String(s.samples.length),
    ms(percentile(s.samples, 50)),
    ms(percentile(s.samples, 90)),
    ms(percentile(s.samples, 99)),
    ms(percentile(s.samples, 100)),
  ];
  // With pushes at uniformly random points of the interval, the wait for the next discovery is
  // uniform on [0, interval]; add what the webhook path takes for the discovery itself.
  const kargo = (p: number) => (p / 100) * KARGO_DEFAULT_INTERVAL_MS + percentile(r.webhook.samples, 50);
  const latency = table(
    ['push → FreightCreated', 'n', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
    [
      row(r.webhook),
      row(r.burst),
      row(r.polled),
      [
        'interval 5m0s (Kargo default), computed',
        '–',
        ms(kargo(50)),
        ms(kargo(90)),
        ms(kargo(99)),
        ms(kargo(100)),
      ],
    ],
  );
  const ratios = table(
    ['ratio to the paced webhook', 'p50', 'p90', 'max'],
    [
      [
        `interval ${POLL_INTERVAL} ÷ webhook`,
        ratio(percentile(r.polled.samples, 50), percentile(r.webhook.samples, 50)),
        ratio(percentile(r.polled.samples, 90), percentile(r.webhook.samples, 90)),
        ratio(percentile(r.polled.samples, 100), percentile(r.webhook.samples, 100)),
      ],
      [
        'interval 5m0s (computed) ÷ webhook',
        ratio(kargo(50), percentile(r.webhook.samples, 50)),
        ratio(kargo(90), percentile(r.webhook.samples, 90)),
        ratio(kargo(100), percentile(r.webhook.samples, 100)),
      ],
    ],
  );
  const codes = Object.entries(r.deliveries)
    .map(([code, n]) => `${n} × ${code}`)
    .join(', ');
  return (
    `${latency}\n\n${ratios}\n\n- Webhook deliveries the api answered: ${codes || 'none'}; ` +
    `registry notifications dropped before the api (pulls, blob pushes): ${r.dropped}.\n` +
    `- Webhook pushes without Freight within ${MISS_AFTER_MS / 1000} s (missed, not in the latencies): ${r.missed} of ${WEBHOOK_PUSHES + BURST_PUSHES}.`
  );
}

/** The filter of {@link startEventFilter}. */
interface EventFilter {
  url: string;
  /** The api's answers to what was forwarded, by HTTP status. */
  answered: Record<string, number>;
  /** Notifications with nothing left to forward. */
  dropped: number;
  close(): Promise<void>;
}

/**
 * What docker-registry's `ignore: {mediatypes: [application/octet-stream], actions: [pull]}` endpoint
 * setting does, in front of the api: the registry's test fixture takes no such setting, and without it
 * every pull (each discovery's HEAD) and every blob push is a delivery that the receiver's rate limit
 * counts (20, then 1 a second), so a push's manifest event queues behind refused ones. Forwards only
 * manifest push events, with the request's headers; answers 200 itself when nothing is left.
 */
async function startEventFilter(target: string): Promise<EventFilter> {
  const answered: Record<string, number> = {};
  const state = { dropped: 0 };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let events: { action?: string; target?: { mediaType?: string } }[] = [];
    try {
      events =
        (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events?: typeof events }).events ?? [];
    } catch {}
    const kept = events.filter(
      (e) => e.action === 'push' && /manifest|image\.index/.test(e.target?.mediaType ?? ''),
    );
    if (kept.length === 0) {
      state.dropped++;
      res.writeHead(200).end();
      return;
    }
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'content-type']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const up = await fetch(target, { method: 'POST', headers, body: JSON.stringify({ events: kept }) }).catch(
      () => undefined,
    );
    const status = up?.status ?? 502;
    await up?.body?.cancel();
    answered[String(status)] = (answered[String(status)] ?? 0) + 1;
    res.writeHead(status).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    answered,
    get dropped() {
      return state.dropped;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const sleep = (msToWait: number) => new Promise((r) => setTimeout(r, Math.max(0, msToWait)));

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(50);
  }
}

async function apply(api: string, manifests: string): Promise<void> {
  const res = await fetch(`${api}/api/v1/apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ manifests }),
  });
  if (res.status !== 200) throw new Error(`POST /api/v1/apply answered ${res.status}: ${await res.text()}`);
}

async function receiverPath(api: string): Promise<string> {
  const res = await fetch(`${api}/api/v1/projects/${HOOKED}/projectconfig`);
  const body = (await res.json()) as {
    status?: { webhookReceivers?: { name: string; path?: string; message?: string }[] };
  };
  const rx = body.status?.webhookReceivers?.find((r) => r.name === 'registry');
  if (res.status !== 200 || !rx?.path) {
    throw new Error(
      `the api lists no path for webhook receiver "registry" of Project ${HOOKED} (HTTP ${res.status}): ${rx?.message ?? JSON.stringify(body)}`,
    );
  }
  return rx.path;
}

const projects = () => `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: ${HOOKED}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata:
  name: ${HOOKED}
  namespace: ${HOOKED}
spec:
  webhookReceivers:
    - name: registry
      distribution:
        secretRef: { name: hook-secret }
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: ${POLLED}
`;

const warehouses = (hooked: string, polled: string) => `apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: ${WAREHOUSE}
  namespace: ${HOOKED}
spec:
  interval: 5m0s
  subscriptions:
    - image:
        repoURL: ${hooked}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: ${WAREHOUSE}
  namespace: ${POLLED}
spec:
  interval: ${POLL_INTERVAL}
  subscriptions:
    - image:
        repoURL: ${polled}
`;
