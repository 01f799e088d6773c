import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoManifests, startDemoEnvironment, startPrivateNats } from '@ferry/e2e';
import { Store } from '@ferry/store';
// The harness is not part of @ferry/e2e's public entry; the benchmark drives Ferry exactly as the e2e tests do.
import { type FerryUnderTest, startFerry } from '../../e2e/src/harness.ts';
import { ms, ratio, type Summary, summarize, table } from './report.ts';

/** Promotions (and pushes) measured per series. */
export const SAMPLES = 20;
/** The Redis database the promotion benchmark's Ferry owns; flushed before and after. */
export const PROMOTION_REDIS_DB = 4;
/** How often the benchmark asks the API whether something happened; bounds the figures' resolution. */
export const POLL_MS = 10;

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'promote-by-hand.sh');

/** The promotion benchmark's samples, in milliseconds. */
export interface PromotionResult {
  /** Ferry: `POST promotions` until the Promotion reads Succeeded (Argo CD Application Healthy). */
  promote: number[];
  /** Ferry, by its own clock: the Promotion's `finishedAt` minus its creation time. */
  promoteServer: number[];
  /** Ferry: start of a registry push until the new Freight is listed, with a `refresh` after the push. */
  freight: number[];
  /** Ferry: the same from the end of the push, i.e. refresh, discovery and Freight creation alone. */
  freightAfterPush: number[];
  /** Ferry, by its own clock: per step (`uses`, plus `queued` before the first), each step's duration. */
  steps: Map<string, number[]>;
  /** The script, whole: list tags, pick, clone, sed, commit, push. */
  byHand: number[];
  /** The script's first part: list tags with skopeo and pick the highest matching one. */
  byHandList: number[];
}

interface Item {
  metadata: { name: string };
  images: Array<{ tag: string }>;
}

/**
 * Promotion latency: Ferry's six services as processes against a registry, git over smart HTTP and the
 * Argo CD simulator (the e2e fixtures), promoting two pieces of Freight to dev in turn, then Freight
 * creation after a push; then the hand-made script against the same registry and git server.
 */
