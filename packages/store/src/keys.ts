/**
 * Every Redis key Ferry uses, with its owner (the only service that writes it). Project
 * names are DNS-1123 labels, so they never contain the `:` separator. docs/architecture.md
 * lists the same table.
 */
export const Keys = {
  // api: definitions
  projects: () => 'ferry:projects',
  warehouses: (p: string) => `ferry:p:${p}:warehouses`,
  stages: (p: string) => `ferry:p:${p}:stages`,
  projectConfig: (p: string) => `ferry:p:${p}:projectconfig`,
  analysisTemplates: (p: string) => `ferry:p:${p}:analysistemplates`,
  clusterAnalysisTemplates: () => 'ferry:clusteranalysistemplates',
  /** Hash per Project: PromotionTask name → JSON PromotionTask, as applied. */
  promotionTasks: (p: string) => `ferry:p:${p}:promotiontasks`,
  /** Hash: ClusterPromotionTask name → JSON PromotionTask, as applied. */
  clusterPromotionTasks: () => 'ferry:clusterpromotiontasks',
  /** String per Secret: the Secret applied with `ferry apply`, AES-256-GCM sealed (see `SecretStore`). */
  secret: (p: string, name: string) => `ferry:p:${p}:secret:${name}`,
  /** Hash per Project and credential type: Secret name → JSON {repoURL, isRegex}; no secret values. */
  credentialIndex: (p: string, type: string) => `ferry:p:${p}:creds:${type}`,
  /** String per Project: counter bumped on every change of its credential Secrets (cache invalidation). */
  credentialVersion: (p: string) => `ferry:p:${p}:creds:version`,
  // warehouse-poller: discovery results and schedule
  warehouseStatus: (p: string, w: string) => `ferry:p:${p}:warehouse:${w}:status`,
  pollSchedule: () => 'ferry:poll:due',
  // warehouse-poller: discovery caches and registry rate limits (issue 3, "Discovery at scale")
  /** Hash per repository and platform: tag → JSON {digest, createdAt?} read from the registry. */
  pollTagCache: (repoURL: string, platform: string) => `ferry:poll:tags:${repoURL}|${platform}`,
  /** Hash per repository and platform: digest → JSON {createdAt?}, so image metadata is read once. */
  pollImageCache: (repoURL: string, platform: string) => `ferry:poll:images:${repoURL}|${platform}`,
  /** String per repository: SHA-256 of its sorted tag list at the last discovery. */
  pollTagListHash: (repoURL: string) => `ferry:poll:taglist:${repoURL}`,
  /** Hash per registry host: a token bucket (`tokens`, `ts`) shared by every replica. */
  registryBucket: (host: string) => `ferry:poll:bucket:${host}`,
  /** String per git subscription (SHA-256 of its fields): JSON {refsHash, commits} of its last discovery. */
  pollGitDiscovery: (subscription: string) => `ferry:poll:git:${subscription}`,
  /** String per Helm repository index URL (SHA-256 of it): JSON {etag, lastModified, charts: name → versions}. */
  pollHelmIndex: (urlHash: string) => `ferry:poll:helm:${urlHash}`,
  // freight-store: Freight and where it is verified
  freight: (p: string) => `ferry:p:${p}:freight`,
  freightAlias: (p: string) => `ferry:p:${p}:freight:alias`,
  freightByWarehouse: (p: string, w: string) => `ferry:p:${p}:freight:by-warehouse:${w}`,
  freightVerified: (p: string, id: string) => `ferry:p:${p}:freight:${id}:verified`,
  freightApproved: (p: string, id: string) => `ferry:p:${p}:freight:${id}:approved`,
  freightRejected: (p: string, id: string) => `ferry:p:${p}:freight:${id}:rejected`,
  // promoter: Promotions, their order per Stage, Stage history
  promotion: (p: string, name: string) => `ferry:p:${p}:promotion:${name}`,
  promotions: (p: string) => `ferry:p:${p}:promotions`,
  stagePromotions: (p: string, s: string) => `ferry:p:${p}:stage:${s}:promotions`,
  stageHistory: (p: string, s: string) => `ferry:p:${p}:stage:${s}:history`,
  activeStages: () => 'ferry:promoter:active-stages',
  stageVerification: (p: string, s: string) => `ferry:p:${p}:stage:${s}:verification`,
  stageVerificationHistory: (p: string, s: string) => `ferry:p:${p}:stage:${s}:verification-history`,
  verificationsDue: () => 'ferry:promoter:verifications:due',
  /** Hash per Promotion: user → JSON {at, reject?, reason?}, decisions for its `wait-for-approval` step. */
  promotionApprovals: (p: string, name: string) => `ferry:p:${p}:promotion:${name}:approvals`,
  /** Zset of `<p>/<s>` scored by when the Stage must be looked at again (a promotion window opens). */
  kicksDue: () => 'ferry:promoter:kicks:due',
  /** Hash per Stage: origin (`Warehouse/<name>`) → JSON AutoPromotionHold. */
  stageHolds: (p: string, s: string) => `ferry:p:${p}:stage:${s}:holds`,
  sequence: () => 'ferry:seq',
  // git-writer: outcomes of writes, leases
  gitWrite: (writeId: string) => `ferry:git:write:${writeId}`,
  // argocd-syncer: sync operations
  argocdOp: (opId: string) => `ferry:argocd:op:${opId}`,
  argocdInflight: () => 'ferry:argocd:inflight',
  /** String per Stage: JSON StageHealth from watching its Argo CD Applications. */
  stageHealth: (p: string, s: string) => `ferry:p:${p}:stagehealth:${s}`,
  // leases (any service, for its own work)
  lease: (name: string) => `ferry:lease:${name}`,
  fence: (name: string) => `ferry:fence:${name}`,
  // api: auth
  /** Hash: token name -> JSON {name, subject, roles, hash, createdAt, lastUsedAt, expiresAt?}. */
  apiTokens: () => 'ferry:auth:tokens',
  /** Hash: SHA-256 hex of a token -> its name; the secret itself is never stored. */
  apiTokenHashes: () => 'ferry:auth:token-hashes',
  /** Capped list of a Project's audit entries (JSON), newest first. */
  projectAudit: (p: string) => `ferry:p:${p}:audit`,
  /** Capped list of audit entries of requests outside one Project (tokens, Projects), newest first. */
  systemAudit: () => 'ferry:audit',
} as const;
