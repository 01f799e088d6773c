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
  // warehouse-poller: discovery results and schedule
  warehouseStatus: (p: string, w: string) => `ferry:p:${p}:warehouse:${w}:status`,
  pollSchedule: () => 'ferry:poll:due',
  // freight-store: Freight and where it is verified
  freight: (p: string) => `ferry:p:${p}:freight`,
  freightAlias: (p: string) => `ferry:p:${p}:freight:alias`,
  freightByWarehouse: (p: string, w: string) => `ferry:p:${p}:freight:by-warehouse:${w}`,
  freightVerified: (p: string, id: string) => `ferry:p:${p}:freight:${id}:verified`,
  // promoter: Promotions, their order per Stage, Stage history
  promotion: (p: string, name: string) => `ferry:p:${p}:promotion:${name}`,
  promotions: (p: string) => `ferry:p:${p}:promotions`,
  stagePromotions: (p: string, s: string) => `ferry:p:${p}:stage:${s}:promotions`,
  stageHistory: (p: string, s: string) => `ferry:p:${p}:stage:${s}:history`,
  activeStages: () => 'ferry:promoter:active-stages',
  sequence: () => 'ferry:seq',
  // git-writer: outcomes of writes, leases
  gitWrite: (writeId: string) => `ferry:git:write:${writeId}`,
  // argocd-syncer: sync operations
  argocdOp: (opId: string) => `ferry:argocd:op:${opId}`,
  argocdInflight: () => 'ferry:argocd:inflight',
  // leases (any service, for its own work)
  lease: (name: string) => `ferry:lease:${name}`,
  fence: (name: string) => `ferry:fence:${name}`,
} as const;
