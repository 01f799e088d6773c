/**
 * `pnpm bench git`: 100 Promotions across 10 GitOps repositories at once through Ferry, against the
 * same 100 changes made one after another by a script (shallow clone, sed, commit, push each). The
 * Promotions' template has no `argocd-update`, so both sides do git work only.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { projectAndWarehouse, startDemoEnvironment, startPrivateNats } from '@ferry/e2e';
import { Store } from '@ferry/store';
// The harness is not part of @ferry/e2e's public entry; the benchmark drives Ferry exactly as the e2e tests do.
import { type FerryUnderTest, startFerry } from '../../e2e/src/harness.ts';
import { ms, ratio, table } from './report.ts';

/** Repositories written at once. */
export const REPOS = 10;
/** Stages (overlays) per repository, all on branch main. */
export const STAGES_PER_REPO = 10;
/** The Redis database the git benchmark's Ferry owns; flushed before and after. */
export const GIT_BENCH_REDIS_DB = 3;

/** What the git benchmark measured. */
export interface GitBenchResult {
  promotions: number;
  repos: number;
  /** Ferry: first `POST promotions` until every Promotion reads Succeeded. */
  ferryMs: number;
  /** Commits Ferry made on the repositories' main branches. */
  ferryCommits: number;
  /** Pushes the git server took from Ferry. */
  ferryPushes: number;
  /** Push attempts beyond the first, summed over the writes' records. */
  ferryRetries: number;
  /** Promotions that did not end Succeeded. */
  ferryNotSucceeded: number;
  /** The script: the same changes, one after another. */
  scriptMs: number;
  scriptCommits: number;
  scriptPushes: number;
}

const repoName = (r: number) => `gitops-${String(r + 1).padStart(2, '0')}`;
const stageName = (r: number, s: number) =>
  `r${String(r + 1).padStart(2, '0')}-s${String(s + 1).padStart(2, '0')}`;
const overlayText = (image: string) => `# managed by promotion
images:
  - name: ${image}
    newTag: 0.0.1 # replaced on promotion
`;

function manifests(project: string, image: string, repoURLs: string[]): string {
  const stages = repoURLs.flatMap((url, r) =>
    Array.from({ length: STAGES_PER_REPO }, (_, s) => {
      const name = stageName(r, s);
      return `---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
  namespace: ${project}
spec:
  requestedFreight:
    - origin: { kind: Warehouse, name: app }
      sources: { direct: true }
  promotionTemplate:
    spec:
      steps:
        - uses: git-clone
          config:
            repoURL: ${url}
            checkout: [{ branch: main, path: ./src }]
        - uses: kustomize-set-image
          as: update-image
          config:
            path: ./src/stages/s${String(s + 1).padStart(2, '0')}
            images: [{ image: ${image} }]
        - uses: git-commit
          config:
            path: ./src
            message: \${{ outputs['update-image'].commitMessage }}
        - uses: git-push
          config:
            path: ./src
`;
    }),
  );
  return `${projectAndWarehouse(project, image)}${stages.join('')}`;
}

/** The script side: for each change in turn, a shallow clone, sed, commit and push over smart HTTP. */
const SCRIPT = `set -euo pipefail
export HOME=$(mktemp -d) GIT_CONFIG_NOSYSTEM=1
trap 'rm -rf "$HOME"' EXIT
tag=$1; shift
while [ $# -gt 0 ]; do
  url=$1 file=$2; shift 2
  work=$(mktemp -d "$HOME/w-XXXXXX")
  git clone -q --depth 1 --branch main "$url" "$work"
  sed -i -E "s/^([[:space:]]*newTag:)[[:space:]]*[^[:space:]#]+/\\1 $tag/" "$work/$file"
  git -C "$work" -c user.name=by-hand -c user.email=by-hand@example.com commit -q -am "set $file to $tag"
  git -C "$work" push -q origin HEAD:main
  rm -rf "$work"
done`;

function runScript(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', SCRIPT, 'by-hand', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`the script failed (${code}): ${err}`)),
    );
  });
}

