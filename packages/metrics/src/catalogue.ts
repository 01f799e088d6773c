import { Counter, Gauge, Histogram } from 'prom-client';
import { withTraceExemplars } from './exemplars.ts';
import { registry } from './metrics.ts';

// Ferry's domain metrics. Each is created once, on the process's one registry, so every service
// exports the full catalogue (a metric a service never touches shows no series, which is how
// Prometheus treats labelled metrics anyway). Labels are closed sets or configuration names
// (project, Warehouse, Stage, registry host): never Promotion names, Freight ids or tags.

/** Buckets for work measured in seconds to minutes: discovery, Promotions, Argo CD waits. */
const WORK_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
/** Buckets for DORA times: minutes to a week. */
const DORA_BUCKETS = [
  60,
  300,
  900,
  1800,
  3600,
  3 * 3600,
  6 * 3600,
  12 * 3600,
  86_400,
  3 * 86_400,
  7 * 86_400,
];

/** What a discovery cache lookup looked up (the `kind` label of `ferry_discovery_cache_lookups_total`). */
export const CacheKinds = {
  /** A tag's digest (and build time), cached per tag. */
  tag: 'tag',
  /** An image's metadata, cached per digest. */
  image: 'image',
} as const;
/** One of {@link CacheKinds}. */
export type CacheKind = (typeof CacheKinds)[keyof typeof CacheKinds];

/** How an Argo CD wait ended (the `outcome` label of the `ferry_argocd_*` metrics). */
export const ArgoCDOutcomes = {
  /** The Applications were Synced and Healthy at the revision. */
  healthy: 'healthy',
  /** The sync failed or the Application turned Degraded. */
  failed: 'failed',
  /** Something broke (the Application is missing, not authorized, the API did not answer). */
  errored: 'errored',
} as const;
/** One of {@link ArgoCDOutcomes}. */
export type ArgoCDOutcome = (typeof ArgoCDOutcomes)[keyof typeof ArgoCDOutcomes];

/** The git operations git-writer times (the `operation` label of `ferry_git_operation_duration_seconds`). */
export const GitOperations = {
  fetch: 'fetch',
  worktree: 'worktree',
  commit: 'commit',
  push: 'push',
} as const;
/** One of {@link GitOperations}. */
export type GitOperation = (typeof GitOperations)[keyof typeof GitOperations];

/**
 * Time to discover one Warehouse (list tags, rank, read what the caches miss), failures included,
 * by project only: a histogram per Warehouse would cost the poller about 20 KB and Prometheus 16
 * series for each one; {@link discoveryLastDuration} and {@link discoveryLastTime} are the cheap
 * per-Warehouse view. Carries the discovery's trace id as an exemplar (OpenMetrics scrapes): time it with
 * `startTimer(labels)` inside the discovery span.
 */
export const discoveryDuration = withTraceExemplars(
  new Histogram({
    name: 'ferry_discovery_duration_seconds',
    help: 'Time to discover one Warehouse, by project',
    labelNames: ['project'] as const,
    buckets: WORK_BUCKETS,
    registers: [],
    enableExemplars: true,
  }),
);

/** How long each Warehouse's last discovery took, failures included (set by the replica that ran it). */
export const discoveryLastDuration = new Gauge({
  name: 'ferry_discovery_last_duration_seconds',
  help: "Duration of each Warehouse's last discovery on this replica, by project and Warehouse",
  labelNames: ['project', 'warehouse'] as const,
  registers: [registry],
});

/** When each Warehouse's last discovery ended, failures included, as Unix time in seconds. */
export const discoveryLastTime = new Gauge({
  name: 'ferry_discovery_last_timestamp_seconds',
  help: "Unix time at which each Warehouse's last discovery on this replica ended, by project and Warehouse",
  labelNames: ['project', 'warehouse'] as const,
  registers: [registry],
});

/** Discovery cache lookups, by what was looked up and whether the cache held it. */
export const discoveryCacheLookups = new Counter({
  name: 'ferry_discovery_cache_lookups_total',
  help: 'Discovery cache lookups, by kind (tag, image) and result (hit, miss)',
  labelNames: ['kind', 'result'] as const,
  registers: [registry],
});

/** Registry HTTP requests (token requests excluded), by registry host and HTTP status (`error` when unanswered). */
export const registryRequests = new Counter({
  name: 'ferry_registry_requests_total',
  help: 'Requests to container registries, by registry host and HTTP status code (error when no answer)',
  labelNames: ['registry', 'code'] as const,
  registers: [registry],
});

