/**
 * Ferry's resources, shaped as Kargo's `kargo.akuity.io/v1alpha1` objects so that `-o yaml`
 * prints what a Kargo user expects. These are the normalised forms stored in Redis; the
 * manifest parser (`@ferry/kargo`) turns user YAML, including Kargo v0.3's
 * `promotionMechanisms`, into them.
 */

import type { GitEdit } from './messages.ts';

/** The API group and version of every Kargo resource. */
export const KARGO_API_VERSION = 'kargo.akuity.io/v1alpha1';

/** Object metadata, as Kubernetes defines it (the subset Ferry keeps). */
export interface ObjectMeta {
  /** The resource's name, unique per kind within its Project. */
  name: string;
  /** The Project (namespace) the resource belongs to; empty for Projects themselves. */
  namespace?: string;
  /** Labels, used by selectors (promotion policies, alias lookup). */
  labels?: Record<string, string>;
  /** Annotations, kept verbatim. */
  annotations?: Record<string, string>;
  /** Bumped each time `spec` changes on apply; 1 on creation. */
  generation?: number;
  /** RFC 3339 time of creation; set by Ferry. */
  creationTimestamp?: string;
}

/** A Kargo Project: a namespace of Warehouses, Stages, Freight and Promotions. */
export interface Project {
  apiVersion: typeof KARGO_API_VERSION;
  kind: 'Project';
  metadata: ObjectMeta;
  /** Empty in current Kargo (settings moved to ProjectConfig); kept for older manifests. */
  spec?: Record<string, unknown>;
  status?: { phase?: string };
}

/** How a Stage is chosen by a promotion policy: by name (exact, `glob:`, `regex:`) or labels. */
export interface StageSelector {
  /** Exact name, or `glob:<pattern>`, or `regex:<pattern>`; empty when labels select. */
  name?: string;
  /** Label equality requirements; empty when the name selects. */
  matchLabels?: Record<string, string>;
}

/** One auto-promotion rule of a ProjectConfig. */
export interface PromotionPolicy {
  /** Which Stages the rule covers. Older manifests name one Stage in `stage`; parsing maps it here. */
  stageSelector: StageSelector;
  /** Whether new Freight available to the Stage is promoted without a person asking. */
  autoPromotionEnabled: boolean;
}

/** Per-Project settings (Kargo's ProjectConfig, or the older `Project.spec.promotionPolicies`). */
export interface ProjectConfig {
  apiVersion: typeof KARGO_API_VERSION;
  kind: 'ProjectConfig';
  metadata: ObjectMeta;
  spec: {
    /** Auto-promotion rules; empty means every Promotion is asked for by a person. */
    promotionPolicies: PromotionPolicy[];
    /** Webhook receivers that ask for Warehouse refreshes; absent or empty = none. */
    webhookReceivers?: WebhookReceiverConfig[];
    /** When Promotions may start (Ferry's shape; Enterprise-only in Kargo); absent or empty = always. */
    promotionWindows?: PromotionWindow[];
  };
  /** Computed on read by the api; never stored. */
  status?: ProjectConfigStatus;
}

/** Whether a promotion window lets Promotions start inside it (`Allow`) or stops them (`Deny`). */
export const PromotionWindowKind = { Allow: 'Allow', Deny: 'Deny' } as const;
/** `Allow` or `Deny`. */
export type PromotionWindowKind = (typeof PromotionWindowKind)[keyof typeof PromotionWindowKind];

/**
 * A recurring time window that gates when Promotions of the selected Stages may start (Ferry's
 * `ProjectConfig.spec.promotionWindows[]`). A Stage covered by Allow windows starts Promotions only
 * inside one of them; inside a Deny window it starts none (Deny wins over Allow).
 */
export interface PromotionWindow {
  /** Unique in the ProjectConfig; named in the reason a Promotion waits. */
  name: string;
  /** Allow or Deny. */
  kind: PromotionWindowKind;
  /**
   * When each occurrence opens: an RFC 5545 recurrence with its start, e.g.
   * `DTSTART:20260101T220000Z\nRRULE:FREQ=DAILY` (a single `DTSTART` alone is one occurrence).
   */
  schedule: string;
  /** How long each occurrence stays open, a Go duration (`2h`, `30m`). */
  duration: string;
  /** The Stages it covers (by name pattern or labels); an empty selector covers every Stage. */
  stageSelector: StageSelector;
}

