import { createHash, randomBytes } from 'node:crypto';
import { Keys, type Store } from '@ferry/store';
import type { Principal, RoleBinding } from './roles.ts';

type Redis = Store['redis'];

/** A stored API token, without its secret. */
export interface TokenInfo {
  /** Unique name, chosen at creation; tokens are revoked by name. */
  name: string;
  /** Who the token stands for (defaults to the name). */
  subject: string;
  /** Its grants. */
  roles: RoleBinding[];
  /** ISO time of creation. */
  createdAt: string;
  /** ISO time of the last request made with it; absent until one is. */
  lastUsedAt?: string;
  /** ISO time after which it is refused; absent for tokens that do not expire. */
  expiresAt?: string;
}

interface Stored extends TokenInfo {
  hash: string;
}

/** SHA-256 hex of a token: the only form in which a token is kept. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A new random token: `ferry_` and 32 random bytes in base64url. */
export const newToken = (): string => `ferry_${randomBytes(32).toString('base64url')}`;

/** The name of the bootstrap admin token in `whoami` and the audit log. */
export const BOOTSTRAP_NAME = 'bootstrap-admin';

/** API tokens in Redis: hashes only, looked up by hash, listed and revoked by name. */
export class TokenStore {
  readonly #redis: Redis;
  readonly #clock: () => Date;
  readonly #bootstrapHash: string | undefined;

  constructor(redis: Redis, clock: () => Date, bootstrapAdminToken?: string) {
    this.#redis = redis;
    this.#clock = clock;
    this.#bootstrapHash = bootstrapAdminToken ? hashToken(bootstrapAdminToken) : undefined;
  }

  /** Creates a token and returns it (the only time the secret is seen); undefined when the name is taken. */
  async create(input: {
    name: string;
    subject?: string;
    roles: RoleBinding[];
    expiresAt?: string;
  }): Promise<{ token: string; info: TokenInfo } | undefined> {
    const token = newToken();
    const info: TokenInfo = {
      name: input.name,
      subject: input.subject ?? input.name,
      roles: input.roles,
      createdAt: this.#clock().toISOString(),
      ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
    };
    const hash = hashToken(token);
    const stored: Stored = { ...info, hash };
    const created = await this.#redis.hsetnx(Keys.apiTokens(), input.name, JSON.stringify(stored));
    if (created === 0) return undefined;
    await this.#redis.hset(Keys.apiTokenHashes(), hash, input.name);
    return { token, info };
  }

  /** Every token, by name, without secrets or hashes. */
  async list(): Promise<TokenInfo[]> {
    const all = await this.#redis.hvals(Keys.apiTokens());
    return all.map((raw) => strip(JSON.parse(raw) as Stored)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Revokes a token; false when there is none by that name. */
  async delete(name: string): Promise<boolean> {
    const raw = await this.#redis.hget(Keys.apiTokens(), name);
    if (raw === null) return false;
    const stored = JSON.parse(raw) as Stored;
    await this.#redis.multi().hdel(Keys.apiTokens(), name).hdel(Keys.apiTokenHashes(), stored.hash).exec();
    return true;
  }

  /** Who a token belongs to; undefined when it is unknown, revoked or expired. Records its use. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const hash = hashToken(token);
    if (this.#bootstrapHash !== undefined && hash === this.#bootstrapHash) {
      return { name: BOOTSTRAP_NAME, subject: BOOTSTRAP_NAME, roles: [{ role: 'admin' }] };
    }
    const name = await this.#redis.hget(Keys.apiTokenHashes(), hash);
    if (name === null) return undefined;
    const raw = await this.#redis.hget(Keys.apiTokens(), name);
    if (raw === null) return undefined;
    const stored = JSON.parse(raw) as Stored;
    const now = this.#clock();
    if (stored.expiresAt && Date.parse(stored.expiresAt) <= now.getTime()) return undefined;
    stored.lastUsedAt = now.toISOString();
    // Best effort: a lost update of lastUsedAt is harmless.
    await this.#redis.hset(Keys.apiTokens(), name, JSON.stringify(stored));
    return { name: stored.name, subject: stored.subject, roles: stored.roles };
  }
}

const strip = (s: Stored): TokenInfo => {
  const { hash: _hash, ...info } = s;
  return info;
};
