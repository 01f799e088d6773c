/**
 * The api's side of Secrets: storing them is `SecretStore` of @ferry/store (shared with the services that
 * read credentials); this module keeps the names the webhook code imports and the apply preparation.
 */
import { loadConfig } from '@ferry/config';
import type { ParsedSecret } from '@ferry/kargo';
import { type ApplyOutcome, SecretStore, type Store } from '@ferry/store';

export type { SecretAction } from '@ferry/store';
export { SecretStore, secretKey } from '@ferry/store';

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