/** The webhook providers Ferry receives from (Kargo's, plus `distribution` for plain registries). */
export const WebhookProvider = {
  github: 'github',
  gitlab: 'gitlab',
  quay: 'quay',
  dockerhub: 'dockerhub',
  harbor: 'harbor',
  generic: 'generic',
  distribution: 'distribution',
  gitea: 'gitea',
  bitbucket: 'bitbucket',
  artifactory: 'artifactory',
  azure: 'azure',
} as const;
/** One of the webhook providers. */
export type WebhookProvider = (typeof WebhookProvider)[keyof typeof WebhookProvider];

/** One provider block of a webhook receiver. */
export interface WebhookProviderConfig {
  /**
   * The Secret of the same Project holding the shared secret (Kargo's `secretRef`), applied with
   * `ferry apply`; without one, the api falls back to `FERRY_WEBHOOK_SECRET_<NAME>` (docs/webhooks.md).
   */
  secretRef: { name: string };
  /** `generic` only (a Ferry setting): the header carrying the body's HMAC-SHA256; empty = `X-Ferry-Signature-256`. */
  signatureHeader?: string;
  /**
   * `artifactory` only (Kargo's field): the virtual repository Warehouses subscribe through; it replaces
   * the payload's local `data.repo_key` in the repository a push names. Empty = `data.repo_key`.
   */
  virtualRepoName?: string;
}

/** A webhook receiver of a ProjectConfig, as Kargo writes it: a name and exactly one provider block. */
export interface WebhookReceiverConfig {
  /** The receiver's name, unique in the ProjectConfig; part of its URL hash. */
  name: string;
  /** GitHub: `X-Hub-Signature-256`; Secret key `secret`. */
  github?: WebhookProviderConfig;
  /** GitLab: `X-Gitlab-Token`; Secret key `secret-token`. */
  gitlab?: WebhookProviderConfig;
  /** Quay.io: the secret is only part of the URL; Secret key `secret`. */
  quay?: WebhookProviderConfig;
  /** Docker Hub: the secret is only part of the URL; Secret key `secret`. */
  dockerhub?: WebhookProviderConfig;
  /** Harbor: the `Authorization` header; Secret key `auth-header`. */
  harbor?: WebhookProviderConfig;
  /** Any sender: HMAC-SHA256 of the body in a header (Ferry's form of Kargo's generic receiver). */
  generic?: WebhookProviderConfig;
  /** A Ferry extension: CNCF distribution registry notifications with `Authorization: Bearer <secret>`. */
  distribution?: WebhookProviderConfig;
  /** Gitea: HMAC-SHA256 of the body in `X-Gitea-Signature` (or `X-Hub-Signature-256`); Secret key `secret`. */
  gitea?: WebhookProviderConfig;
  /** Bitbucket: `X-Hub-Signature: sha256=<HMAC-SHA256 of the body>`; Secret key `secret`. */
  bitbucket?: WebhookProviderConfig;
  /** JFrog Artifactory: HMAC-SHA256 of the body in `X-Jfrog-Event-Auth`; Secret key `secret-token`. */
  artifactory?: WebhookProviderConfig;
  /** Azure Container Registry and Azure DevOps: the secret is only part of the URL; Secret key `secret`. */
  azure?: WebhookProviderConfig;
}

/** What the api shows about a ProjectConfig. */
export interface ProjectConfigStatus {
  /** One entry per receiver in `spec.webhookReceivers`, in the same order. */
  webhookReceivers: WebhookReceiverDetails[];
}

/** Where a webhook receiver listens. */
export interface WebhookReceiverDetails {
  /** The receiver's name. */
  name: string;
  /** `/webhook/<provider>/<sha256 hex>`; empty when the receiver's secret is not set (see `message`). */
  path?: string;
  /** Why there is no path; empty when there is one. */
  message?: string;
}

/** The ways Kargo picks an image among a repository's tags. */
export const ImageSelectionStrategy = {
  SemVer: 'SemVer',
  Lexical: 'Lexical',
  Digest: 'Digest',
  NewestBuild: 'NewestBuild',
} as const;
/** One of the image selection strategies. */
export type ImageSelectionStrategy = (typeof ImageSelectionStrategy)[keyof typeof ImageSelectionStrategy];

