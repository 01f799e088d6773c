import type {
  AutoPromotionHold,
  Freight,
  Project,
  ProjectConfig,
  Promotion,
  PromotionStatus,
  PromotionTask,
  Stage,
  StageHealth,
  Warehouse,
  WarehouseStatus,
} from '@ferry/contracts';
import { FerryError, isTerminalPhase } from '@ferry/contracts';
import { LeaseOutcomes, leaseAcquire, leaseHoldSeconds, leaseKind } from '@ferry/metrics';
import { Redis } from 'ioredis';
import { Keys } from './keys.ts';

/** A resource to store on apply. */
export interface ApplyItem {
  project: string;
  resource: Project | ProjectConfig | Warehouse | Stage;
}

/** What apply did to one resource, as `kubectl apply` reports it. */
export interface ApplyOutcome {
  kind: string;
  project: string;
  name: string;
  action: 'created' | 'configured' | 'unchanged';
  generation: number;
}

/** One entry of a Stage's Freight history (newest first). */
export interface StageHistoryEntry {
  freight: string;
  promotion: string;
  promotedAt: string;
}

/** One user's decision on a Promotion waiting in a `wait-for-approval` step. */
export interface PromotionApproval {
  /** Who decided. */
  by: string;
  /** When (RFC 3339). */
  at: string;
  /** True for a rejection. */
  reject?: boolean;
  /** Why; absent when none was given. */
  reason?: string;
}

/** Outcome of a git write, owned by git-writer. */
export interface GitWriteRecord {
  outcome: 'Committed' | 'NoChange' | 'Failed';
  commit: string;
  branch: string;
  repoURL: string;
  message?: string;
  finishedAt: string;
  attempts: number;
}

/** State of an Argo CD sync operation, owned by argocd-syncer. */
export interface ArgoCDOpRecord {
  opId: string;
  project: string;
  state: 'Running' | 'Healthy' | 'Failed' | 'Errored';
  appName: string;
  appNamespace: string;
  revision?: string;
  message?: string;
  startedAt: string;
  deadline: string;
  finishedAt?: string;
  /** W3C traceparent of the Promotion's trace, so the end of the wait joins it. */
  traceparent?: string;
}

// 1: created; 0: the id exists (nothing changes); -1: the alias belongs to another id.
const CREATE_FREIGHT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
local owner = redis.call('HGET', KEYS[2], ARGV[3])
if owner and owner ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return 1`;

const CREATE_PROMOTION = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local seq = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], 'spec', ARGV[1], 'status', ARGV[2], 'rev', ARGV[3], 'meta', ARGV[4], 'seq', seq)
redis.call('ZADD', KEYS[2], seq, ARGV[5])
redis.call('ZADD', KEYS[3], seq, ARGV[5])
redis.call('SADD', KEYS[5], ARGV[6])
return seq`;

// Compare-and-set of a Promotion's status; optionally records the Stage history entry in the
// same step so a Succeeded Promotion and its history never disagree.
const CAS_PROMOTION = `
local rev = redis.call('HGET', KEYS[1], 'rev')
if rev ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'rev', ARGV[3])
if ARGV[4] ~= '' then redis.call('LPUSH', KEYS[2], ARGV[4]) ; redis.call('LTRIM', KEYS[2], 0, 99) end
return 1`;

const ACQUIRE_LEASE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0`;

const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// warehouse-poller: a token bucket per registry host. Redis' own clock keeps replicas in step.
// Returns 0 when a token was taken, else the milliseconds until one will be there.
const TAKE_REGISTRY_TOKEN = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000) ts = now end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait`;

// Deleting a Stage (api). KEYS: 1 stages hash, 2 the Stage's queue, 3 history, 4 verification,
// 5 verification history, 6 holds, 7 health, 8 verifications due, 9 kicks due, 10 Freight hash,
// 11.. auto-promotion claims. ARGV: name, "<p>/<s>", force ("1"), "ferry:p:<p>:".
// Returns {0} (no such Stage), {-1, running...} (refused) or {1, unfinished...}.
const DELETE_STAGE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {0} end
local running, open = {}, {}
for _, n in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local st = redis.call('HGET', ARGV[4] .. 'promotion:' .. n, 'status')
  if st then
    local phase = cjson.decode(st).phase
    if phase == 'Running' then table.insert(running, n) end
    if phase == 'Running' or phase == 'Pending' then table.insert(open, n) end
  end
end
if #running > 0 and ARGV[3] ~= '1' then return {-1, unpack(running)} end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
redis.call('ZREM', KEYS[8], ARGV[2])
redis.call('ZREM', KEYS[9], ARGV[2])
for i = 11, #KEYS do redis.call('DEL', KEYS[i]) end
for _, id in ipairs(redis.call('HKEYS', KEYS[10])) do
  local f = ARGV[4] .. 'freight:' .. id
  redis.call('HDEL', f .. ':verified', ARGV[1])
  redis.call('HDEL', f .. ':approved', ARGV[1])
  redis.call('HDEL', f .. ':rejected', ARGV[1])