/** Time of one registry request, by registry host. */
export const registryRequestDuration = new Histogram({
  name: 'ferry_registry_request_duration_seconds',
  help: 'Time of one request to a container registry, by registry host',
  labelNames: ['registry'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** 429 answers from registries, by registry host. */
export const registryRateLimited = new Counter({
  name: 'ferry_registry_rate_limited_total',
  help: 'HTTP 429 (Too Many Requests) answers from container registries, by registry host',
  labelNames: ['registry'] as const,
  registers: [registry],
});

/** Seconds spent waiting out 429 answers before retrying, by registry host. */
export const registryRateLimitWait = new Counter({
  name: 'ferry_registry_rate_limit_wait_seconds_total',
  help: 'Seconds spent waiting after 429 answers before retrying, by registry host',
  labelNames: ['registry'] as const,
  registers: [registry],
});

/** Time of one git operation in git-writer, by operation. */
export const gitOperationDuration = new Histogram({
  name: 'ferry_git_operation_duration_seconds',
  help: 'Time of one git operation in git-writer, by operation (fetch, worktree, commit, push)',
  labelNames: ['operation'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

/**
 * Pushes the remote rejected because the branch moved. git-writer then redoes the edits on the new
 * head and pushes again, unless the write ran out of attempts: so this counts push retries.
 */
export const gitPushRejections = new Counter({
  name: 'ferry_git_push_rejections_total',
  help: 'git pushes rejected because the branch moved; each is redone on the new head while attempts remain',
  registers: [registry],
});

/**
 * Time from a Promotion's creation to its end, by project, Stage and final phase. Carries the
 * Promotion's trace id as an exemplar: record it with `observeWithTrace` (or `recordPromotionFinished`).
 */
export const promotionDuration = withTraceExemplars(
  new Histogram({
    name: 'ferry_promotion_duration_seconds',
    help: 'Time from creation to the end of a Promotion, by project, Stage and final phase',
    labelNames: ['project', 'stage', 'phase'] as const,
    buckets: WORK_BUCKETS,
    registers: [],
    enableExemplars: true,
  }),
);

/**
 * Promotions that finished, by project, Stage and final phase. Deployment frequency is the rate of
 * `phase="Succeeded"`; change failure rate is Failed plus Errored over all but Aborted.
 */
export const promotionsFinished = new Counter({
  name: 'ferry_promotions_finished_total',
  help: 'Promotions finished, by project, Stage and final phase (Succeeded, Failed, Errored, Aborted)',
  labelNames: ['project', 'stage', 'phase'] as const,
  registers: [registry],
});

/** Promotions of a Stage not finished yet (running and queued), set on every pass over the Stage. */
export const promotionQueueDepth = new Gauge({
  name: 'ferry_promotion_queue_depth',
  help: 'Promotions not finished yet (Pending and Running), by project and Stage',
  labelNames: ['project', 'stage'] as const,
  registers: [registry],
});

/** Age of the oldest Pending Promotion of a Stage; 0 when none waits. */
export const promotionOldestPendingAge = new Gauge({
  name: 'ferry_promotion_oldest_pending_age_seconds',
  help: 'Age of the oldest Pending Promotion, by project and Stage (0 when none waits)',
  labelNames: ['project', 'stage'] as const,
  registers: [registry],
});

/** Time argocd-syncer waited for Applications to be Synced and Healthy, by outcome. */
export const argocdWait = new Histogram({
  name: 'ferry_argocd_wait_seconds',
  help: 'Time from asking Argo CD to sync until the outcome, by outcome (healthy, failed, errored)',
  labelNames: ['outcome'] as const,
  buckets: WORK_BUCKETS,
  registers: [registry],
});

/** Argo CD sync operations finished, by outcome. */
export const argocdOperations = new Counter({
  name: 'ferry_argocd_operations_total',
  help: 'Argo CD sync operations finished, by outcome (healthy, failed, errored)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

/** DORA lead time: from the Freight's creation (its discovery) until it is verified in the Stage. */
export const leadTime = new Histogram({
  name: 'ferry_lead_time_seconds',
  help: 'DORA lead time: Freight creation to verified in the Stage, by project and Stage',
  labelNames: ['project', 'stage'] as const,
  buckets: DORA_BUCKETS,
  registers: [registry],
});

/** DORA time to restore: from a failed Promotion to the next Succeeded one in the same Stage. */
export const timeToRestore = new Histogram({
  name: 'ferry_time_to_restore_seconds',
  help: 'DORA time to restore: first Failed or Errored Promotion to the next Succeeded one, by project and Stage',
  labelNames: ['project', 'stage'] as const,
  buckets: DORA_BUCKETS,
  registers: [registry],
});
