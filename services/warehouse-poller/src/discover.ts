import type { DiscoveredImages, FreightImage, Warehouse, WarehouseStatus } from '@ferry/contracts';
import { freightId, selectImageTags } from '@ferry/kargo';

/** What discovery needs from a registry (the real client, or a fake in tests). */
export interface RegistryPort {
  listTags(repoURL: string): Promise<string[]>;
  resolveTag(repoURL: string, tag: string): Promise<{ digest: string }>;
}

/** The result of discovering one Warehouse. */
export interface DiscoveryResult {
  /** What to store as the Warehouse's status. */
  status: WarehouseStatus;
  /** The best candidate of every subscription, when every subscription found one. */
  images?: FreightImage[];
  /** Problems, one per failing subscription; empty on success. */
  errors: string[];
}

/**
 * Discovers a Warehouse's image subscriptions: lists tags, picks candidates per the
 * subscription's strategy, resolves the best one's digest. A failing subscription is
 * reported without hiding what the others found.
 */
export async function discoverWarehouse(
  wh: Warehouse,
  registry: RegistryPort,
  now: Date,
): Promise<DiscoveryResult> {
  const discovered: DiscoveredImages[] = [];
  const best: FreightImage[] = [];
  const errors: string[] = [];
  await Promise.all(
    wh.spec.subscriptions.map(async ({ image: sub }, i) => {
      try {
        const tags = await registry.listTags(sub.repoURL);
        const candidates = selectImageTags(tags, sub);
        if (candidates.length === 0) {
          errors.push(
            `subscription ${i} (${sub.repoURL}): no tag among ${tags.length} matches` +
              (sub.constraint ? ` constraint "${sub.constraint}"` : '') +
              `; push a matching tag or change the constraint`,
          );
          discovered[i] = { repoURL: sub.repoURL, references: [] };
          return;
        }
        const top = candidates[0]!;
        const { digest } = await registry.resolveTag(sub.repoURL, top);
        discovered[i] = {
          repoURL: sub.repoURL,
          references: candidates.map((tag) => (tag === top ? { tag, digest } : { tag })),
        };
        best[i] = { repoURL: sub.repoURL, tag: top, digest };
      } catch (err) {
        errors.push(`subscription ${i} (${sub.repoURL}): ${(err as Error).message}`);
        discovered[i] = { repoURL: sub.repoURL, references: [] };
      }
    }),
  );
  const complete = best.length === wh.spec.subscriptions.length && best.every(Boolean);
  const status: WarehouseStatus = {
    lastHandledRefresh: now.toISOString(),
    discoveredArtifacts: { discoveredAt: now.toISOString(), images: discovered },
  };
  if (errors.length) status.message = errors.join('; ');
  if (complete) {
    status.lastFreightID = freightId({
      origin: { kind: 'Warehouse', name: wh.metadata.name },
      images: best,
      commits: [],
      charts: [],
    });
  }
  return complete ? { status, images: best, errors } : { status, errors };
}