/** An image subscription of a Warehouse. */
export interface ImageSubscription {
  /** The image repository, e.g. `ghcr.io/acme/app` or a Docker Hub short name (`nginx`). */
  repoURL: string;
  /** How the best tag is picked; default SemVer. */
  imageSelectionStrategy: ImageSelectionStrategy;
  /** SemVer range the tag must satisfy (SemVer); or the mutable tag to follow (Digest). Empty = any. */
  constraint?: string;
  /** When true (default) only tags that are strict SemVer count under SemVer selection. */
  strictSemvers: boolean;
  /** Tags must match one of these regular expressions when any are given. */
  allowTagsRegexes: string[];
  /** Tags matching any of these regular expressions are skipped. */
  ignoreTagsRegexes: string[];
  /** Platform to pick from an image index (`linux/amd64`); empty = the index's digest itself. */
  platform?: string;
  /** How many candidates discovery keeps, best first (default 20, max 100). */
  discoveryLimit: number;
  /**
   * Kargo's `cacheByTag`: tags are treated as immutable, so a tag's digest and metadata, once read, are
   * reused without asking the registry again. Absent or false = a candidate tag may move and the best one
   * is resolved again on every discovery.
   */
  cacheByTag?: boolean;
  /**
   * Ferry extension (Kargo has no such field): only tags whose image was built at least this long ago
   * count, as a Go duration normalised like `interval` (`24h0m0s`). Read from the image config's `created`
   * time; an image without one never counts. Absent = any age.
   */
  minimumAge?: string;
  /**
   * Kargo's `insecureSkipTLSVerify`: the registry's TLS certificate is not verified (a self-signed or
   * private-CA registry). Absent or false = verified against the trusted CAs (`NODE_EXTRA_CA_CERTS` adds some).
   */
  insecureSkipTLSVerify?: boolean;
}

/** How a git subscription picks its commit (Kargo's `commitSelectionStrategy`). */
export const CommitSelectionStrategy = {
  NewestFromBranch: 'NewestFromBranch',
  SemVer: 'SemVer',
  Lexical: 'Lexical',
  NewestTag: 'NewestTag',
} as const;
/** One of the commit selection strategies. */
export type CommitSelectionStrategy = (typeof CommitSelectionStrategy)[keyof typeof CommitSelectionStrategy];

/** A git subscription of a Warehouse. */
export interface GitSubscription {
  /** The repository's URL (`https://…`, `http://…` or `git@host:path`). */
  repoURL: string;
  /** How the commit is picked; default NewestFromBranch. */
  commitSelectionStrategy: CommitSelectionStrategy;
  /** The branch NewestFromBranch follows; absent = the repository's default branch. */
  branch?: string;
  /** SemVer range a tag must satisfy (SemVer strategy); absent = any. */
  semverConstraint?: string;
  /** When true (default) only strict SemVer tags count under SemVer selection. */
  strictSemvers: boolean;
  /** Tags must match one of these regular expressions when any are given (tag strategies). */
  allowTagsRegexes: string[];
  /** Tags matching any of these regular expressions are skipped (tag strategies). */
  ignoreTagsRegexes: string[];
  /** Path selectors (prefix, `glob:`, `regex:`/`regexp:`) a commit must touch; empty = any path. */
  includePaths: string[];
  /** Path selectors whose changes alone do not count. */
  excludePaths: string[];
  /** How many candidates discovery keeps, best first (default 20, max 100). */
  discoveryLimit: number;
  /** Skip TLS certificate checks when talking to the repository. */
  insecureSkipTLSVerify?: boolean;
}

/** A Helm chart subscription of a Warehouse (Kargo's `ChartSubscription`). */
export interface ChartSubscription {
  /**
   * The chart repository: an HTTP(S) repository's URL (the one holding `index.yaml`), or
   * `oci://<registry>/<path>/<chart>` for a chart stored in an OCI registry.
   */
  repoURL: string;
  /** The chart's name in an HTTP(S) repository's index; absent for OCI, whose URL names the chart. */
  name?: string;
  /** SemVer range the chart version must satisfy; absent = any. */
  semverConstraint?: string;
  /** How many candidates discovery keeps, newest first (default 20, max 100). */
  discoveryLimit: number;
  /**
   * Kargo's `insecureSkipTLSVerify`: the TLS certificate of the HTTPS repository or OCI registry is not
   * verified. Absent or false = verified against the trusted CAs (`NODE_EXTRA_CA_CERTS` adds some).
   */
  insecureSkipTLSVerify?: boolean;
}

