/**
 * Secrets applied with `ferry apply`, kept in Redis encrypted, and the repository credentials among them
 * (Secrets labelled `kargo.akuity.io/cred-type`), found by type and repository URL as Kargo finds them.
 * The api writes them; warehouse-poller and git-writer only read credentials.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { FerryError } from '@ferry/contracts';
import {
  CREDENTIAL_TYPE_LABEL,
  type CredentialCandidate,
  CredentialType,
  credentialsAllowedFor,
  isCredentialType,
  type ParsedSecret,
  selectCredentials,
} from '@ferry/kargo';
import type { Redis } from 'ioredis';
import { Keys } from './keys.ts';

/** The Redis key of a stored Secret. */
export const secretKey = (project: string, name: string): string => Keys.secret(project, name);

/** What storing a Secret did, as `kubectl apply` reports it. */
export type SecretAction = 'created' | 'configured' | 'unchanged';

/**
 * The stored form: AES-256-GCM of the JSON data, bound to its Project and name. Labels and annotations
 * are not secret and stay readable, so the credential index can be rebuilt without the key.
 */
interface Sealed {
  v: 1;
  iv: string;
  tag: string;
  data: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Username and password of a credentials Secret, and which Secret they came from. */
export interface RepoCredentials {
  /** The user name to authenticate as. */
  username: string;
  /** The password or token. Never logged, never put in an error message. */
  password: string;
  /** The name of the Secret they came from (safe to log; says which Secret to fix). */
  secret: string;
}

/** Options of {@link SecretStore}. */
export interface SecretStoreOptions {
  /** Clock in epoch milliseconds, for the credential cache; `Date.now` when absent. */
  now?: () => number;
  /**
   * How long a Project's credential index, once read, is used without asking Redis whether it changed;
   * 2000 ms when absent. 0 asks on every lookup (one GET of the Project's version counter).
   */
  recheckMs?: number;
}

/** The index entry of one credentials Secret: what the lookup matches on, nothing secret. */
interface IndexEntry {
  repoURL: string;
  isRegex: boolean;
}

interface ProjectCache {
  version: string | null;
  checkedAt: number;
  byType: Map<CredentialType, CredentialCandidate[]>;
  opened: Map<string, Record<string, string> | undefined>;
}

/**
 * Secrets kept in Redis encrypted with AES-256-GCM under `FERRY_ENCRYPTION_KEY`. The Project and name
 * are the additional authenticated data, so a sealed value copied to another key does not open.
 * Credentials Secrets are also listed, without their secret values, in one hash per Project and type
 * (`ferry:p:<p>:creds:<type>`), so a lookup never scans or decrypts every Secret; a per-Project version
 * counter (`ferry:p:<p>:creds:version`) is bumped on every change, which invalidates the in-process cache
 * of every reader within `recheckMs`.
 */
export class SecretStore {
  readonly #redis: Redis;
  readonly #key: Buffer | undefined;
  readonly #now: () => number;
  readonly #recheckMs: number;
  readonly #cache = new Map<string, ProjectCache>();

  /** `keyBase64` is `FerryConfig.encryptionKey` (already checked to be 32 bytes); empty = storing is refused. */
  constructor(redis: Redis, keyBase64: string | undefined, opts: SecretStoreOptions = {}) {
    this.#redis = redis;
    this.#key = keyBase64 ? Buffer.from(keyBase64, 'base64') : undefined;
    this.#now = opts.now ?? Date.now;
    this.#recheckMs = opts.recheckMs ?? 2000;
  }

  /** Throws unless a key is set; call before applying anything, so a file is applied whole or not at all. */
  requireKey(): Buffer {
    if (!this.#key) {
      throw new FerryError(
        'FERRY_ERR_VALIDATION',
        'the manifests hold Secrets but the api has no encryption key: set FERRY_ENCRYPTION_KEY (32 bytes in base64, e.g. `openssl rand -base64 32`) and restart the api, or remove the Secrets',
      );
    }
    return this.#key;
  }

