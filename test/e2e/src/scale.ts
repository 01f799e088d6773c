/**
 * The scale workload, shared by the scale e2e test and `pnpm bench scale`: Ferry started with N
 * replicas of every service but the api (one api on one port; the CLI talks to it), a wide
 * pipeline of Stages in one GitOps repository, and Freight promoted to every Stage in order, one
 * round per Freight. Counts what each replica handled from its ops `/metrics`.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@ferry/cli';
import {
  type Fleet,
  opsPortFor,
  portOpen,
  replicaCount,
  type ServiceName,
  startFleet,
} from '@ferry/launcher';
import { freePort, freePortRange } from '@ferry/support';
import { Redis } from 'ioredis';
import { startPrivateNats } from './environment.ts';
import type { CliResult } from './harness.ts';
import { manyStagesManifests, startManyStagesEnvironment } from './many-stages.ts';

/** What to run. */
export interface ScaleOptions {
  /** Processes per service (the api stays one). */
  replicas: number;
  stages: number;
  /** Freight promoted to every Stage, one after another (so Promotions = stages × freight). */
  freight: number;
  /** The Redis database the run owns; flushed before. */
  redisDb: number;
  /** Run the services' bundles (`pnpm build`, as the container image does) instead of their sources. */
  bundled?: boolean;
  /** Called once, after the first half of the rounds has started and a few of its Promotions are done. */
  halfway?: (fleet: Fleet) => Promise<void>;
  log?: (line: string) => void;
}

/** A finished Promotion as the API lists it. */
export interface ScalePromotion {
  name: string;
  stage: string;
  freight: string;
  phase: string;
  /** Created until finished, by Ferry's clock, in milliseconds. */
  latencyMs: number;
}

/** What one run did. */
export interface ScaleResult {
  promotions: ScalePromotion[];
  /** Non-zero exits of `ferry promote --wait`, as `stage freight: output`. */
  failures: string[];
  /** Commits added to the branch. */
  commits: number;
  wallMs: number;
  /** Messages handled with outcome ok, by process key (`promoter`, `promoter#1`, …), highest seen. */
  handled: Map<string, number>;
  logFile: string;
  /** What the api answered for the web UI's page (`GET /`): its status; 200 once the UI is built. */
  uiStatus: number;
}

/** The services whose work the scale test checks for spread (they consume commands). */
export const SPREAD_SERVICES = ['promoter', 'git-writer', 'argocd-syncer'] as const;

/** Sums `ferry_messages_handled_total{outcome="ok"}` out of a Prometheus text exposition. */
export function handledOk(metrics: string): number {
  let sum = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('ferry_messages_handled_total{') || !line.includes('outcome="ok"')) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

type Promo = {
  metadata: { name: string; creationTimestamp?: string };
  spec: { stage: string; freight: string };
  status?: { phase?: string; createdAt?: string; finishedAt?: string };
};

