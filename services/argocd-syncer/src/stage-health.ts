/**
 * Stage health from watches: learns which Applications each Stage's `argocd-update` steps name
 * (from the Stage definitions in Redis, again whenever definitions are applied), watches them
 * (one watch per cluster for apps by name, one per label selector), and stores each Stage's
 * health in `ferry:p:<p>:stagehealth:<s>`, publishing `StageHealthChanged` when it changes.
 */
import type { Bus } from '@ferry/bus';
import type { StageHealth } from '@ferry/contracts';
import type { Logger } from '@ferry/observability';
import { Keys, type Store } from '@ferry/store';
import { type Application, authorizationProblem } from './evaluate.ts';
import {
  appHealth,
  healthFingerprint,
  type StageAppRef,
  type StageAppRefProblem,
  selectorString,
  stageAppRefs,
  stageHealth,
} from './health.ts';
import { AppWatch, type AppWatchOptions, type AppWatchTarget } from './watch.ts';

/** A cluster the tracker can watch (a kubeconfig context with its client). */
export type HealthCluster = Omit<AppWatchTarget, 'namespace' | 'labelSelector'>;

interface StageRefs {
  project: string;
  stage: string;
  refs: StageAppRef[];
  problems: StageAppRefProblem[];
}

/** The key of an app in desired-revision records: `cluster|namespace|name`. */
export const desiredKey = (cluster: string | undefined, namespace: string, name: string): string =>
  `${cluster ?? ''}|${namespace}|${name}`;

/** Keeps every Stage's health current from Application watches. */
export class StageHealthTracker {
  readonly #store: Store;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #clock: () => Date;
  readonly #clusters: Map<string, HealthCluster>;
  readonly #defaultCluster: string;
  readonly #clusterWatches: Map<string, AppWatch>;
  readonly #selectorWatches = new Map<string, AppWatch>();
  readonly #watchOptions: AppWatchOptions;
  #stages = new Map<string, StageRefs>();
  readonly #chains = new Map<string, Promise<void>>();
  #stopped = false;

  constructor(deps: {
    store: Store;
    bus: Bus;
    log: Logger;
    clock: () => Date;
    clusters: Map<string, HealthCluster>;
    defaultCluster: string;
    /** The per-cluster watches of every Application (shared with the sync operations). */
    clusterWatches: Map<string, AppWatch>;
    watchOptions?: AppWatchOptions;
  }) {
    this.#store = deps.store;
    this.#bus = deps.bus;
    this.#log = deps.log.child({ part: 'stage-health' });
    this.#clock = deps.clock;
    this.#clusters = deps.clusters;
    this.#defaultCluster = deps.defaultCluster;
    this.#clusterWatches = deps.clusterWatches;
    this.#watchOptions = deps.watchOptions ?? {};
  }

  /** The selector watches running now, by `cluster|namespace|selector` (for tests). */
  get selectorWatches(): ReadonlyMap<string, AppWatch> {
    return this.#selectorWatches;
  }

