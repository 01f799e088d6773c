import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { loadConfig } from '@ferry/config';
import { FerryError } from '@ferry/contracts';
import type { ParsedSecret } from '@ferry/kargo';
import type { ApplyOutcome, Store } from '@ferry/store';

/** The Redis key of a stored Secret. */
export const secretKey = (project: string, name: string): string => `ferry:p:${project}:secret:${name}`;

/** What storing a Secret did, as `kubectl apply` reports it. */
export type SecretAction = 'created' | 'configured' | 'unchanged';

/** The stored form: AES-256-GCM of the JSON data, bound to its Project and name. */
interface Sealed {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

/**
 * Secrets kept in Redis encrypted with AES-256-GCM under `FERRY_ENCRYPTION_KEY`. The Project and name
 * are the additional authenticated data, so a sealed value copied to another key does not open.
 */
export class SecretStore {
  readonly #redis: Store['redis'];
  readonly #key: Buffer | undefined;

  /** `keyBase64` is `FerryConfig.encryptionKey` (already checked to be 32 bytes); empty = storing is refused. */
  constructor(redis: Store['redis'], keyBase64: string | undefined) {
    this.#redis = redis;
    this.#key = keyBase64 ? Buffer.from(keyBase64, 'base64') : undefined;
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
    };
    return JSON.stringify(sealed);
  }

  #open(project: string, name: string, raw: string): Record<string, string> {
    const sealed = JSON.parse(raw) as Sealed;
    const d = createDecipheriv('aes-256-gcm', this.requireKey(), Buffer.from(sealed.iv, 'base64'));
    d.setAAD(Buffer.from(`${project}/${name}`));
    d.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const text = Buffer.concat([d.update(Buffer.from(sealed.data, 'base64')), d.final()]).toString('utf8');
    return JSON.parse(text) as Record<string, string>;
  }

  /** Stores a Secret, encrypted; a Secret whose data did not change is left as it is. */
  async put(s: ParsedSecret): Promise<SecretAction> {
    const key = secretKey(s.project, s.name);
    const prev = await this.get(s.project, s.name).catch(() => undefined);
    if (prev && JSON.stringify(prev) === JSON.stringify(s.data)) return 'unchanged';
    await this.#redis.set(key, this.#seal(s));
    return prev ? 'configured' : 'created';
  }

  /**
   * A stored Secret's data; undefined when there is none or no key is set. Throws when the value does
   * not open (a different key, or tampering).
   */
  async get(project: string, name: string): Promise<Record<string, string> | undefined> {
    if (!this.#key) return undefined;
    const raw = await this.#redis.get(secretKey(project, name));
    return raw === null ? undefined : this.#open(project, name, raw);
  }
}

/** Secrets of a manifest file, checked and ready to store after the file's resources. */
export interface PreparedSecrets {
  /** Stores each Secret; one outcome per Secret, kind `Secret`. */
  apply(): Promise<ApplyOutcome[]>;
}

/**
 * Checks that Secrets can be stored (throws naming FERRY_ENCRYPTION_KEY when the file has Secrets and
 * no key is set), so `ferry apply` refuses the whole file before applying anything.
 */
export function prepareSecrets(
  store: Store,
  secrets: readonly ParsedSecret[],
  keyBase64: string | undefined = secrets.length > 0 ? loadConfig().encryptionKey : undefined,
): PreparedSecrets {
  if (secrets.length === 0) return { apply: async () => [] };
  const sealed = new SecretStore(store.redis, keyBase64);
  sealed.requireKey();
  return {
    apply: async () => {
      const out: ApplyOutcome[] = [];
      for (const s of secrets) {
        out.push({
          kind: 'Secret',
          project: s.project,
          name: s.name,
          action: await sealed.put(s),
          generation: 0,
        });
      }
      return out;
    },
  };
}
