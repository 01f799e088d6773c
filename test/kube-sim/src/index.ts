import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ArgoCdSimulator, type HealthStatusCode } from './argocd.ts';
import { ApiError } from './errors.ts';
import { GitCache } from './git.ts';
import { isObject, type JsonObject, str } from './json.ts';
import { APPLICATIONS, apiVersionOf } from './kinds.ts';
import { ApiServer } from './server.ts';
import { ObjectStore } from './store.ts';

export type { HealthStatusCode, OperationPhaseCode } from './argocd.ts';
export { HealthStatus, OperationPhase, REFRESH_ANNOTATION } from './argocd.ts';
export type { Status, StatusReasonCode } from './errors.ts';
export { StatusReason } from './errors.ts';
export type { JsonObject } from './json.ts';
export type { ResourceKind } from './kinds.ts';
export { APPLICATIONS } from './kinds.ts';
export { PATCH_TYPES } from './server.ts';

/** Options for {@link startKubeSim}. */
export interface KubeSimOptions {
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port to listen on; default 0 (a random free port). */
  port?: number;
  /** Run the Argo CD application controller simulator; default true. */
  argocd?: boolean;
  /** Delay between a successful sync (health Progressing) and health Healthy; default 50 ms. */
  healthDelayMs?: number;
  /** Directory for the kubeconfig and git cache; default a fresh temp dir, removed by `close()`. */
  workDir?: string;
  /** Events a watch can resume from before older resourceVersions get 410; default 1000. */
  watchHistorySize?: number;
  /** Interval of BOOKMARK events on watches that allow them; default 60000 ms. */
  bookmarkIntervalMs?: number;
}

/** A running simulated API server. */
export interface KubeSim {
  /** Base URL of the API, `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The bearer token the kubeconfig carries; requests without it get 401. */
  readonly token: string;
  /** Path of the kubeconfig file pointing at {@link url} with {@link token} (current context `kube-sim`). */
  readonly kubeconfigPath: string;
  /** Directory holding the kubeconfig and the git cache. */
  readonly workDir: string;
  /**
   * Creates each manifest, or replaces it when it already exists, in-process (what `main.ts -f` uses).
   * The namespace defaults to `default`; the stored objects are returned.
   */
  load(manifests: readonly unknown[]): JsonObject[];
  /** Forces an app's `status.health` (e.g. Degraded) until called with null; needs the simulator. */
  setHealth(namespace: string, name: string, status: HealthStatusCode | null, message?: string): void;
  /** Makes the app's next sync end in phase Failed with `message`; needs the simulator. */
  failNextSync(namespace: string, name: string, message: string): void;
  /** Makes the app's next sync stay in phase Running for `ms` (an operation already running); needs the simulator. */
  slowNextSync(namespace: string, name: string, ms: number): void;
  /** Stops the simulator, ends open watches, closes the server and removes a temp work dir. */
  close(): Promise<void>;
}

/** The kubeconfig YAML for a server URL and bearer token (context, cluster and user all named `kube-sim`). */
export function kubeconfigYaml(server: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node 2.x refuses an http:// server unless the cluster skips TLS verification.
    clusters: [{ name: 'kube-sim', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'kube-sim', user: { token } }],
    contexts: [{ name: 'kube-sim', context: { cluster: 'kube-sim', user: 'kube-sim' } }],
    'current-context': 'kube-sim',
    preferences: {},
  });
}

/**
 * One kubeconfig with a context (and cluster and user of the same name) per server, the first one
 * current: what a process serving several clusters loads.
 */
export function mergedKubeconfigYaml(
  servers: ReadonlyArray<{ context: string; server: string; token: string }>,
): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: servers.map((s) => ({
      name: s.context,
      cluster: { server: s.server, 'insecure-skip-tls-verify': true },
    })),
    users: servers.map((s) => ({ name: s.context, user: { token: s.token } })),
    contexts: servers.map((s) => ({ name: s.context, context: { cluster: s.context, user: s.context } })),
    'current-context': servers[0]?.context ?? '',
    preferences: {},
  });
}

/**
 * Starts a Kubernetes API server that serves Argo CD Applications over plain HTTP, writes a kubeconfig
 * for it and, unless `argocd: false`, runs the Argo CD controller simulator against it.
 */
export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const ownsWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'kube-sim-')));
  await mkdir(workDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  const store = new ObjectStore({ historySize: options.watchHistorySize });
  store.register(APPLICATIONS);
  const api = new ApiServer({ store, token, bookmarkIntervalMs: options.bookmarkIntervalMs });
  const server = createServer(api.handle);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const kubeconfigPath = join(workDir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfigYaml(url, token), { mode: 0o600 });
  const simulator =
    options.argocd === false
      ? undefined
      : new ArgoCdSimulator({
          store,
          git: new GitCache(join(workDir, 'git-cache')),
          healthDelayMs: options.healthDelayMs,
        });
  simulator?.start();
  const requireSimulator = (): ArgoCdSimulator => {
    if (!simulator) throw new Error('kube-sim: the Argo CD simulator is off (argocd: false)');
    return simulator;
  };
  let closing: Promise<void> | undefined;

  return {
    url,
    token,
    kubeconfigPath,
    workDir,
    load(manifests) {
      return manifests.map((manifest) => {
        const kind = store
          .kinds()
          .find(
            (k) => isObject(manifest) && manifest.apiVersion === apiVersionOf(k) && manifest.kind === k.kind,
          );
        if (!kind || !isObject(manifest))
          throw new Error(`kube-sim: no served kind for manifest ${JSON.stringify(manifest)}`);
        const namespace = str(manifest.metadata, 'namespace') || 'default';
        const name = str(manifest.metadata, 'name') ?? '';
        try {
          return store.create(kind, namespace, manifest);
        } catch (err) {
          if (!(err instanceof ApiError) || err.code !== 409) throw err;
          const { resourceVersion: _, ...metadata } = isObject(manifest.metadata) ? manifest.metadata : {};
          return store.update(kind, namespace, name, { ...manifest, metadata });
        }
      });
    },
    setHealth(namespace, name, status, message) {
      requireSimulator().setHealth(namespace, name, status, message);
    },
    failNextSync(namespace, name, message) {
      requireSimulator().failNextSync(namespace, name, message);
    },
    slowNextSync(namespace, name, ms) {
      requireSimulator().slowNextSync(namespace, name, ms);
    },
    close() {
      closing ??= (async () => {
        await simulator?.stop();
        api.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (ownsWorkDir) await rm(workDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