  /** Re-reads every Project's Stages, starts and stops selector watches, recomputes every Stage. */
  async refresh(): Promise<void> {
    const next = new Map<string, StageRefs>();
    for (const project of await this.#store.listProjects()) {
      const p = project.metadata.name;
      for (const stage of await this.#store.listStages(p)) {
        const { refs, problems } = stageAppRefs(p, stage);
        if (refs.length === 0 && problems.length === 0) continue;
        next.set(`${p}/${stage.metadata.name}`, { project: p, stage: stage.metadata.name, refs, problems });
      }
    }
    const gone = [...this.#stages.values()].filter((s) => !next.has(`${s.project}/${s.stage}`));
    this.#stages = next;
    const wanted = new Set<string>();
    for (const s of next.values()) {
      for (const ref of s.refs) {
        if (!ref.selector) continue;
        const key = this.#selectorWatchKey(ref);
        wanted.add(key);
        const cluster = this.#clusters.get(ref.cluster || this.#defaultCluster);
        if (!cluster || this.#selectorWatches.has(key)) continue;
        const w = new AppWatch(
          { ...cluster, namespace: ref.namespace, labelSelector: selectorString(ref.selector) },
          this.#log,
          { onChange: () => this.#selectorChanged(key), onResync: () => this.#selectorChanged(key) },
          this.#watchOptions,
        );
        this.#selectorWatches.set(key, w);
        await w.start();
      }
    }
    for (const [key, w] of this.#selectorWatches) {
      if (wanted.has(key)) continue;
      w.stop();
      this.#selectorWatches.delete(key);
    }
    for (const s of gone) await this.#store.deleteStageHealth(s.project, s.stage);
    await Promise.all([...next.values()].map((s) => this.recompute(s.project, s.stage)));
  }

  /** An Application of `cluster` changed (`key` = `namespace/name`): recompute the Stages naming it. */
  appChanged(cluster: string, key: string): void {
    for (const s of this.#stages.values()) {
      if (
        s.refs.some(
          (r) =>
            r.name && (r.cluster || this.#defaultCluster) === cluster && `${r.namespace}/${r.name}` === key,
        )
      )
        void this.recompute(s.project, s.stage);
    }
  }

  /** A cluster watch listed again: every Stage with a named app there is recomputed. */
  clusterResynced(cluster: string): void {
    for (const s of this.#stages.values()) {
      if (s.refs.some((r) => r.name && (r.cluster || this.#defaultCluster) === cluster))
        void this.recompute(s.project, s.stage);
    }
  }

  /**
   * Remembers what an app of a Stage was last synced to by a Promotion, so its health also says
   * whether it still runs that (Kargo checks the desired revisions of the last Promotion).
   */
  async recordDesired(
    project: string,
    stage: string,
    app: { cluster?: string; namespace: string; name: string },
    revisions: readonly string[],
  ): Promise<void> {
    await this.#store.redis.hset(
      Keys.stageHealth(project, stage),
      `desired:${desiredKey(app.cluster || undefined, app.namespace, app.name)}`,
      JSON.stringify(revisions),
    );
    await this.recompute(project, stage);
  }

  /** Recomputes one Stage's health (serialized per Stage) and stores and announces a change. */
  recompute(project: string, stage: string): Promise<void> {
    const id = `${project}/${stage}`;
    const prev = this.#chains.get(id) ?? Promise.resolve();
    const next = prev
      .then(() => this.#recompute(project, stage))
      .catch((err) => this.#log.error({ err, project, stage }, 'stage health failed'));
    this.#chains.set(id, next);
    void next.then(() => {
      if (this.#chains.get(id) === next) this.#chains.delete(id);
    });
    return next;
  }

  /** Stops the selector watches (the cluster watches belong to the service). */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#selectorWatches.values()) w.stop();
    this.#selectorWatches.clear();
  }

  #selectorWatchKey(ref: StageAppRef): string {
    return `${ref.cluster || this.#defaultCluster}|${ref.namespace}|${selectorString(ref.selector ?? {})}`;
  }

  #selectorChanged(key: string): void {
    for (const s of this.#stages.values()) {
      if (s.refs.some((r) => r.selector && this.#selectorWatchKey(r) === key))
        void this.recompute(s.project, s.stage);
    }
  }

  async #desired(project: string, stage: string): Promise<Map<string, string[]>> {
    const all = await this.#store.redis.hgetall(Keys.stageHealth(project, stage));
    const out = new Map<string, string[]>();
    for (const [k, v] of Object.entries(all))
      if (k.startsWith('desired:')) out.set(k.slice(8), JSON.parse(v));
    return out;
  }

  /** The Stage's health from the watch caches (undefined while a watch has not listed yet). */
  async compute(project: string, stage: string): Promise<StageHealth | undefined> {
    const s = this.#stages.get(`${project}/${stage}`);
    if (!s) return undefined;
    const desired = await this.#desired(project, stage);
    const parts: Array<Parameters<typeof stageHealth>[0][number]> = [];
    for (const p of s.problems) parts.push({ state: 'Unknown', issues: [`${p.path}: ${p.message}`] });
    for (const ref of s.refs) {
      const clusterName = ref.cluster || this.#defaultCluster;
      const where = `namespace "${ref.namespace}"${ref.cluster ? ` of cluster "${ref.cluster}"` : ''}`;
      if (!this.#clusters.has(clusterName)) {
        parts.push({
          state: 'Unknown',
          issues: [`cluster "${ref.cluster}" is not a context of the argocd-syncer's kubeconfig`],
        });
        continue;
      }
      let found: Array<[string, Application | undefined]>;
      if (ref.name) {
        const w = this.#clusterWatches.get(clusterName);
        if (!w?.synced) return undefined;
        found = [[ref.name, w.apps.get(`${ref.namespace}/${ref.name}`)]];
      } else {
        const w = this.#selectorWatches.get(this.#selectorWatchKey(ref));
        if (!w?.synced) return undefined;
        const sel = selectorString(ref.selector ?? {});
        const all = [...w.apps.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
        // As Kargo's argocd-update: Applications not authorized for the Stage are not its own.
        const mine = all.filter((a) => !authorizationProblem(a, project, stage));
        if (mine.length === 0) {
          parts.push({
            state: 'Unknown',
            issues: [
              all.length === 0
                ? `no Argo CD Applications found matching selector "${sel}" in ${where}`
                : `${all.length} Application(s) match selector "${sel}" in ${where}, but none is authorized for Stage ${project}:${stage}`,
            ],
          });
          continue;
        }
        found = mine.map((a) => [a.metadata.name, a]);
      }
      for (const [name, app] of found) {
        const d = desired.get(desiredKey(ref.cluster, ref.namespace, name)) ?? [];
        parts.push(
          appHealth(
            { ...(ref.cluster ? { cluster: ref.cluster } : {}), namespace: ref.namespace, name },
            app,
            d,
          ),
        );
      }
    }
    return stageHealth(parts, this.#clock());
  }

  async #recompute(project: string, stage: string): Promise<void> {
    if (this.#stopped) return;
    const health = await this.compute(project, stage);
    if (!health) return;
    const { changed, previous } = await this.#store.swapStageHealth(
      project,
      stage,
      health,
      healthFingerprint(health),
    );
    if (!changed) return;
    this.#log.info(
      { project, stage, status: health.status, previous: previous?.status },
      'stage health changed',
    );
    await this.#bus.publish(
      'StageHealthChanged',
      {
        project,
        stage,
        status: health.status,
        ...(previous ? { previous: previous.status } : {}),
        issues: health.issues,
        at: health.updatedAt,
      },
      `stage-health:${project}:${stage}:${Date.parse(health.updatedAt)}`,
    );
  }
}