end
return {1, unpack(open)}`;

// Deleting Freight (api). KEYS: 1 Freight hash, 2 aliases, 3 by-warehouse index, 4 verified,
// 5 approved, 6 rejected, 7.. each Stage's history. ARGV: id, alias, then the Stage names.
// Returns {0} (none), {-1, stages...} (current Freight of those Stages) or {1}.
const DELETE_FREIGHT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {0} end
local using = {}
for i = 7, #KEYS do
  local top = redis.call('LINDEX', KEYS[i], 0)
  if top and cjson.decode(top).freight == ARGV[1] then table.insert(using, ARGV[i - 4]) end
end
if #using > 0 then return {-1, unpack(using)} end
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[2] ~= '' and redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
return {1}`;

// Deleting a finished Promotion (api). KEYS: 1 the Promotion, 2 its approvals, 3 the Project's list.
// ARGV: name, "ferry:p:<p>:stage:". Returns 0 (none), 1 (deleted) or its phase (not finished).
const DELETE_PROMOTION = `
local h = redis.call('HMGET', KEYS[1], 'spec', 'status')
if not h[1] then return 0 end
local phase = cjson.decode(h[2]).phase
if phase == 'Pending' or phase == 'Running' then return phase end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', ARGV[2] .. cjson.decode(h[1]).stage .. ':promotions', ARGV[1])
return 1`;

const parse = <T>(s: string | null | undefined): T | undefined => (s ? (JSON.parse(s) as T) : undefined);

// When each lease this process holds was taken (monotonic ms), for `ferry_lease_hold_seconds`.
const leaseTakenAt = new WeakMap<Lease, number>();

/** A held lease; `fence` grows with every acquisition so stale holders can be told apart. */
export interface Lease {
  name: string;
  token: string;
  fence: number;
}

/**
 * Ferry's Redis store. Every service reads through it; each key family has one writing
 * service (see `keys.ts`), and the write methods are grouped by that owner.
 */
/**
 * Orders resources by name, code unit by code unit: Kubernetes names are lowercase ASCII, for which
 * that is the order `localeCompare` gives, without loading ICU's collation data into every service.
 */
const byName = (a: { metadata: { name: string } }, b: { metadata: { name: string } }): number =>
  a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;

export class Store {
  readonly redis: Redis;

  constructor(redis: Redis) {
    this.redis = redis;
  }

