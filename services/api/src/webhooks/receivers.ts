import { createHash } from 'node:crypto';
import type {
  ProjectConfig,
  Warehouse,
  WebhookProvider,
  WebhookProviderConfig,
  WebhookReceiverConfig,
  WebhookReceiverDetails,
} from '@ferry/contracts';
import { gitRepoKey, normalizeChart, normalizeImage } from '@ferry/kargo';
import { PROVIDERS } from './providers/index.ts';
import type { WebhookTargets } from './providers/types.ts';
import type { SecretStore } from './secrets.ts';

/**
 * A receiver's URL path, as Kargo derives it: `/webhook/<provider>/<hex sha256 of name + project + secret>`,
 * so the path changes when the secret does and cannot be guessed without it.
 */
export function receiverPath(
  project: string,
  name: string,
  provider: WebhookProvider,
  secret: string,
): string {
  const hash = createHash('sha256').update(`${name}${project}${secret}`).digest('hex');
  return `/webhook/${provider}/${hash}`;
}

/** The environment variable that holds a Secret's value (Ferry's interim until Secrets are stored). */
export const secretVariable = (secretName: string): string =>
  `FERRY_WEBHOOK_SECRET_${secretName.toUpperCase().replace(/[-.]/g, '_')}`;

/** Looks up the value under `dataKey` of a Project's Secret; undefined when there is none. */
export type SecretLookup = (
  project: string,
  secretName: string,
  dataKey: string,
) => Promise<string | undefined>;

/**
 * Reads a Secret stored by `ferry apply` (encrypted), else the interim variable
 * `FERRY_WEBHOOK_SECRET_<NAME>` from `FerryConfig.webhookSecrets` (keys without the prefix).
 * A stored Secret that does not open (the key changed) counts as absent.
 */
export const secretLookup =
  (stored: SecretStore | undefined, env: Readonly<Record<string, string>>): SecretLookup =>
  async (project, name, dataKey) => {
    const data = await stored?.get(project, name).catch(() => undefined);
    return data?.[dataKey] || env[secretVariable(name).slice('FERRY_WEBHOOK_SECRET_'.length)];
  };

/** A receiver of a Project, with its provider and, when its secret is set, its secret and path. */
export interface ResolvedReceiver {
  /** The Project whose ProjectConfig declares it. */
  project: string;
  /** The receiver's name. */
  name: string;
  /** Its provider block's key. */
  provider: WebhookProvider;
  /** Its provider block. */
  config: WebhookProviderConfig;
  /** The shared secret; empty when the Secret is not found. */
  secret?: string;
  /** `/webhook/<provider>/<hash>`; empty when the Secret is not found. */
  path?: string;
}

/** The provider block a parsed receiver has (the parser guarantees exactly one). */
export function providerOf(r: WebhookReceiverConfig): [WebhookProvider, WebhookProviderConfig] | undefined {
  for (const p of Object.keys(PROVIDERS) as WebhookProvider[]) {
    const block = r[p];
    if (block) return [p, block];
  }
  return undefined;
}

/** The receivers of a ProjectConfig with their secrets and paths resolved. */
export async function resolveReceivers(
  config: ProjectConfig | undefined,
  secrets: SecretLookup,
): Promise<ResolvedReceiver[]> {
  if (!config) return [];
  const project = config.metadata.namespace || config.metadata.name;
  const out: ResolvedReceiver[] = [];
  for (const r of config.spec.webhookReceivers ?? []) {
    const found = providerOf(r);
    if (!found) continue;
    const [provider, block] = found;
    const secret = await secrets(project, block.secretRef.name, PROVIDERS[provider].secretKey);
    const base = { project, name: r.name, provider, config: block };
    out.push(secret ? { ...base, secret, path: receiverPath(project, r.name, provider, secret) } : base);
  }
  return out;
}

/** What `status.webhookReceivers` shows for resolved receivers. */
export function receiverDetails(receivers: ResolvedReceiver[]): WebhookReceiverDetails[] {
  return receivers.map((r) =>
    r.path
      ? { name: r.name, path: r.path }
      : {
          name: r.name,
          message: `Secret "${r.config.secretRef.name}" with key "${PROVIDERS[r.provider].secretKey}" not found: apply it with ferry apply, or set ${secretVariable(r.config.secretRef.name)} for the api`,
        },
  );
}

/** An image repository named by a payload in Kargo's normal form (scheme, trailing slashes and tag dropped). */
export function normalizePayloadImage(ref: string): string {
  return normalizeImage(
    ref
      .trim()
      .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
      .replace(/\/+$/, ''),
  );
}

/** A chart subscription's `oci://` repository in the form a registry push names it; undefined for HTTP(S) repositories. */
function ociChart(repoURL: string): string | undefined {
  return /^oci:\/\//i.test(repoURL.trim()) ? normalizeChart(repoURL.trim()) : undefined;
}

/**
 * The Warehouses, by name and sorted, with a subscription to one of the targets: an image subscription
 * to one of `images`, an `oci://` chart subscription to one of `charts` (both normalised as Kargo does),
 * or a git subscription to one of `git` (compared by {@link gitRepoKey}, so any URL form matches).
 */
export function matchingWarehouses(warehouses: Warehouse[], targets: WebhookTargets): string[] {
  const images = new Set((targets.images ?? []).map(normalizePayloadImage));
  const charts = new Set((targets.charts ?? []).map(normalizePayloadImage));
  const git = new Set((targets.git ?? []).map(gitRepoKey));
  return warehouses
    .filter((w) =>
      w.spec.subscriptions.some((s) => {
        if (s.image) return images.has(normalizePayloadImage(s.image.repoURL));
        if (s.git) return git.has(gitRepoKey(s.git.repoURL));
        if (s.chart) {
          const chart = ociChart(s.chart.repoURL);
          return chart !== undefined && charts.has(chart);
        }
        return false;
      }),
    )
    .map((w) => w.metadata.name)
    .sort();
}