/** One subscription of a Warehouse: an image, a git repository or a Helm chart. */
export type WarehouseSubscription =
  | { image: ImageSubscription; git?: never; chart?: never }
  | { git: GitSubscription; image?: never; chart?: never }
  | { chart: ChartSubscription; image?: never; git?: never };

/** Which Freight creation policy a Warehouse follows. */
export const FreightCreationPolicy = { Automatic: 'Automatic', Manual: 'Manual' } as const;
/** One of the Freight creation policies. */
export type FreightCreationPolicy = (typeof FreightCreationPolicy)[keyof typeof FreightCreationPolicy];

/** A Warehouse: a set of subscriptions whose newest artifacts become Freight. */
export interface Warehouse {
  apiVersion: typeof KARGO_API_VERSION;
  kind: 'Warehouse';
  metadata: ObjectMeta;
  spec: {
    /** Discovery interval (Go duration, e.g. `5m0s`); default 5m. */
    interval: string;
    /** Whether Freight is made without a person asking; default Automatic. */
    freightCreationPolicy: FreightCreationPolicy;
    /** The subscriptions: `image`, `git` and `chart` ones. */
    subscriptions: WarehouseSubscription[];
  };
  status?: WarehouseStatus;
}

/** What the last discovery of a Warehouse found. */
export interface WarehouseStatus {
  /** RFC 3339 time the last discovery finished. */
  lastHandledRefresh?: string;
  /** The candidates per subscription, best first; empty until the first discovery. */
  discoveredArtifacts?: {
    discoveredAt: string;
    images: DiscoveredImages[];
    /** Candidates per git subscription; absent when the Warehouse has none. */
    git?: DiscoveredCommits[];
    /** Candidates per chart subscription; absent when the Warehouse has none. */
    charts?: DiscoveredCharts[];
  };
  /** Why the last discovery failed; empty when it succeeded. */
  message?: string;
  /** Id of the Freight the last discovery produced (or found already made); empty if none. */
  lastFreightID?: string;
  /** Whether discovery works (Ferry's addition); absent until the first discovery after it was added. */
  health?: WarehouseHealth;
}

/** Health of a Warehouse's discovery, set by warehouse-poller after each discovery. */
export interface WarehouseHealth {
  /** `Unhealthy` while any subscription fails; `Healthy` once every subscription discovers again. */
  status: 'Healthy' | 'Unhealthy';
  /** Why it is Unhealthy, naming the failing subscription(s); absent when Healthy. */
  reason?: string;
  /** RFC 3339 time the Warehouse entered this status (kept while the status stays the same). */
  since?: string;
}

/** Candidates discovered for one image subscription. */
export interface DiscoveredImages {
  /** The subscription's repository. */
  repoURL: string;
  /** Candidates, best first, at most `discoveryLimit`; the digest is resolved for the best one. */
  references: Array<{ tag: string; digest?: string; createdAt?: string }>;
}

/** Candidates discovered for one chart subscription (Kargo's `ChartDiscoveryResult`). */
export interface DiscoveredCharts {
  /** The subscription's repository. */
  repoURL: string;
  /** The chart's name (HTTP(S) repositories); absent for OCI. */
  name?: string;
  /** The subscription's constraint the versions satisfy; absent when it has none. */
  semverConstraint?: string;
  /** Versions, newest first, at most `discoveryLimit`. */
  versions: string[];
}

/** Candidates discovered for one git subscription (Kargo's `GitDiscoveryResult`). */
export interface DiscoveredCommits {
  /** The subscription's repository. */
  repoURL: string;
  /** Candidates, best first, at most `discoveryLimit`. */
  commits: DiscoveredCommit[];
}

/** A commit discovered by a git subscription. */
export interface DiscoveredCommit {
  /** The commit sha. */
  id: string;
  /** The branch it was found on (NewestFromBranch). */
  branch?: string;
  /** The tag that resolved to it (tag strategies). */
  tag?: string;
  /** First line of the commit message. */
  subject?: string;
  /** `Name <email>` of the author. */
  author?: string;
  /** RFC 3339 commit date, or the tagger date of an annotated tag. */
  creatorDate?: string;
}