/** Runs the git benchmark; `log` gets progress lines. */
export async function runGitBench(log: (line: string) => void): Promise<GitBenchResult> {
  const project = `gitbench-${Date.now().toString(36)}`;
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-git-'));
  // The demo's outside world (registry, git server, Argo CD simulator); its own repository is left alone.
  const env = await startDemoEnvironment(project);
  const { registry, git } = env;
  let nats: Awaited<ReturnType<typeof startPrivateNats>> | undefined;
  let ferry: FerryUnderTest | undefined;
  try {
    const image = `${registry.host}/demo/app`;
    await registry.pushImage('demo/app', '1.0.0');
    const files = Object.fromEntries(
      Array.from({ length: STAGES_PER_REPO }, (_, s) => [
        `stages/s${String(s + 1).padStart(2, '0')}/kustomization.yaml`,
        overlayText(image),
      ]),
    );
    const ferryURLs: string[] = [];
    const scriptURLs: string[] = [];
    for (let r = 0; r < REPOS; r++) {
      ferryURLs.push(await git.createRepo(repoName(r), files, { branch: 'main', message: 'overlays' }));
      scriptURLs.push(
        await git.createRepo(`${repoName(r)}-by-hand`, files, { branch: 'main', message: 'overlays' }),
      );
    }
    nats = await startPrivateNats();
    ferry = await startFerry({
      natsUrl: nats.url,
      kubeconfig: env.kube.kubeconfigPath,
      redisDb: GIT_BENCH_REDIS_DB,
      env: { FERRY_LOG_LEVEL: 'warn' },
    });
    const f = ferry;
    const api = async <T>(method: string, path: string, body?: unknown) => {
      const res = await fetch(`${f.server}/api/v1/projects/${project}/${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as T };
    };
    const file = join(dir, 'manifests.yaml');
    await writeFile(file, manifests(project, image, ferryURLs));
    const applied = await f.ferry('apply', '-f', file);
    if (applied.code !== 0) throw new Error(`ferry apply failed: ${applied.stderr}`);
    await api('POST', 'warehouses/app/refresh', {});
    const freight = await poll('the Freight for 1.0.0', 30_000, async () => {
      const list = await api<{ items: Array<{ metadata: { name: string } }> }>('GET', 'freight');
      return list.body.items[0]?.metadata.name;
    });
    const stages = Array.from({ length: REPOS }, (_, r) =>
      Array.from({ length: STAGES_PER_REPO }, (_, s) => stageName(r, s)),
    ).flat();
    log(`promoting ${freight} to ${stages.length} Stages across ${REPOS} repositories at once`);
    const pushesBefore = ferryURLs.map((_, r) => git.pushCount(repoName(r)));
    const commitsBefore = await Promise.all(
      ferryURLs.map(async (_, r) => (await git.commits(repoName(r), 'main')).length),
    );
    const t0 = performance.now();
    const names = await Promise.all(
      stages.map(async (stage) => {
        const r = await api<{ metadata?: { name?: string } }>('POST', 'promotions', { stage, freight });
        if (r.status !== 201 || !r.body.metadata?.name)
          throw new Error(
            `POST promotions for ${stage} answered HTTP ${r.status}: ${JSON.stringify(r.body)}`,
          );
        return r.body.metadata.name;
      }),
    );
    const phases = await poll('every Promotion to finish', 300_000, async () => {
      const list = await api<{ items: Array<{ status?: { phase?: string } }> }>('GET', 'promotions');
      const ph = list.body.items.map((p) => p.status?.phase ?? '');
      const finished = ph.filter((p) => ['Succeeded', 'Failed', 'Errored', 'Aborted'].includes(p));
      return finished.length >= names.length ? ph : undefined;
    });
    const ferryMs = performance.now() - t0;
    let ferryCommits = 0;
    let ferryPushes = 0;
    for (let r = 0; r < REPOS; r++) {
      ferryCommits += (await git.commits(repoName(r), 'main')).length - (commitsBefore[r] ?? 0);
      ferryPushes += git.pushCount(repoName(r)) - (pushesBefore[r] ?? 0);
    }
    let ferryRetries = 0;
    for (const key of await f.redis.keys('ferry:git:write:*')) {
      const rec = JSON.parse((await f.redis.get(key)) ?? '{}') as { attempts?: number };
      ferryRetries += Math.max(0, (rec.attempts ?? 1) - 1);
    }
    log(`Ferry: ${ms(ferryMs)} ms, ${ferryCommits} commits, ${ferryPushes} pushes; now the script`);

    const scriptPushesBefore = scriptURLs.map((_, r) => git.pushCount(`${repoName(r)}-by-hand`));
    const args = ['1.0.0'];
    for (let r = 0; r < REPOS; r++)
      for (let s = 0; s < STAGES_PER_REPO; s++)
        args.push(scriptURLs[r] ?? '', `stages/s${String(s + 1).padStart(2, '0')}/kustomization.yaml`);
    const t1 = performance.now();
    await runScript(args);
    const scriptMs = performance.now() - t1;
    let scriptCommits = 0;
    let scriptPushes = 0;
    for (let r = 0; r < REPOS; r++) {
      scriptCommits += (await git.commits(`${repoName(r)}-by-hand`, 'main')).length - 1;
      scriptPushes += git.pushCount(`${repoName(r)}-by-hand`) - (scriptPushesBefore[r] ?? 0);
    }
    return {
      promotions: names.length,
      repos: REPOS,
      ferryMs,
      ferryCommits,
      ferryPushes,
      ferryRetries,
      ferryNotSucceeded: phases.filter((p) => p !== 'Succeeded').length,
      scriptMs,
      scriptCommits,
      scriptPushes,
    };
  } finally {
    if (ferry) {
      await ferry.stop();
      const store = Store.connect(`redis://127.0.0.1:6379/${GIT_BENCH_REDIS_DB}`, 'ferry-bench');
      await store.redis.flushdb().catch(() => {});
      await store.close();
      await rm(dirname(ferry.logFile), { recursive: true, force: true });
    }
    await nats?.close();
    await env.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The git benchmark as a Markdown table. */
export function gitTable(r: GitBenchResult): string {
  return (
    table(
      ['how', 'changes', 'repos', 'wall ms', 'commits', 'pushes', 'push retries', 'not Succeeded'],
      [
        [
          'Ferry, all at once',
          String(r.promotions),
          String(r.repos),
          ms(r.ferryMs),
          String(r.ferryCommits),
          String(r.ferryPushes),
          String(r.ferryRetries),
          String(r.ferryNotSucceeded),
        ],
        [
          'script, one after another',
          String(r.promotions),
          String(r.repos),
          ms(r.scriptMs),
          String(r.scriptCommits),
          String(r.scriptPushes),
          '0',
          '0',
        ],
      ],
    ) + `\n\nWall time, Ferry / script: ${ratio(r.ferryMs, r.scriptMs)}.`
  );
}

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (performance.now() > until)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