export async function runPromotionBench(log: (line: string) => void): Promise<PromotionResult> {
  const project = `bench-${Date.now().toString(36)}`;
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
  const env = await startDemoEnvironment(project);
  let nats: Awaited<ReturnType<typeof startPrivateNats>> | undefined;
  let ferry: FerryUnderTest | undefined;
  const stopFerry = async () => {
    if (!ferry) return;
    const f = ferry;
    ferry = undefined;
    await f.stop();
    // The harness's own connection is closed by stop(), so the database is flushed over a new one.
    const store = Store.connect(`redis://127.0.0.1:6379/${PROMOTION_REDIS_DB}`, 'ferry-bench');
    await store.redis.flushdb().catch(() => {});
    await store.close();
    // The harness leaves its temp dir (logs, git cache) for a failing test to inspect; a benchmark does not.
    await rm(dirname(f.logFile), { recursive: true, force: true });
  };
  try {
    nats = await startPrivateNats();
    await env.registry.pushImage('demo/app', '1.0.0');
    ferry = await startFerry({
      natsUrl: nats.url,
      kubeconfig: env.kube.kubeconfigPath,
      redisDb: PROMOTION_REDIS_DB,
      env: { FERRY_LOG_LEVEL: 'warn' },
    });
    const f = ferry;
    const api = async <T>(
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${f.server}/api/v1/projects/${project}/${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as T };
    };
    const file = join(dir, 'manifests.yaml');
    await writeFile(file, demoManifests(project, env.image, env.repoURL));
    const applied = await f.ferry('apply', '-f', file);
    if (applied.code !== 0) throw new Error(`ferry apply failed: ${applied.stderr}`);

    /** Pushes `tag` (unless already pushed), refreshes and waits for its Freight; resolves with ms and id. */
    const newFreight = async (tag: string, push: boolean) => {
      const t0 = performance.now();
      if (push) await env.registry.pushImage('demo/app', tag);
      const pushed = performance.now();
      const refreshed = await api('POST', 'warehouses/app/refresh', {});
      if (refreshed.status >= 300) throw new Error(`refresh answered HTTP ${refreshed.status}`);
      const item = await pollUntil(`Freight with tag ${tag}`, 30_000, async () => {
        const list = await api<{ items: Item[] }>('GET', 'freight');
        const found = list.body.items.find((i) => i.images.some((im) => im.tag === tag));
        return { done: found, last: `${list.body.items.length} pieces of Freight` };
      });
      const end = performance.now();
      return { ms: end - t0, afterPush: end - pushed, id: item.metadata.name };
    };

    const a = (await newFreight('1.0.0', false)).id;
    const b = (await newFreight('1.0.1', true)).id;
    log(`two pieces of Freight: ${a} (1.0.0), ${b} (1.0.1); promoting to dev ${SAMPLES} times`);

    const promote: number[] = [];
    const promoteServer: number[] = [];
    const steps = new Map<string, number[]>();
    const addStep = (key: string, from?: string, to?: string) => {
      if (!from || !to) return;
      steps.set(key, [...(steps.get(key) ?? []), Date.parse(to) - Date.parse(from)]);
    };
    for (let i = 0; i < SAMPLES; i++) {
      const freight = i % 2 === 0 ? a : b;
      const t0 = performance.now();
      const created = await api<{ metadata?: { name?: string } }>('POST', 'promotions', {
        stage: 'dev',
        freight,
      });
      const name = created.body.metadata?.name;
      if (created.status !== 201 || !name) {
        throw new Error(`POST promotions answered HTTP ${created.status}: ${JSON.stringify(created.body)}`);
      }
      const done = await pollUntil(`promotion ${name} to finish`, 60_000, async () => {
        const got = await api<Promotion>('GET', `promotions/${name}`);
        const phase = got.status === 200 ? got.body.status?.phase : undefined;
        if (phase === 'Failed' || phase === 'Errored' || phase === 'Aborted') {
          throw new Error(`promotion ${name} ended ${phase}: ${got.body.status?.message ?? ''}`);
        }
        return {
          done: phase === 'Succeeded' ? got.body : undefined,
          last: `HTTP ${got.status} ${JSON.stringify(got.body.status ?? got.body)}`,
        };
      });
      promote.push(performance.now() - t0);
      const from = done.status?.createdAt ?? done.metadata?.creationTimestamp ?? done.status?.startedAt;
      const to = done.status?.finishedAt;
      if (from && to) promoteServer.push(Date.parse(to) - Date.parse(from));
      const executed = done.status?.stepExecutionMetadata ?? [];
      addStep('(queued before the first step)', from, executed[0]?.startedAt);
      for (const step of executed) addStep(step.uses, step.startedAt, step.finishedAt);
    }
    log(`promotions: p50 ${ms(summarize(promote).p50)} ms; measuring Freight creation after a push`);

    const freight: number[] = [];
    const freightAfterPush: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const r = await newFreight(`1.0.${i + 2}`, true);
      freight.push(r.ms);
      freightAfterPush.push(r.afterPush);
    }
    await stopFerry();

    // The script alternates between the same two tags as Ferry's promotions, so each run is a real commit.
    log(`running the hand-made promotion ${SAMPLES} times`);
    const byHand: number[] = [];
    const byHandList: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const regex = i % 2 === 0 ? '^1\\.0\\.0$' : '^1\\.0\\.1$';
      const t0 = performance.now();
      const out = await runScript([env.image, regex, env.repoURL, 'stages/dev/kustomization.yaml']);
      byHand.push(performance.now() - t0);
      const listMs = /list_ms=(\d+)/.exec(out)?.[1];
      if (listMs === undefined) throw new Error(`promote-by-hand.sh printed no list_ms: ${out}`);
      byHandList.push(Number(listMs));
    }
    return { promote, promoteServer, freight, freightAfterPush, steps, byHand, byHandList };
  } catch (err) {
    if (ferry) {
      const lines = (await readFile(ferry.logFile, 'utf8').catch(() => '')).trim().split('\n');
      log(`ferry's last log lines:\n${lines.slice(-40).join('\n')}`);
    }
    throw err;
  } finally {
    await stopFerry();
    await nats?.close();
    await env.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The tables printed for {@link runPromotionBench}. */
export function promotionTables(r: PromotionResult): string {
  const row = (what: string, s: Summary, does: string): string[] => [
    what,
    String(s.n),
    ms(s.p50),
    ms(s.p90),
    ms(s.max),
    does,
  ];
  const promote = summarize(r.promote);
  const byHand = summarize(r.byHand);
  const freight = summarize(r.freight);
  const list = summarize(r.byHandList);
  const afterPush = summarize(r.freightAfterPush);
  const rows = [
    row(
      'Ferry: POST promotions → Succeeded',
      promote,
      'clone, kustomize-set-image, commit, push, Argo CD sync, wait for Healthy, record',
    ),
  ];
  if (r.promoteServer.length > 0) {
    rows.push(row('Ferry: same, by its own clock', summarize(r.promoteServer), 'finishedAt − created'));
  }
  rows.push(
    row(
      'by hand: promote-by-hand.sh',
      byHand,
      'skopeo list, pick, shallow clone, sed, commit, push; no sync, no verification',
    ),
    row('Ferry: push + refresh → Freight', freight, 'push, refresh, discovery, Freight stored and listed'),
    row('Ferry: refresh → Freight', afterPush, 'the same from the end of the push'),
    row('by hand: skopeo list-tags + pick', list, 'list tags and pick only (no Freight)'),
  );
  const header = ['measure', 'n', 'p50 (ms)', 'p90 (ms)', 'max (ms)', 'what it covers'];
  const ratios = table(
    ['ratio', 'p50', 'p90', 'max'],
    [
      [
        'Ferry promotion ÷ by-hand script',
        ratio(promote.p50, byHand.p50),
        ratio(promote.p90, byHand.p90),
        ratio(promote.max, byHand.max),
      ],
      [
        'Ferry refresh→Freight ÷ by-hand list+pick',
        ratio(afterPush.p50, list.p50),
        ratio(afterPush.p90, list.p90),
        ratio(afterPush.max, list.max),
      ],
    ],
  );
  const steps = table(
    ['Ferry promotion step', 'n', 'p50 (ms)', 'p90 (ms)', 'max (ms)'],
    [...r.steps].map(([uses, samples]) => {
      const s = summarize(samples);
      return [uses, String(s.n), ms(s.p50), ms(s.p90), ms(s.max)];
    }),
  );
  return `${table(header, rows)}\n\n${ratios}\n\n${steps}`;
}

interface Promotion {
  metadata?: { creationTimestamp?: string };
  status?: {
    phase?: string;
    message?: string;
    createdAt?: string;
    startedAt?: string;
    finishedAt?: string;
    stepExecutionMetadata?: Array<{ uses: string; startedAt?: string; finishedAt?: string }>;
  };
}

/**
 * Calls `probe` every {@link POLL_MS} until it returns `done`; a throw ends the wait at once (unlike the
 * e2e `eventually`, which retries), and a timeout names what was last seen.
 */
async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<{ done: T | undefined; last: string }>,
): Promise<T> {
  const until = performance.now() + timeoutMs;
  let last = 'nothing yet';
  while (performance.now() < until) {
    const r = await probe();
    if (r.done !== undefined) return r.done;
    last = r.last;
    await sleep(POLL_MS);
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}; last seen: ${last.slice(0, 600)}`,
  );
}

const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

function runScript(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`promote-by-hand.sh exited ${code}: ${err.trim()}`)),
    );
  });
}