/** Where a Stage's Freight comes from (`requestedFreight[]`). */
export interface FreightRequest {
  /** The Freight's origin: the Warehouse that makes it. */
  origin: FreightOrigin;
  sources: {
    /** True when the Stage may take Freight straight from the Warehouse. */
    direct: boolean;
    /** Upstream Stages; Freight must be verified in one of them (or approved for this Stage). */
    stages: string[];
    /**
     * Kargo's `availabilityStrategy`: `OneOf` (verified in any upstream Stage) or `All` (verified
     * in every one). Absent means `OneOf`.
     */
    availabilityStrategy?: FreightAvailabilityStrategy;
    /**
     * Kargo's `requiredSoakTime` (a Go duration such as `1h`): how long ago the Freight must have
     * been verified in an upstream Stage before this Stage may take it. Absent means no soak.
     */
    requiredSoakTime?: string;
    /**
     * Kargo's `autoPromotionOptions` (used only when a ProjectConfig policy enables auto-promotion
     * for the Stage). Absent means `selectionPolicy: NewestFreight`.
     */
    autoPromotionOptions?: { selectionPolicy: AutoPromotionSelectionPolicy };
  };
}

/**
 * Which Freight auto-promotion picks (Kargo's `AutoPromotionSelectionPolicy`): `NewestFreight`, the
 * newest Freight available to the Stage, or `MatchUpstream`, the Freight the one upstream Stage runs
 * now (only with exactly one upstream Stage and no direct source).
 */
export const AutoPromotionSelectionPolicy = {
  NewestFreight: 'NewestFreight',
  MatchUpstream: 'MatchUpstream',
} as const;
/** `NewestFreight` or `MatchUpstream`. */
export type AutoPromotionSelectionPolicy =
  (typeof AutoPromotionSelectionPolicy)[keyof typeof AutoPromotionSelectionPolicy];

/** How upstream verification makes Freight available (Kargo's `FreightAvailabilityStrategy`). */
export const FreightAvailabilityStrategy = { OneOf: 'OneOf', All: 'All' } as const;
/** `OneOf` or `All`. */
export type FreightAvailabilityStrategy =
  (typeof FreightAvailabilityStrategy)[keyof typeof FreightAvailabilityStrategy];

/** The origin of a piece of Freight. */
export interface FreightOrigin {
  /** Always `Warehouse` today. */
  kind: 'Warehouse';
  /** The Warehouse's name. */
  name: string;
}

/** One step of a promotion template. */
export interface PromotionStep {
  /** The step's kind, e.g. `git-clone`, `kustomize-set-image`, `argocd-update`. */
  uses: string;
  /** Alias under which the step's outputs are kept (`outputs.<as>`); default `step-<index>`. */
  as?: string;
  /** The step's configuration, checked against the step's schema when it runs. */
  config?: Record<string, unknown>;
  /** An expression; when it is false the step is Skipped. Empty = run when no earlier step failed. */
  if?: string;
  /** When true a Failed or Errored step does not fail the Promotion; later steps still run. */
  continueOnError?: boolean;
  /** Retry policy of the step. */
  retry?: PromotionStepRetry;
  /** Variables for this step's expressions; they shadow the template's `vars` of the same name. */
  vars?: PromotionVariable[];
  /**
   * A (Cluster)PromotionTask this step stands for; `uses` is then empty. Only in Stage templates:
   * a Promotion replaces the step by the task's steps when it is created.
   */
  task?: PromotionTaskReference;
}

/** A Stage step's `task`: which PromotionTask (or ClusterPromotionTask) to run in its place. */
export interface PromotionTaskReference {
  /** The task's name. */
  name: string;
  /** `PromotionTask` (of the Stage's Project, the default) or `ClusterPromotionTask`. */
  kind?: 'PromotionTask' | 'ClusterPromotionTask';
}

/** A PromotionTask (of a Project) or ClusterPromotionTask (of every Project): reusable steps. */
export interface PromotionTask {
  kind: 'PromotionTask' | 'ClusterPromotionTask';
  /** The task's name, unique per Project (or cluster-wide for a ClusterPromotionTask). */
  name: string;
  /** The Project of a PromotionTask; empty for a ClusterPromotionTask. */
  project: string;
  spec: {
    /** The task's inputs; one with an empty `value` must be given by each Stage step using the task. */
    vars: Array<{ name: string; value?: string }>;
    /** The steps that replace the task step; they cannot themselves use tasks. */
    steps: PromotionStep[];
  };
}