  #seal(s: ParsedSecret): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.requireKey(), iv);
    c.setAAD(Buffer.from(`${s.project}/${s.name}`));
    const data = Buffer.concat([c.update(JSON.stringify(s.data), 'utf8'), c.final()]);
    const sealed: Sealed = {
      v: 1,
      iv: iv.toString('base64'),
      tag: c.getAuthTag().toString('base64'),
      data: data.toString('base64'),
      ...(s.labels && Object.keys(s.labels).length > 0 && { labels: s.labels }),
      ...(s.annotations && Object.keys(s.annotations).length > 0 && { annotations: s.annotations }),
    };
    return JSON.stringify(sealed);
  }

  #open(project: string, name: string, sealed: Sealed): Record<string, string> {
    const d = createDecipheriv('aes-256-gcm', this.requireKey(), Buffer.from(sealed.iv, 'base64'));
    d.setAAD(Buffer.from(`${project}/${name}`));
    d.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const text = Buffer.concat([d.update(Buffer.from(sealed.data, 'base64')), d.final()]).toString('utf8');
    return JSON.parse(text) as Record<string, string>;
  }

  /**
   * Stores a Secret, encrypted; a Secret whose data, labels and annotations did not change is left as it
   * is. A credentials Secret (or one that was) also updates its Project's credential index.
   */
  async put(s: ParsedSecret): Promise<SecretAction> {
    const key = secretKey(s.project, s.name);
    const raw = await this.#redis.get(key);
    const prevSealed = raw === null ? undefined : (JSON.parse(raw) as Sealed);
    let prev: Record<string, string> | undefined;
    try {
      prev = prevSealed ? this.#open(s.project, s.name, prevSealed) : undefined;
    } catch {
      // Sealed under another key: overwritten below, as a changed Secret.
    }
    const same = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) =>
      JSON.stringify(sortedEntries(a)) === JSON.stringify(sortedEntries(b));
    if (
      prev &&
      same(prev, s.data) &&
      same(prevSealed?.labels, s.labels) &&
      same(prevSealed?.annotations, s.annotations)
    ) {
      return 'unchanged';
    }
    const wasCred = credTypeOf(prevSealed?.labels) !== undefined;
    const type = credTypeOf(s.labels);
    if (!wasCred && type === undefined) {
      await this.#redis.set(key, this.#seal(s));
    } else {
      const tx = this.#redis.multi().set(key, this.#seal(s));
      for (const t of Object.values(CredentialType)) tx.hdel(Keys.credentialIndex(s.project, t), s.name);
      if (type !== undefined) {
        const entry: IndexEntry = {
          repoURL: s.data.repoURL ?? '',
          isRegex: s.data.repoURLIsRegex === 'true',
        };
        tx.hset(Keys.credentialIndex(s.project, type), s.name, JSON.stringify(entry));
      }
      tx.incr(Keys.credentialVersion(s.project));
      await tx.exec();
    }
    return prevSealed ? 'configured' : 'created';
  }

  /**
   * Deletes a Secret, its entries in the Project's credential index and bumps the Project's version
   * counter, in one MULTI (readers drop their cached credentials within `recheckMs`). Needs no
   * encryption key. False when there was no such Secret.
   */
  async delete(project: string, name: string): Promise<boolean> {
    const tx = this.#redis.multi().del(secretKey(project, name));
    for (const t of Object.values(CredentialType)) tx.hdel(Keys.credentialIndex(project, t), name);
    tx.incr(Keys.credentialVersion(project));
    const res = await tx.exec();
    this.#cache.delete(project);
    return res?.[0]?.[1] === 1;
  }

  /**
   * A stored Secret's data; undefined when there is none or no key is set. Throws when the value does
   * not open (a different key, or tampering).
   */
  async get(project: string, name: string): Promise<Record<string, string> | undefined> {
    if (!this.#key) return undefined;
    const raw = await this.#redis.get(secretKey(project, name));
    return raw === null ? undefined : this.#open(project, name, JSON.parse(raw) as Sealed);
  }

  /**
   * A Secret for promotion expressions (`secret('name')`): its data when it is labelled
   * `kargo.akuity.io/cred-type: generic`, as Kargo requires; `not-generic` when it exists without that
   * label; undefined when there is none. Throws when the value does not open.
   */
  async getGeneric(
    project: string,
    name: string,
  ): Promise<Record<string, string> | 'not-generic' | undefined> {
    if (!this.#key) return undefined;
    const raw = await this.#redis.get(secretKey(project, name));
    if (raw === null) return undefined;
    const sealed = JSON.parse(raw) as Sealed;
    if (sealed.labels?.[CREDENTIAL_TYPE_LABEL] !== 'generic') return 'not-generic';
    return this.#open(project, name, sealed);
  }

  /**
   * The credentials of Project `project` for repository `repoURL` of `type`, or undefined when no
   * Secret matches (Kargo's order: exact URL matches, then regular expressions, each by Secret name).
   * Credentials are never returned for a plain `http://` URL to a host other than a loopback one.
   * Throws when a Secret matches but this process has no `FERRY_ENCRYPTION_KEY` or the wrong one.
   */
  async credentialsFor(
    project: string,
    type: CredentialType,
    repoURL: string,
  ): Promise<RepoCredentials | undefined> {
    if (!credentialsAllowedFor(repoURL)) return undefined;
    const cache = await this.#projectCache(project);
    const match = selectCredentials(cache.byType.get(type) ?? [], type, repoURL);
    if (match === undefined) return undefined;
    if (!this.#key) {
      throw new FerryError(
        'FERRY_ERR_VALIDATION',
        `Secret "${match.name}" of project "${project}" holds ${type} credentials for ${repoURL} but this service has no encryption key: set FERRY_ENCRYPTION_KEY to the api's key and restart it`,
      );
    }
    if (!cache.opened.has(match.name)) {
      let data: Record<string, string> | undefined;
      try {
        data = await this.get(project, match.name);
      } catch (cause) {
        throw new FerryError(
          'FERRY_ERR_VALIDATION',
          `Secret "${match.name}" of project "${project}" does not open with this service's FERRY_ENCRYPTION_KEY: set the api's key and restart it`,
          { cause },
        );
      }
      cache.opened.set(match.name, data);
    }
    const data = cache.opened.get(match.name);
    if (!data?.username || data.password === undefined) return undefined;
    return { username: data.username, password: data.password, secret: match.name };
  }

  async #projectCache(project: string): Promise<ProjectCache> {
    const now = this.#now();
    const cached = this.#cache.get(project);
    if (cached && now - cached.checkedAt < this.#recheckMs) return cached;
    const version = await this.#redis.get(Keys.credentialVersion(project));
    if (cached && cached.version === version) {
      cached.checkedAt = now;
      return cached;
    }
    const byType = new Map<CredentialType, CredentialCandidate[]>();
    for (const t of Object.values(CredentialType)) {
      const entries = await this.#redis.hgetall(Keys.credentialIndex(project, t));
      byType.set(
        t,
        Object.entries(entries).map(([name, json]) => {
          const e = JSON.parse(json) as IndexEntry;
          return { name, repoURL: e.repoURL, isRegex: e.isRegex };
        }),
      );
    }
    const fresh: ProjectCache = { version, checkedAt: now, byType, opened: new Map() };
    this.#cache.set(project, fresh);
    return fresh;
  }
}

function credTypeOf(labels: Record<string, string> | undefined): CredentialType | undefined {
  const t = labels?.[CREDENTIAL_TYPE_LABEL];
  return t !== undefined && isCredentialType(t) ? t : undefined;
}

function sortedEntries(m: Record<string, string> | undefined): [string, string][] {
  return Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
