import { Keys, type Store } from '@ferry/store';

type Redis = Store['redis'];

/** How many entries each audit list keeps. */
export const AUDIT_KEEP = 1000;

/** One recorded mutating request. */
export interface AuditEntry {
  /** ISO time the answer was sent. */
  at: string;
  /** The subject of the token (or `webhook`, or the X-Ferry-User header with auth off). */
  who: string;
  /** The token's name, when there was one. */
  token?: string;
  /** Method and route pattern, e.g. `POST /api/v1/projects/:project/promotions`. */
  route: string;
  /** The Project the request concerned, when it concerned one. */
  project?: string;
  /** The named object (`:name` of the route), when there is one. */
  target?: string;
  /** HTTP status of the answer: the outcome. */
  status: number;
  /** The client's address. */
  from: string;
}

/** Capped audit lists in Redis: one per Project and one for the system. */
export class AuditLog {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  /** Appends an entry to each Project's list (or the system list when there is none). */
  async record(entry: Omit<AuditEntry, 'project'>, projects: readonly string[]): Promise<void> {
    const m = this.#redis.multi();
    const keys = projects.length === 0 ? [Keys.systemAudit()] : projects.map((p) => Keys.projectAudit(p));
    for (const [i, key] of keys.entries()) {
      const e: AuditEntry = projects[i] ? { ...entry, project: projects[i] } : entry;
      m.lpush(key, JSON.stringify(e)).ltrim(key, 0, AUDIT_KEEP - 1);
    }
    await m.exec();
  }

  /** A Project's entries, newest first. */
  async list(project: string, limit = AUDIT_KEEP): Promise<AuditEntry[]> {
    const raw = await this.#redis.lrange(Keys.projectAudit(project), 0, limit - 1);
    return raw.map((r) => JSON.parse(r) as AuditEntry);
  }
}
