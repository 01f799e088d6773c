/**
 * A list-then-watch cache of Argo CD Applications (what client-go's reflector does): list once,
 * watch from the list's resourceVersion, resume from the last seen resourceVersion when the
 * stream ends, list again on 410 Gone, back off on errors. Nothing is polled.
 */
import type { Logger } from '@ferry/observability';
import { type CustomObjectsApi, type KubeConfig, Watch } from '@kubernetes/client-node';
import type { Application } from './evaluate.ts';

const GROUP = 'argoproj.io';
const VERSION = 'v1alpha1';
const PLURAL = 'applications';

/** What to watch: every Application of a cluster, or those of one namespace matching a selector. */
export interface AppWatchTarget {
  /** Kubeconfig context name (for logs and keys). */
  cluster: string;
  kc: KubeConfig;
  api: CustomObjectsApi;
  /** Only this namespace; empty = every namespace. */
  namespace?: string;
  /** A `labelSelector` query (`a=b,c in (d)`); empty = every Application. */
  labelSelector?: string;
}

/** Tuning, for tests. */
export interface AppWatchOptions {
  /** First delay after an error; doubles up to `maxBackoffMs`. Default 500 ms. */
  minBackoffMs?: number;
  /** Longest delay between attempts. Default 30 s. */
  maxBackoffMs?: number;
  /** Server-side timeout of one watch request; the watch resumes after it. Default 240 s. */
  timeoutSeconds?: number;
}

/** Counts of what a watch did, for tests and metrics. */
export interface AppWatchStats {
  lists: number;
  watches: number;
  expired: number;
  errors: number;
}

const keyOf = (a: Application) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`;

/**
 * One watched set of Applications, kept in memory by `namespace/name`. `onChange` is called after
 * each change with the app (undefined when it went away or left the selection); `onResync` after
 * each full list (apps may have changed while nobody watched).
 */
export class AppWatch {
  readonly target: AppWatchTarget;
  readonly apps = new Map<string, Application>();
  readonly stats: AppWatchStats = { lists: 0, watches: 0, expired: 0, errors: 0 };
  #resourceVersion = '';
  #stopped = false;
  #abort: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #backoff: number;
  #synced = false;
  readonly #opts: Required<AppWatchOptions>;
  readonly #log: Logger;
  readonly #onChange: (key: string, app: Application | undefined) => void;
  readonly #onResync: () => void;
  #firstSync: Promise<void>;
  #resolveFirst: () => void = () => {};

  constructor(
    target: AppWatchTarget,
    log: Logger,
    handlers: { onChange: (key: string, app: Application | undefined) => void; onResync: () => void },
    options: AppWatchOptions = {},
  ) {
    this.target = target;
    this.#log = log.child({
      cluster: target.cluster,
      namespace: target.namespace,
      selector: target.labelSelector,
    });
    this.#onChange = handlers.onChange;
    this.#onResync = handlers.onResync;
    this.#opts = {
      minBackoffMs: options.minBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      timeoutSeconds: options.timeoutSeconds ?? 240,
    };
    this.#backoff = this.#opts.minBackoffMs;
    this.#firstSync = new Promise((resolve) => {
      this.#resolveFirst = resolve;
    });
  }

  /** Starts listing and watching; resolves after the first list (or the first failure of it). */
  start(): Promise<void> {
    void this.#list();
    return this.#firstSync;
  }

  /** Whether the cache holds a full list (false before the first one succeeds). */
  get synced(): boolean {
    return this.#synced;
  }

  /** Stops watching for good. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#abort?.abort();
  }

  #retry(what: () => Promise<void>, err: unknown): void {
    this.stats.errors++;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, this.#opts.maxBackoffMs);
    this.#log.warn({ err, retryInMs: delay }, 'application watch failed; retrying');
    if (!this.#stopped) this.#timer = setTimeout(() => void what(), delay);
  }

  async #list(): Promise<void> {
    if (this.#stopped) return;
    const t = this.target;
    try {
      this.stats.lists++;
      const list = (await (t.namespace
        ? t.api.listNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace: t.namespace,
            plural: PLURAL,
            ...(t.labelSelector ? { labelSelector: t.labelSelector } : {}),
          })
        : t.api.listClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural: PLURAL,
            ...(t.labelSelector ? { labelSelector: t.labelSelector } : {}),
          }))) as { items?: Application[]; metadata?: { resourceVersion?: string } };
      const fresh = new Map((list.items ?? []).map((a) => [keyOf(a), a]));
      const gone = [...this.apps.keys()].filter((k) => !fresh.has(k));
      this.apps.clear();
      for (const [k, a] of fresh) this.apps.set(k, a);
      this.#resourceVersion = list.metadata?.resourceVersion ?? '';
      this.#synced = true;
      this.#resolveFirst();
      for (const k of gone) this.#onChange(k, undefined);
      this.#onResync();
      void this.#watch();
    } catch (err) {
      this.#resolveFirst();
      this.#retry(() => this.#list(), err);
    }
  }

  async #watch(): Promise<void> {
    if (this.#stopped) return;
    const t = this.target;
    const path = t.namespace
      ? `/apis/${GROUP}/${VERSION}/namespaces/${t.namespace}/${PLURAL}`
      : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
    const watch = new Watch(t.kc);
    // The client aborts a stream silent for this long; bookmarks and the server timeout come first.
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs =
      (this.#opts.timeoutSeconds + 30) * 1000;
    let expired = false;
    this.stats.watches++;
    try {
      this.#abort = await watch.watch(
        path,
        {
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: this.#opts.timeoutSeconds,
          ...(t.labelSelector ? { labelSelector: t.labelSelector } : {}),
        },
        (type: string, obj: Application & { code?: number; reason?: string }) => {
          if (type === 'ERROR') {
            // 410 Gone (Expired): our resourceVersion is older than the server keeps; list again.
            if (obj.code === 410 || obj.reason === 'Expired' || obj.reason === 'Gone') expired = true;
            else this.#log.warn({ status: obj }, 'application watch sent an error');
            this.#abort?.abort();
            return;
          }
          const rv = obj.metadata?.resourceVersion;
          if (rv) this.#resourceVersion = rv;
          this.#backoff = this.#opts.minBackoffMs;
          if (type === 'BOOKMARK') return;
          const key = keyOf(obj);
          if (type === 'DELETED') {
            this.apps.delete(key);
            this.#onChange(key, undefined);
          } else {
            this.apps.set(key, obj);
            this.#onChange(key, obj);
          }
        },
        (err: unknown) => {
          if (this.#stopped) return;
          if (expired) {
            this.stats.expired++;
            this.#log.info(
              { resourceVersion: this.#resourceVersion },
              'application watch expired; listing again',
            );
            void this.#list();
          } else if (err && !isTimeout(err)) this.#retry(() => this.#watch(), err);
          else void this.#watch(); // the server ended the stream: resume where we were
        },
      );
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 410) {
        this.stats.expired++;
        void this.#list();
      } else this.#retry(() => this.#watch(), err);
    }
  }
}

const isTimeout = (err: unknown): boolean => (err as { name?: string })?.name === 'TimeoutError';