/** How often and how long a step may be retried. */
export interface PromotionStepRetry {
  /** Errored attempts in a row tolerated before the step fails; default 1 (no retry). */
  errorThreshold?: number;
  /** Duration (`30s`, `5m`, `1h`) the step may run overall; overrides the step's default timeout. */
  timeout?: string;
}

/** A named value that expressions see as `vars.<name>`. */
export interface PromotionVariable {
  name: string;
  /** The value; may itself hold `${{ }}` expressions over earlier variables. */
  value: string;
}

/** A Stage: a place Freight is promoted to (an environment). */
export interface Stage {
  apiVersion: typeof KARGO_API_VERSION;
  kind: 'Stage';
  metadata: ObjectMeta;
  spec: {
    /** The Freight the Stage takes, per origin. */
    requestedFreight: FreightRequest[];
    /** The steps each Promotion to this Stage runs; empty for a control-flow Stage. */
    promotionTemplate?: { spec: { steps: PromotionStep[]; vars?: PromotionVariable[] } };
    /**
     * How Freight is verified after a Promotion: AnalysisTemplates Ferry runs itself. Empty: the
     * Freight is verified once its Promotion succeeded (Argo CD apps Synced and Healthy).
     */
    verification?: StageVerification;
  };
  status?: StageStatus;
}