  /** Connects to Redis at `url`. */
  static connect(url: string, name = 'ferry'): Store {
    return new Store(
      new Redis(url, { connectionName: name, maxRetriesPerRequest: 20, enableAutoPipelining: true }),
    );
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  // ---------------------------------------------------------------- definitions (api)

  /**
   * Stores resources in one MULTI/EXEC, so a file is applied whole or not at all. A resource
   * whose spec is unchanged keeps its generation and is reported `unchanged`.
   */
  async applyResources(items: readonly ApplyItem[], now: string): Promise<ApplyOutcome[]> {
    const outcomes: ApplyOutcome[] = [];
    const tx = this.redis.multi();
    const current = await Promise.all(
      items.map((i) => this.getDefinition(i.project, i.resource.kind, i.resource.metadata.name)),
    );
    items.forEach((item, idx) => {
      const r = item.resource;
      const prev = current[idx] as typeof r | undefined;
      const same =
        prev !== undefined &&
        JSON.stringify(prev.spec ?? null) === JSON.stringify(r.spec ?? null) &&
        JSON.stringify(prev.metadata.labels ?? {}) === JSON.stringify(r.metadata.labels ?? {}) &&
        JSON.stringify(prev.metadata.annotations ?? {}) === JSON.stringify(r.metadata.annotations ?? {});
      const generation = prev
        ? same
          ? (prev.metadata.generation ?? 1)
          : (prev.metadata.generation ?? 1) + 1
        : 1;
      const stored = {
        ...r,
        metadata: {
          ...r.metadata,
          generation,
          creationTimestamp: prev?.metadata.creationTimestamp ?? now,
        },
      };
      const json = JSON.stringify(stored);
      switch (r.kind) {
        case 'Project':
          tx.hset(Keys.projects(), r.metadata.name, json);
          break;
        case 'ProjectConfig':
          tx.set(Keys.projectConfig(item.project), json);
          break;
        case 'Warehouse':
          tx.hset(Keys.warehouses(item.project), r.metadata.name, json);
          break;
        case 'Stage':
          tx.hset(Keys.stages(item.project), r.metadata.name, json);
          break;
      }
      outcomes.push({
        kind: r.kind,
        project: item.project,
        name: r.metadata.name,
        action: prev === undefined ? 'created' : same ? 'unchanged' : 'configured',
        generation,
      });
    });
    await tx.exec();
    return outcomes;
  }

  private async getDefinition(
    project: string,
    kind: string,
    name: string,
  ): Promise<
    | {
        spec?: unknown;
        metadata: {
          generation?: number;
          creationTimestamp?: string;
          labels?: unknown;
          annotations?: unknown;
        };
      }
    | undefined
  > {
    switch (kind) {
      case 'Project':
        return this.getProject(name);
      case 'ProjectConfig':
        return this.getProjectConfig(project);
      case 'Warehouse':
        return this.getWarehouse(project, name);
      case 'Stage':
        return this.getStage(project, name);
      default:
        return undefined;
    }
  }

  /**
   * Stores AnalysisTemplates (`project` set) and ClusterAnalysisTemplates (`project` empty) as
   * parsed; reports each as `kubectl apply` would.
   */
  async applyAnalysisTemplates(
    items: ReadonlyArray<{ project: string; template: { kind: string; name: string } }>,
  ): Promise<ApplyOutcome[]> {
    const outcomes: ApplyOutcome[] = [];
    for (const { project, template } of items) {
      const key = project ? Keys.analysisTemplates(project) : Keys.clusterAnalysisTemplates();
      const json = JSON.stringify(template);
      const prev = await this.redis.hget(key, template.name);
      if (prev !== json) await this.redis.hset(key, template.name, json);
      outcomes.push({
        kind: template.kind,
        project,
        name: template.name,
        action: prev === null ? 'created' : prev === json ? 'unchanged' : 'configured',
        generation: 1,
      });
    }
    return outcomes;
  }

  /**
   * Stores PromotionTasks (`project` set) and ClusterPromotionTasks (`project` empty) as parsed;
   * reports each as `kubectl apply` would. Promotions read them when they are created.
   */
  async applyPromotionTasks(
    tasks: ReadonlyArray<{ kind: string; name: string; project: string }>,
  ): Promise<ApplyOutcome[]> {
    const outcomes: ApplyOutcome[] = [];
    for (const task of tasks) {
      const key = task.project ? Keys.promotionTasks(task.project) : Keys.clusterPromotionTasks();
      const json = JSON.stringify(task);
      const prev = await this.redis.hget(key, task.name);
      if (prev !== json) await this.redis.hset(key, task.name, json);
      outcomes.push({
        kind: task.kind,
        project: task.project,
        name: task.name,
        action: prev === null ? 'created' : prev === json ? 'unchanged' : 'configured',
        generation: 1,
      });
    }
    return outcomes;
  }

  /** A PromotionTask of a Project, or a ClusterPromotionTask when `project` is empty. */
  async getPromotionTask(project: string, name: string): Promise<PromotionTask | undefined> {
    return parse<PromotionTask>(
      await this.redis.hget(project ? Keys.promotionTasks(project) : Keys.clusterPromotionTasks(), name),
    );
  }

  /** An AnalysisTemplate of a Project, or a ClusterAnalysisTemplate when `project` is empty. */
  async getAnalysisTemplate<T>(project: string, name: string): Promise<T | undefined> {
    return parse<T>(
      await this.redis.hget(
        project ? Keys.analysisTemplates(project) : Keys.clusterAnalysisTemplates(),
        name,
      ),
    );
  }

  async getProject(name: string): Promise<Project | undefined> {
    return parse<Project>(await this.redis.hget(Keys.projects(), name));
  }

  async listProjects(): Promise<Project[]> {
    const all = await this.redis.hvals(Keys.projects());
    return all.map((s) => JSON.parse(s) as Project).sort(byName);
  }

  async getProjectConfig(project: string): Promise<ProjectConfig | undefined> {
    return parse<ProjectConfig>(await this.redis.get(Keys.projectConfig(project)));
  }

  async getWarehouse(project: string, name: string): Promise<Warehouse | undefined> {
    return parse<Warehouse>(await this.redis.hget(Keys.warehouses(project), name));
  }

  async listWarehouses(project: string): Promise<Warehouse[]> {
    const all = await this.redis.hvals(Keys.warehouses(project));
    return all.map((s) => JSON.parse(s) as Warehouse).sort(byName);
  }

  async getStage(project: string, name: string): Promise<Stage | undefined> {
    return parse<Stage>(await this.redis.hget(Keys.stages(project), name));
  }

  async listStages(project: string): Promise<Stage[]> {
    const all = await this.redis.hvals(Keys.stages(project));
    return all.map((s) => JSON.parse(s) as Stage).sort(byName);
  }

  // ---------------------------------------------------------------- deleting (api)
  //
  // Deleting is the one write that crosses owners: the api removes every key that names the
  // resource, whichever service writes it, in one MULTI or Lua script, and then publishes
  // DefinitionsDeleted so the services drop what they hold in memory (docs/architecture.md,
  // "Deleting resources").

  /**
   * Deletes a Warehouse, its discovery status and its place on the poller's schedule; its Freight
   * stays (as in Kargo). False when there was no such Warehouse.
   */
  async deleteWarehouse(project: string, name: string): Promise<boolean> {
    const res = await this.redis
      .multi()
      .hdel(Keys.warehouses(project), name)
      .del(Keys.warehouseStatus(project, name))
      .zrem(Keys.pollSchedule(), `${project}/${name}`)
      .exec();
    return res?.[0]?.[1] === 1;
  }

  /** Deletes a PromotionTask; Promotions made from it keep their inflated steps. False when absent. */
  async deletePromotionTask(project: string, name: string): Promise<boolean> {
    return (await this.redis.hdel(Keys.promotionTasks(project), name)) === 1;
  }

  /** Deletes an AnalysisTemplate; a verification already running keeps its copy. False when absent. */
  async deleteAnalysisTemplate(project: string, name: string): Promise<boolean> {
    return (await this.redis.hdel(Keys.analysisTemplates(project), name)) === 1;
  }

  /** Deletes the Project's ProjectConfig (promotion policies and windows). False when it had none. */
  async deleteProjectConfig(project: string): Promise<boolean> {
    return (await this.redis.del(Keys.projectConfig(project))) === 1;
  }

  /**
   * Deletes a Stage and, in one script, every key that describes its state, so a Stage made again
   * under the name starts clean (Kargo clears the Stage from Freight's verifications and approvals
   * on delete): history, verification and its history, auto-promotion holds and claims, health,
   * schedule entries, and the Stage in every Freight's verified / approved / rejected hash. Its
   * Promotions stay as records, and its queue with them, so the promoter finds the unfinished ones
   * and aborts them (`open` lists them). Refused while one is Running, unless `force`.
   */
  async deleteStage(
    project: string,
    name: string,
    opts: { force?: boolean } = {},
  ): Promise<{ deleted: false } | { deleted: true; open: string[] }> {
    // Claims are `ferry:p:<p>:auto:<s>:<freight>[:<round>]` (written by the promoter, see keys table).
    const claims = await this.scanKeys(`ferry:p:${project}:auto:${name}:*`);
    const res = (await this.redis.eval(
      DELETE_STAGE,
      10 + claims.length,
      Keys.stages(project),
      Keys.stagePromotions(project, name),
      Keys.stageHistory(project, name),
      Keys.stageVerification(project, name),
      Keys.stageVerificationHistory(project, name),
      Keys.stageHolds(project, name),
      Keys.stageHealth(project, name),
      Keys.verificationsDue(),
      Keys.kicksDue(),
      Keys.freight(project),
      ...claims,
      name,
      `${project}/${name}`,
      opts.force ? '1' : '0',
      `ferry:p:${project}:`,
    )) as [number, ...string[]];
    const [code, ...names] = res;
    if (code === 0) return { deleted: false };
    if (code === -1) {
      throw new FerryError(
        'FERRY_ERR_PROMOTION_RUNNING',
        `Stage "${name}" has a Running Promotion (${names.join(', ')}): wait for it to finish, abort it with "ferry abort promotion ${names[0]} -p ${project}", or delete with --force (which aborts it)`,
      );
    }
    return { deleted: true, open: names };
  }

  /**
   * Deletes Freight (by id or alias) with its alias, its place in its Warehouse's index and its
   * verified / approved / rejected records. Refused, as Kargo refuses, while it is the current
   * Freight of a Stage, and while an unfinished Promotion takes it. Undefined when there is none.
   */
  async deleteFreight(project: string, idOrAlias: string): Promise<string | undefined> {
    const freight =
      (await this.getFreight(project, idOrAlias)) ?? (await this.getFreightByAlias(project, idOrAlias));
    if (!freight) return undefined;
    const id = freight.metadata.name;
    const taking = (await this.listPromotions(project))
      .filter((p) => p.spec.freight === id && !isTerminalPhase(p.status.phase))
      .map((p) => p.metadata.name);
    if (taking.length > 0) {
      throw new FerryError(
        'FERRY_ERR_FREIGHT_IN_USE',
        `Freight ${id} is being promoted by ${taking.join(', ')}: wait for it to finish or abort it first`,
      );
    }
    const stages = await this.redis.hkeys(Keys.stages(project));
    const res = (await this.redis.eval(
      DELETE_FREIGHT,
      6 + stages.length,
      Keys.freight(project),
      Keys.freightAlias(project),
      Keys.freightByWarehouse(project, freight.origin.name),
      Keys.freightVerified(project, id),
      Keys.freightApproved(project, id),
      Keys.freightRejected(project, id),
      ...stages.map((s) => Keys.stageHistory(project, s)),
      id,
      freight.alias ?? '',
      ...stages,
    )) as [number, ...string[]];
    const [code, ...inUse] = res;
    if (code === -1) {
      throw new FerryError(
        'FERRY_ERR_FREIGHT_IN_USE',
        `Freight ${id} is in use by Stages (${inUse.map((s) => `"${s}"`).join(', ')}): promote other Freight to them first`,
      );
    }
    return code === 1 ? id : undefined;
  }

  /**
   * Deletes a finished Promotion (Succeeded, Failed, Errored, Aborted) with its approvals and its
   * places in the Project's and the Stage's lists; the Stage's Freight history keeps its entry.
   * Refused for a Pending or Running one. False when there is none.
   */
  async deletePromotion(project: string, name: string): Promise<boolean> {
    const res = (await this.redis.eval(
      DELETE_PROMOTION,
      3,
      Keys.promotion(project, name),
      Keys.promotionApprovals(project, name),
      Keys.promotions(project),
      name,
      `ferry:p:${project}:stage:`,
    )) as number | string;
    if (typeof res === 'string') {
      throw new FerryError(
        'FERRY_ERR_PROMOTION_NOT_FINISHED',
        `Promotion "${name}" is ${res}: abort it with "ferry abort promotion ${name} -p ${project}" (or wait for it to finish), then delete it`,
      );
    }
    return res === 1;
  }

  /**
   * Deletes a Project and everything under `ferry:p:<p>:*` (SCAN in batches of 500, UNLINK), then
   * its members of the shared schedules and sets. The Project's entry goes first, so it is gone
   * for every reader at once; the rest is removed behind it. Deleting again finishes an interrupted
   * delete (and still resolves undefined, the Project being gone). Refused while a Promotion of the Project is
   * Running, unless `force`. Resolves with how many keys were removed, or undefined when there is
   * no such Project.
   */
  async deleteProject(project: string, opts: { force?: boolean } = {}): Promise<number | undefined> {
    const exists = (await this.redis.hexists(Keys.projects(), project)) === 1;
    const running = (await this.listPromotions(project))
      .filter((p) => p.status.phase === 'Running')
      .map((p) => p.metadata.name);
    if (exists && running.length > 0 && !opts.force) {
      throw new FerryError(
        'FERRY_ERR_PROMOTION_RUNNING',
        `Project "${project}" has Running Promotions (${running.join(', ')}): wait for them, abort them, or delete with --force`,
      );
    }
    // Leftovers of an interrupted delete are removed even when the entry is gone already.
    const removed = (await this.redis.hdel(Keys.projects(), project)) === 1;
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `ferry:p:${project}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) count += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    const prefix = `${project}/`;
    for (const key of [Keys.pollSchedule(), Keys.verificationsDue(), Keys.kicksDue()]) {
      const members = (await this.redis.zrange(key, 0, -1)).filter((m) => m.startsWith(prefix));
      if (members.length > 0) await this.redis.zrem(key, ...members);
    }
    const active = (await this.redis.smembers(Keys.activeStages())).filter((m) => m.startsWith(prefix));
    if (active.length > 0) await this.redis.srem(Keys.activeStages(), ...active);
    const dirty = await this.scanKeys(`ferry:promoter:dirty:${project}/*`);
    if (dirty.length > 0) await this.redis.unlink(...dirty);
    return removed ? count : undefined;
  }

  /** Every key matching `pattern`, by SCAN in batches (never KEYS). */
  private async scanKeys(pattern: string): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
    return out;
  }

  // ---------------------------------------------------------------- discovery (warehouse-poller)

  async getWarehouseStatus(project: string, name: string): Promise<WarehouseStatus | undefined> {
    return parse<WarehouseStatus>(await this.redis.get(Keys.warehouseStatus(project, name)));
  }

  async putWarehouseStatus(project: string, name: string, status: WarehouseStatus): Promise<void> {
    await this.redis.set(Keys.warehouseStatus(project, name), JSON.stringify(status));
  }

  /** Sets when a Warehouse is next due for discovery (ms since epoch). */
  async scheduleDiscovery(
    project: string,
    name: string,
    dueAt: number,
    onlyIfEarlier = false,
  ): Promise<void> {
    const member = `${project}/${name}`;
    if (onlyIfEarlier) await this.redis.zadd(Keys.pollSchedule(), 'LT', dueAt, member);
    else await this.redis.zadd(Keys.pollSchedule(), dueAt, member);
  }

  /** Warehouses due at `now`, as `project/name`. */
  async dueDiscoveries(now: number, limit = 100): Promise<string[]> {
    return this.redis.zrangebyscore(Keys.pollSchedule(), '-inf', now, 'LIMIT', 0, limit);
  }

  // ------------------------------- discovery caches and rate limits (warehouse-poller, its only writer)

  /** Cached values of `fields` in a warehouse-poller cache hash (`Keys.pollTagCache`, `Keys.pollImageCache`). */
  async getPollCache(key: string, fields: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (fields.length === 0) return out;
    const values = await this.redis.hmget(key, ...fields);
    fields.forEach((f, i) => {
      const v = values[i];
      if (v !== null && v !== undefined) out.set(f, v);
    });
    return out;
  }

  /** Adds entries to a warehouse-poller cache hash. */
  async putPollCache(key: string, entries: ReadonlyMap<string, string>): Promise<void> {
    if (entries.size > 0) await this.redis.hset(key, Object.fromEntries(entries));
  }

  /** Records a repository's tag-list hash; resolves with the one recorded before (undefined at first). */
  async swapTagListHash(repoURL: string, hash: string): Promise<string | undefined> {
    const previous = await this.redis.set(Keys.pollTagListHash(repoURL), hash, 'GET');
    return previous ?? undefined;
  }

  /**
   * Takes one request token from the registry host's bucket (refilled at `ratePerSecond`, holding at most
   * `burst`); resolves with 0 when taken, else with the milliseconds to wait before asking again.
   */
  async takeRegistryToken(host: string, ratePerSecond: number, burst: number): Promise<number> {
    const res = await this.redis.eval(
      TAKE_REGISTRY_TOKEN,
      1,
      Keys.registryBucket(host),
      String(ratePerSecond),
      String(burst),
    );
    return Number(res);
  }

  // ---------------------------------------------------------------- Freight (freight-store)

  /**
   * Stores a new piece of Freight: `created`, `exists` (same id; nothing changes) or
   * `alias-taken` (another id holds the alias; pick the next alias and try again).
   */
  async createFreight(freight: Freight, createdAtMs: number): Promise<'created' | 'exists' | 'alias-taken'> {
    const p = freight.metadata.namespace!;
    const { status: _s, ...rest } = freight;
    const res = await this.redis.eval(
      CREATE_FREIGHT,
      3,
      Keys.freight(p),
      Keys.freightAlias(p),
      Keys.freightByWarehouse(p, freight.origin.name),
      freight.metadata.name,
      JSON.stringify(rest),
      freight.alias,
      String(createdAtMs),
    );
    return res === 1 ? 'created' : res === 0 ? 'exists' : 'alias-taken';
  }

  /** Every alias used in the Project. */
  async freightAliases(project: string): Promise<Set<string>> {
    return new Set(await this.redis.hkeys(Keys.freightAlias(project)));
  }

  /** Records that Freight was verified in a Stage; false when it already was (idempotent). */
  async markFreightVerified(
    project: string,
    id: string,
    stage: string,
    at: string,
    promotion?: string,
  ): Promise<boolean> {
    const set = await this.redis.hsetnx(
      Keys.freightVerified(project, id),
      stage,
      JSON.stringify({ verifiedAt: at, promotion }),
    );
    return set === 1;
  }

  /** Records an approval of Freight for a Stage; false when it was approved there already. */
  async approveFreight(project: string, id: string, stage: string, at: string, by: string): Promise<boolean> {
    return (
      (await this.redis.hsetnx(
        Keys.freightApproved(project, id),
        stage,
        JSON.stringify({ approvedAt: at, by }),
      )) === 1
    );
  }

  /** Records a rejection of Freight for a Stage (`*`: everywhere); false when it was already rejected there. */
  async rejectFreight(
    project: string,
    id: string,
    stage: string,
    rec: { rejectedAt: string; by: string; reason: string },
  ): Promise<boolean> {
    return (await this.redis.hsetnx(Keys.freightRejected(project, id), stage, JSON.stringify(rec))) === 1;
  }

  /** Undoes a rejection; false when there was none. */
  async unrejectFreight(project: string, id: string, stage: string): Promise<boolean> {
    return (await this.redis.hdel(Keys.freightRejected(project, id), stage)) === 1;
  }

  async getFreight(project: string, id: string): Promise<Freight | undefined> {
    const raw = await this.redis.hget(Keys.freight(project), id);
    if (!raw) return undefined;
    return this.withStatus(project, [JSON.parse(raw) as Omit<Freight, 'status'>]).then((l) => l[0]);
  }

  async getFreightByAlias(project: string, alias: string): Promise<Freight | undefined> {
    const id = await this.redis.hget(Keys.freightAlias(project), alias);
    return id ? this.getFreight(project, id) : undefined;
  }

  /** Freight of a Project, newest first; only one Warehouse's when `warehouse` is given. */
  async listFreight(project: string, warehouse?: string): Promise<Freight[]> {
    let raws: (string | null)[];
    if (warehouse) {
      const ids = await this.redis.zrevrange(Keys.freightByWarehouse(project, warehouse), 0, -1);
      raws = ids.length ? await this.redis.hmget(Keys.freight(project), ...ids) : [];
    } else {
      raws = await this.redis.hvals(Keys.freight(project));
    }
    const list = raws.filter((r): r is string => !!r).map((r) => JSON.parse(r) as Omit<Freight, 'status'>);
    if (!warehouse)
      list.sort((a, b) =>
        (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
      );
    return this.withStatus(project, list);
  }

  private async withStatus(project: string, list: Omit<Freight, 'status'>[]): Promise<Freight[]> {
    const pipe = this.redis.pipeline();
    for (const f of list) {
      pipe.hgetall(Keys.freightVerified(project, f.metadata.name));
      pipe.hgetall(Keys.freightApproved(project, f.metadata.name));
      pipe.hgetall(Keys.freightRejected(project, f.metadata.name));
    }
    const res = (await pipe.exec()) ?? [];
    const decode = <T>(i: number): Record<string, T> =>
      Object.fromEntries(
        Object.entries((res[i]?.[1] ?? {}) as Record<string, string>).map(([k, v]) => [
          k,
          JSON.parse(v) as T,
        ]),
      );
    return list.map((f, i) => {
      const rejected = decode<NonNullable<Freight['status']['rejected']>[string]>(3 * i + 2);
      return {
        ...f,
        status: {
          verifiedIn: decode(3 * i),
          approvedFor: decode(3 * i + 1),
          currentlyIn: {},
          ...(Object.keys(rejected).length ? { rejected } : {}),
        },
      };
    });
  }

  // ---------------------------------------------------------------- Promotions (promoter)

  /**
   * Creates a Promotion (phase Pending) and queues it behind the Stage's earlier ones.
   * Returns its sequence number, or 0 when a Promotion of that name already exists.
   */
  async createPromotion(promotion: Promotion): Promise<number> {
    const p = promotion.metadata.namespace!;
    const { spec, status, metadata } = promotion;
    const res = await this.redis.eval(
      CREATE_PROMOTION,
      5,
      Keys.promotion(p, metadata.name),
      Keys.promotions(p),
      Keys.stagePromotions(p, spec.stage),
      Keys.sequence(),
      Keys.activeStages(),
      JSON.stringify(spec),
      JSON.stringify(status),
      String(status.revision),
      JSON.stringify(metadata),
      metadata.name,
      `${p}/${spec.stage}`,
    );
    return Number(res);
  }

  async getPromotion(project: string, name: string): Promise<Promotion | undefined> {
    const h = await this.redis.hgetall(Keys.promotion(project, name));
    return h.spec ? toPromotion(h) : undefined;
  }

  /** Promotions of a Project (or of one Stage) in order of request. */
  async listPromotions(project: string, stage?: string): Promise<Promotion[]> {
    const names = await this.redis.zrange(
      stage ? Keys.stagePromotions(project, stage) : Keys.promotions(project),
      0,
      -1,
    );
    const pipe = this.redis.pipeline();
    for (const n of names) pipe.hgetall(Keys.promotion(project, n));
    const res = (await pipe.exec()) ?? [];
    return res
      .map((r) => r[1] as Record<string, string>)
      .filter((h) => h?.spec)
      .map(toPromotion);
  }

  /**
   * Replaces a Promotion's status if its revision is still `expected`; false when another
   * writer got there first. `history` is pushed onto the Stage's Freight history atomically.
   */
  async casPromotionStatus(
    project: string,
    name: string,
    stage: string,
    expected: number,
    status: PromotionStatus,
    history?: StageHistoryEntry,
  ): Promise<boolean> {
    const res = await this.redis.eval(
      CAS_PROMOTION,
      2,
      Keys.promotion(project, name),
      Keys.stageHistory(project, stage),
      String(expected),
      JSON.stringify({ ...status, revision: expected + 1 }),
      String(expected + 1),
      history ? JSON.stringify(history) : '',
    );
    return res === 1;
  }

  /** A Stage's Freight history, newest first. */
  async stageHistory(project: string, stage: string): Promise<StageHistoryEntry[]> {
    return (await this.redis.lrange(Keys.stageHistory(project, stage), 0, -1)).map((s) => JSON.parse(s));
  }

  /** The Stage's latest verification run record (promoter's own shape), if any. */
  async getStageVerification<T>(project: string, stage: string): Promise<T | undefined> {
    return parse<T>(await this.redis.get(Keys.stageVerification(project, stage)));
  }

  /**
   * Stores the Stage's verification run; when `finished` is given, also pushes that summary onto
   * the Stage's verification history, in one transaction. `dueAt` schedules the next measurement.
   */
  async putStageVerification(
    project: string,
    stage: string,
    record: unknown,
    opts: { dueAt?: number; finished?: unknown } = {},
  ): Promise<void> {
    const member = `${project}/${stage}`;
    const tx = this.redis.multi().set(Keys.stageVerification(project, stage), JSON.stringify(record));
    if (opts.dueAt !== undefined) tx.zadd(Keys.verificationsDue(), opts.dueAt, member);
    else tx.zrem(Keys.verificationsDue(), member);
    if (opts.finished !== undefined) {
      tx.lpush(Keys.stageVerificationHistory(project, stage), JSON.stringify(opts.finished));
      tx.ltrim(Keys.stageVerificationHistory(project, stage), 0, 49);
    }
    await tx.exec();
  }

  /** Finished verifications of a Stage, newest first. */
  async stageVerificationHistory<T>(project: string, stage: string): Promise<T[]> {
    return (await this.redis.lrange(Keys.stageVerificationHistory(project, stage), 0, -1)).map(
      (s) => JSON.parse(s) as T,
    );
  }

  /** Stages whose verification is due at `now`, as `project/stage`. */
  async dueVerifications(now: number): Promise<string[]> {
    return this.redis.zrangebyscore(Keys.verificationsDue(), '-inf', now, 'LIMIT', 0, 100);
  }

  /**
   * Records `by`'s decision on a Promotion (one per user: a later decision replaces the earlier);
   * removed with nothing else, so it outlives the Promotion's end as a record.
   */
  async recordPromotionApproval(
    project: string,
    promotion: string,
    decision: PromotionApproval,
  ): Promise<void> {
    await this.redis.hset(Keys.promotionApprovals(project, promotion), decision.by, JSON.stringify(decision));
  }

  /** Every user's decision on a Promotion, in no particular order. */
  async promotionApprovals(project: string, promotion: string): Promise<PromotionApproval[]> {
    const h = await this.redis.hgetall(Keys.promotionApprovals(project, promotion));
    return Object.values(h).map((v) => JSON.parse(v) as PromotionApproval);
  }

  /** Asks for the Stage to be looked at again at `dueAt` (ms); an earlier request is kept. */
  async scheduleKick(project: string, stage: string, dueAt: number): Promise<void> {
    await this.redis.zadd(Keys.kicksDue(), 'LT', dueAt, `${project}/${stage}`);
  }

  /** Takes the Stages whose kick is due at `now` off the schedule, as `project/stage`. */
  async takeDueKicks(now: number): Promise<string[]> {
    const due = await this.redis.zrangebyscore(Keys.kicksDue(), '-inf', now, 'LIMIT', 0, 100);
    if (due.length > 0) await this.redis.zrem(Keys.kicksDue(), ...due);
    return due;
  }

  /** Stages with Promotions, as `project/stage` (the promoter's reconcile list). */
  async activeStages(): Promise<string[]> {
    return this.redis.smembers(Keys.activeStages());
  }

  // ---------------------------------------------------------------- git writes (git-writer)

  async getGitWrite(writeId: string): Promise<GitWriteRecord | undefined> {
    return parse<GitWriteRecord>(await this.redis.get(Keys.gitWrite(writeId)));
  }

  async putGitWrite(writeId: string, record: GitWriteRecord): Promise<void> {
    await this.redis.set(Keys.gitWrite(writeId), JSON.stringify(record), 'EX', 30 * 24 * 3600);
  }

  // ---------------------------------------------------------------- Argo CD operations (argocd-syncer)

  async getArgoCDOp(opId: string): Promise<ArgoCDOpRecord | undefined> {
    return parse<ArgoCDOpRecord>(await this.redis.get(Keys.argocdOp(opId)));
  }

  /** Stores an operation; Running ones are kept in the in-flight set the syncer watches. */
  async putArgoCDOp(op: ArgoCDOpRecord): Promise<void> {
    const tx = this.redis.multi().set(Keys.argocdOp(op.opId), JSON.stringify(op), 'EX', 30 * 24 * 3600);
    if (op.state === 'Running') tx.sadd(Keys.argocdInflight(), op.opId);
    else tx.srem(Keys.argocdInflight(), op.opId);
    await tx.exec();
  }

  /** Create only: false when the operation already exists. */
  async createArgoCDOp(op: ArgoCDOpRecord): Promise<boolean> {
    const ok = await this.redis.set(Keys.argocdOp(op.opId), JSON.stringify(op), 'EX', 30 * 24 * 3600, 'NX');
    if (ok) await this.redis.sadd(Keys.argocdInflight(), op.opId);
    return ok === 'OK';
  }

  async inflightArgoCDOps(): Promise<string[]> {
    return this.redis.smembers(Keys.argocdInflight());
  }

  /** A Stage's health as argocd-syncer last stored it (`ferry:p:<p>:stagehealth:<s>`), if any. */
  async getStageHealth(project: string, stage: string): Promise<StageHealth | undefined> {
    return parse<StageHealth>(await this.redis.hget(Keys.stageHealth(project, stage), 'json'));
  }

  /**
   * Stores a Stage's health unless its `fingerprint` (what matters, without timestamps) is the one
   * stored: atomically, so of several replicas seeing the same change exactly one is told it
   * changed. Returns `{ changed: false }` or `{ changed: true, previous }`.
   */
  async swapStageHealth(
    project: string,
    stage: string,
    health: StageHealth,
    fingerprint: string,
  ): Promise<{ changed: boolean; previous?: StageHealth }> {
    const out = (await this.redis.eval(
      `local fp = redis.call('HGET', KEYS[1], 'fp')
       if fp == ARGV[2] then return false end
       local old = redis.call('HGET', KEYS[1], 'json')
       redis.call('HSET', KEYS[1], 'json', ARGV[1], 'fp', ARGV[2])
       return old or ''`,
      1,
      Keys.stageHealth(project, stage),
      JSON.stringify(health),
      fingerprint,
    )) as string | null;
    if (out === null) return { changed: false };
    return { changed: true, ...(out ? { previous: JSON.parse(out) as StageHealth } : {}) };
  }

  /** Forgets a Stage's health (its Stage no longer names any Application). */
  async deleteStageHealth(project: string, stage: string): Promise<void> {
    await this.redis.del(Keys.stageHealth(project, stage));
  }

  // ---------------------------------------------------------------- auto-promotion holds (promoter)

  /** The Stage's auto-promotion holds by origin key (`Warehouse/<name>`). */
  async getStageHolds(project: string, stage: string): Promise<Record<string, AutoPromotionHold>> {
    const all = await this.redis.hgetall(Keys.stageHolds(project, stage));
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as AutoPromotionHold]));
  }

  /** Sets (a hand-picked Freight) or releases (the candidate promoted again) one origin's hold. */
  async setStageHold(
    project: string,
    stage: string,
    origin: string,
    hold: AutoPromotionHold | null,
  ): Promise<void> {
    if (hold) await this.redis.hset(Keys.stageHolds(project, stage), origin, JSON.stringify(hold));
    else await this.redis.hdel(Keys.stageHolds(project, stage), origin);
  }

  // ---------------------------------------------------------------- leases

  /** Takes a named lease for `ttlMs`; undefined when someone else holds it. */
  async acquireLease(name: string, ttlMs: number): Promise<Lease | undefined> {
    const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const fence = Number(
      await this.redis.eval(ACQUIRE_LEASE, 2, Keys.lease(name), Keys.fence(name), token, String(ttlMs)),
    );
    leaseAcquire.inc({
      kind: leaseKind(name),
      outcome: fence > 0 ? LeaseOutcomes.acquired : LeaseOutcomes.busy,
    });
    if (fence <= 0) return undefined;
    const lease = { name, token, fence };
    leaseTakenAt.set(lease, performance.now());
    return lease;
  }

  /** Extends a held lease; false when it was lost (expired and taken). */
  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW_LEASE, 1, Keys.lease(lease.name), lease.token, String(ttlMs))) === 1;
  }

  /** Gives a lease back, only if still held by this holder. */
  async releaseLease(lease: Lease): Promise<void> {
    await this.redis.eval(RELEASE_LEASE, 1, Keys.lease(lease.name), lease.token);
    const at = leaseTakenAt.get(lease);
    if (at !== undefined) {
      leaseTakenAt.delete(lease);
      leaseHoldSeconds.observe({ kind: leaseKind(lease.name) }, (performance.now() - at) / 1000);
    }
  }

  /** The current fencing number of a lease name (compare with a held lease's `fence`). */
  async currentFence(name: string): Promise<number> {
    return Number((await this.redis.get(Keys.fence(name))) ?? 0);
  }
}

function toPromotion(h: Record<string, string>): Promotion {
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Promotion',
    metadata: JSON.parse(h.meta ?? '{}'),
    spec: JSON.parse(h.spec!),
    status: JSON.parse(h.status!),
  };
}