/** Runs the workload and tears everything down (also when it fails). */
export async function runScale(o: ScaleOptions): Promise<ScaleResult> {
  const log = o.log ?? (() => {});
  const project = `scale-${Date.now().toString(36)}`;
  const env = await startManyStagesEnvironment(project, o.stages);
  const nats = await startPrivateNats();
  const dir = await mkdtemp(join(tmpdir(), 'ferry-scale-'));
  const port = await freePort();
  const redisUrl = `redis://127.0.0.1:6379/${o.redisDb}`;
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  // Auth on, as the e2e harness runs it: an admin token of the run's own.
  const token = `ferry_${randomBytes(32).toString('base64url')}`;
  const fenv: NodeJS.ProcessEnv = {
    ...process.env,
    FERRY_BOOTSTRAP_ADMIN_TOKEN: token,
    FERRY_NATS_URL: nats.url,
    FERRY_REDIS_URL: redisUrl,
    FERRY_API_PORT: String(port),
    FERRY_GIT_CACHE_DIR: join(dir, 'git-cache'),
    FERRY_RECONCILE_INTERVAL_MS: '2000',
    FERRY_LOG_LEVEL: process.env.FERRY_LOG_LEVEL ?? 'info',
    KUBECONFIG: env.kube.kubeconfigPath,
    // Six services × the replicas, one ops port each, all free and outside the ephemeral range.
    FERRY_OPS_PORT_BASE: String(await freePortRange(6 * Math.max(1, o.replicas))),
  };
  const logFile = join(dir, 'ferry.log');
  const out = createWriteStream(logFile);
  const fleet = startFleet({
    env: fenv,
    replicas: o.replicas,
    bundled: o.bundled === true,
    onLine: (s, l) => out.write(`[${s}] ${l}\n`),
  });
  const handled = new Map<string, number>();
  let uiStatus = 0;
  const scrape = async () => {
    for (const service of SPREAD_SERVICES) {
      for (let r = 0; r < replicaCount(service, o.replicas); r++) {
        const key = r ? `${service}#${r}` : service;
        const child = fleet.processes.get(key);
        if (!child || child.exitCode !== null || child.signalCode !== null) continue;
        try {
          const res = await fetch(`http://127.0.0.1:${opsPortFor(service, fenv, r)}/metrics`);
          handled.set(key, Math.max(handled.get(key) ?? 0, handledOk(await res.text())));
        } catch {
          // A replica that does not answer keeps the count last seen.
        }
      }
    }
  };
  const ferry = async (...args: string[]): Promise<CliResult> => {
    let stdout = '';
    let stderr = '';
    const code = await run(['--server', `http://127.0.0.1:${port}`, ...args], {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env: { FERRY_TOKEN: token },
    });
    return { code, stdout, stderr };
  };
  const until = async (what: string, probe: () => Promise<boolean>, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!(await probe().catch(() => false))) {
      if (Date.now() > end)
        throw new Error(`timed out after ${ms / 1000}s waiting for ${what}; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await until('the api to listen', () => portOpen('127.0.0.1', port, 200));
    const ui = await fetch(`http://127.0.0.1:${port}/`);
    await ui.arrayBuffer();
    uiStatus = ui.status;
    const file = join(dir, `${project}.yaml`);
    await writeFile(file, manyStagesManifests(project, env.image, env.repoURL, env.stages));
    const applied = await ferry('apply', '-f', file);
    if (applied.code !== 0) throw new Error(`ferry apply failed: ${applied.stderr}`);
    // One Freight per discovery, so push and refresh one tag at a time (names in version order).
    const freight: string[] = [];
    for (let i = 0; i < o.freight; i++) {
      const tag = `1.0.${i}`;
      await env.registry.pushImage('demo/app', tag);
      await until(`Freight for ${tag}`, async () => {
        await ferry('refresh', 'warehouse', 'app', '-p', project);
        const r = await ferry('get', 'freight', '-p', project, '-o', 'json');
        const items = (
          JSON.parse(r.stdout) as { items: { metadata: { name: string }; images: { tag: string }[] }[] }
        ).items;
        const f = items.find((x) => x.images[0]?.tag === tag);
        if (f) freight.push(f.metadata.name);
        return f !== undefined;
      });
    }
    log(`${o.freight} Freight discovered; promoting to ${o.stages} Stages with ${o.replicas} replica(s)`);
    const commitsBefore = (await env.git.commits('gitops', 'main')).length;
    const failures: string[] = [];
    const started = Date.now();
    const half = Math.floor(o.freight / 2);
    for (const [i, f] of freight.entries()) {
      const round = Promise.all(
        env.stages.map(async (s) => {
          const r = await ferry('promote', '-p', project, '--stage', s, '--freight', f, '--wait');
          if (r.code !== 0) failures.push(`${s} ${f}: ${r.stdout}${r.stderr}`);
        }),
      );
      if (i === half && o.halfway) {
        await scrape();
        await new Promise((r) => setTimeout(r, 500));
        await o.halfway(fleet);
      }
      await round;
      await scrape();
      log(`round ${i + 1}/${o.freight} done after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const wallMs = Date.now() - started;
    const commits = (await env.git.commits('gitops', 'main')).length - commitsBefore;
    const list = JSON.parse((await ferry('get', 'promotions', '-p', project, '-o', 'json')).stdout) as {
      items: Promo[];
    };
    const promotions = list.items.map((p) => {
      const from = p.status?.createdAt ?? p.metadata.creationTimestamp;
      const to = p.status?.finishedAt;
      return {
        name: p.metadata.name,
        stage: p.spec.stage,
        freight: p.spec.freight,
        phase: p.status?.phase ?? '',
        latencyMs: from && to ? Date.parse(to) - Date.parse(from) : Number.NaN,
      };
    });
    return { promotions, failures, commits, wallMs, handled, logFile, uiStatus };
  } finally {
    await fleet.stop();
    await redis.quit();
    out.end();
    await nats.close();
    await env.close();
  }
}

/** Every process key the fleet runs for `service` under `replicas`. */
export function replicaKeys(service: ServiceName, replicas: number): string[] {
  return Array.from({ length: replicaCount(service, replicas) }, (_, r) => (r ? `${service}#${r}` : service));
}