/** A Stage's `spec.verification`, as Kargo writes it. */
export interface StageVerification {
  /** The AnalysisTemplates (or ClusterAnalysisTemplates, by `kind`) whose metrics must pass. */
  analysisTemplates: Array<{ name: string; kind?: string }>;
  /** Values for the templates' args. */
  args?: Array<{ name: string; value: string }>;
  /** Labels and annotations Kargo puts on AnalysisRuns; kept on the run record. */
  analysisRunMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** The outcome (or progress) of one verification of Freight in a Stage. */
export interface VerificationRecord {
  /** The Freight verified. */
  freight: string;
  /** The Promotion after which it ran; empty for a re-run asked with `ferry verify`. */
  promotion?: string;
  /** Pending, Running, Successful, Failed, Error, Inconclusive or Aborted. */
  phase: string;
  /** Why it ended so, or what it waits for. */
  message?: string;
  startedAt: string;
  finishedAt?: string;
}

/** A Stage's observed state, owned by the promoter. */
export interface StageStatus {
  /** The Freight the Stage runs now, one per origin; empty before its first Promotion. */
  freightHistory?: Array<{ id: string; origin: FreightOrigin; promotedAt: string; promotion: string }>;
  /** The last Promotion that finished, with its phase. */
  lastPromotion?: { name: string; phase: PromotionPhase; freight: string; finishedAt?: string };
  /** The Promotion running now; empty when idle. */
  currentPromotion?: { name: string; freight: string };
  /** The Freight verified most recently in this Stage. */
  lastVerifiedFreight?: string;
  /** The latest verification (running or finished); empty when the Stage verifies nothing. */
  verification?: VerificationRecord;
  /** Earlier verifications, newest first. */
  verificationHistory?: VerificationRecord[];
  /**
   * The Stage's health from watching the Argo CD Applications its `argocd-update` steps name
   * (owned by argocd-syncer); empty when the Stage updates no Application or nothing was seen yet.
   */
  health?: StageHealth;
  /**
   * Auto-promotion holds by origin (`Warehouse/<name>`): a Freight other than the auto-promotion
   * candidate was promoted by hand, so auto-promotion of that origin waits until the candidate is
   * promoted again (Kargo's `autoPromotionHolds`). Empty when nothing holds.
   */
  autoPromotionHolds?: Record<string, AutoPromotionHold>;
}

/** One auto-promotion hold of a Stage (Kargo's `AutoPromotionHold`). */
export interface AutoPromotionHold {
  /** The Freight promoted by hand that set the hold. */
  freight: string;
  /** The origin it pins. */
  origin: FreightOrigin;
  /** The Promotion that set it. */
  promotion: string;
  /** Who asked for that Promotion. */
  actor: string;
  /** When that Promotion was created (RFC 3339). */
  createdAt: string;
}

/**
 * A Stage's health (Kargo's `HealthState`), from most to least healthy: `Healthy`, `NotApplicable`,
 * `Progressing`, `Unknown`, `Unhealthy`. A Stage takes the worst state of its Applications.
 */
export const StageHealthState = {
  Healthy: 'Healthy',
  NotApplicable: 'NotApplicable',
  Progressing: 'Progressing',
  Unknown: 'Unknown',
  Unhealthy: 'Unhealthy',
} as const;
/** One of {@link StageHealthState}. */
export type StageHealthState = (typeof StageHealthState)[keyof typeof StageHealthState];

/** One Argo CD Application behind a Stage's health (Kargo's `ArgoCDAppStatus`, plus Ferry's `cluster`). */
export interface StageAppHealth {
  /** Kubeconfig context of its Argo CD installation; empty for the default one. */
  cluster?: string;
  /** The Application's namespace. */
  namespace: string;
  /** The Application's name. */
  name: string;
  /** What the app means for the Stage's health. */
  state: StageHealthState;
  /** Argo CD's `status.health` (`Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`, `Unknown`). */
  healthStatus: { status: string; message?: string };
  /** Argo CD's `status.sync`: `Synced`, `OutOfSync` or `Unknown`, with the revision(s). */
  syncStatus: { status: string; revision?: string; revisions?: string[] };
  /** The revision(s) the last Promotion asked for ('' = any); empty when none is known. */
  desiredRevisions?: string[];
}

/** A Stage's `status.health` (Kargo's `Health`): the state, why, and each Application's detail. */
export interface StageHealth {
  /** The worst state of the Stage's Applications. */
  status: StageHealthState;
  /** Why the Stage is not Healthy; empty when it is. */
  issues: string[];
  /** The Applications, in the order the Stage's steps name them (Kargo puts them in `output`). */
  apps: StageAppHealth[];
  /** When argocd-syncer last changed this record (RFC 3339). */
  updatedAt: string;
}

/** An image in a piece of Freight. */
export interface FreightImage {
  /** The repository, exactly as the subscription names it. */
  repoURL: string;
  /** The tag discovered. */
  tag: string;
  /** The digest the tag pointed at when discovered (`sha256:...`). */
  digest: string;
}

/** A git commit in a piece of Freight (discovered by git subscriptions, a later release). */
export interface FreightCommit {
  repoURL: string;
  /** The commit sha. */
  id: string;
  /** The tag, when the commit was selected by tag; empty otherwise. */
  tag?: string;
  /** The branch, when the commit was selected from a branch. */
  branch?: string;
  /** The commit message's first line. */
  message?: string;
  /** `Name <email>` of the author. */
  author?: string;
}

/** A Helm chart version in a piece of Freight. */
export interface FreightChart {
  /** The repository as the subscription names it (`https://…` or `oci://…`). */
  repoURL: string;
  /** The chart's name in an HTTP(S) repository; empty for OCI, whose `repoURL` names the chart (as Kargo records it). */
  name: string;
  /** The chart version discovered. */
  version: string;
}

/** A piece of Freight: an immutable set of artifact versions from one Warehouse. */
export interface Freight {
  apiVersion: typeof KARGO_API_VERSION;
  kind: 'Freight';
  metadata: ObjectMeta;
  /** A readable, unique-per-Project name (`wild-otter`), also the `kargo.akuity.io/alias` label. */
  alias: string;
  /** The Warehouse that made it. */
  origin: FreightOrigin;
  images: FreightImage[];
  commits: FreightCommit[];
  charts: FreightChart[];
  status: FreightStatus;
}

/** Where a piece of Freight has been verified or approved; owned by freight-store. */
export interface FreightStatus {
  /** Stage name → when and by which Promotion it was verified there. */
  verifiedIn: Record<string, { verifiedAt: string; promotion?: string }>;
  /** Stage name → approval that lets the Stage take it without upstream verification. */
  approvedFor: Record<string, { approvedAt: string; by?: string }>;
  /**
   * Stage name (or `*` for every Stage) → who rejected the Freight there and why. A rejected
   * Freight is not available to that Stage and never auto-promoted; empty when never rejected.
   */
  rejected?: Record<string, { rejectedAt: string; by: string; reason: string }>;
  /** Stage name → since when the Freight has been running there. */
  currentlyIn: Record<string, { since: string }>;
}

/** The phases of a Promotion. Terminal: Succeeded, Failed, Errored, Aborted. */
export const PromotionPhase = {
  Pending: 'Pending',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Errored: 'Errored',
  Aborted: 'Aborted',
} as const;
/** One of the Promotion phases. */
export type PromotionPhase = (typeof PromotionPhase)[keyof typeof PromotionPhase];

/** True for phases a Promotion never leaves. */
export const isTerminalPhase = (p: PromotionPhase): boolean =>
  p === 'Succeeded' || p === 'Failed' || p === 'Errored' || p === 'Aborted';

/** The outcome of one step run. `Running` means: call again later. */
export const StepStatus = {
  Pending: 'Pending',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Errored: 'Errored',
  Skipped: 'Skipped',
} as const;
/** One of the step outcomes. */
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

/** Execution record of one step of a Promotion. */
export interface StepExecution {
  /** The step alias. */
  alias: string;
  /** The step kind (`uses`). */
  uses: string;
  status: StepStatus;
  /** RFC 3339 times; empty until the step starts / ends. */
  startedAt?: string;
  finishedAt?: string;
  /** What happened, in words; set on failure and on notable success. */
  message?: string;
  /** Errored attempts in a row so far (Kargo's `errorCount`); empty until one errors. */
  errorCount?: number;
}

/** A Promotion: a request to move one piece of Freight into one Stage. */
export interface Promotion {
  apiVersion: typeof KARGO_API_VERSION;
  kind: 'Promotion';
  metadata: ObjectMeta;
  spec: {
    /** The target Stage. */
    stage: string;
    /** The Freight id to promote. */
    freight: string;
    /** The steps, copied from the Stage's template when the Promotion is created. */
    steps: PromotionStep[];
    /** Variables copied from the Stage's template (`promotionTemplate.spec.vars`); empty when none. */
    vars?: PromotionVariable[];
  };
  status: PromotionStatus;
}

/** A Promotion's observed state, owned by the promoter. */
export interface PromotionStatus {
  phase: PromotionPhase;
  /** Why it is in this phase: the reason it waits, what failed. */
  message?: string;
  /** Index of the step being run (or next to run). */
  currentStep: number;
  /** One record per step, in order. */
  stepExecutionMetadata: StepExecution[];
  /** Step alias → that step's outputs. */
  state: Record<string, Record<string, unknown>>;
  /**
   * Metadata recorded by `set-metadata` steps, keyed `<Kind>/<name>` (`Stage/prod`), then by key;
   * empty when no such step ran. Ferry keeps it on the Promotion rather than on the resources.
   */
  metadata?: Record<string, Record<string, unknown>>;
  /** Who asked: a user name, or `ferry:auto-promotion`. */
  requestedBy?: string;
  /** RFC 3339 time the Promotion was created / finished. */
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** The git work the steps planned so far, carried out by git-writer at `git-push`. */
  workspace?: PromotionWorkspace;
  /** The W3C traceparent of the trace the Promotion belongs to. */
  traceparent?: string;
  /** Compare-and-set counter; every status write bumps it. */
  revision: number;
}

/**
 * The git work a Promotion's steps plan. Steps run in the promoter, which holds no files:
 * `git-clone` records checkouts, edit steps record edits, `git-commit` the message, and
 * `git-push` hands the lot to git-writer, which does it in a work tree of its own.
 */
export interface PromotionWorkspace {
  /** Checkouts by `git-clone`, keyed by their path in the Promotion's work tree (`./repo-0`). */
  checkouts: Array<{
    path: string;
    repoURL: string;
    branch?: string;
    create?: boolean;
    /** A read-only checkout of this commit (`checkout[].commit`); edits in it only feed `copy`. */
    commit?: string;
    /** A read-only checkout of this tag (`checkout[].tag`). */
    tag?: string;
  }>;
  /** Edits recorded by edit steps, each in the checkout at `checkout`, with a repo-relative `path`. */
  edits: Array<{ checkout: string } & GitEdit>;
  /** Commit message per checkout, set by `git-commit`. */
  messages: Record<string, string>;
  /** The commit `git-push` pushed, per checkout path (what `git-tag` tags); absent before a push. */
  pushed?: Record<string, string>;
}
