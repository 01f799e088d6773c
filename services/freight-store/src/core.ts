import type { Freight, FreightDiscovered } from '@ferry/contracts';
import { KARGO_API_VERSION } from '@ferry/contracts';
import { freightAlias, freightId } from '@ferry/kargo';

/**
 * Builds the Freight that a discovery describes (images, git commits, Helm charts): id as Kargo computes it, alias derived
 * from the id (so a redelivered message yields the same alias), status empty.
 */
export function freightFromDiscovery(
  msg: FreightDiscovered,
  now: string,
  aliasTaken: (alias: string) => boolean,
): Freight {
  const origin = { kind: 'Warehouse' as const, name: msg.warehouse };
  const images = msg.images.map((i) => ({ repoURL: i.repoURL, tag: i.tag, digest: i.digest }));
  // Optional fields are copied only when present, so the stored Freight has no `undefined` keys.
  const commits = (msg.commits ?? []).map((c) => ({
    repoURL: c.repoURL,
    id: c.id,
    ...(c.tag ? { tag: c.tag } : {}),
    ...(c.branch ? { branch: c.branch } : {}),
    ...(c.message ? { message: c.message } : {}),
    ...(c.author ? { author: c.author } : {}),
  }));
  // In subscription order, as Kargo lists them; the id sorts the artifacts itself, so order cannot change it.
  const charts = (msg.charts ?? []).map((c) => ({ repoURL: c.repoURL, name: c.name, version: c.version }));
  const id = freightId({ origin, images, commits, charts });
  const alias = freightAlias(id, aliasTaken);
  return {
    apiVersion: KARGO_API_VERSION,
    kind: 'Freight',
    metadata: {
      name: id,
      namespace: msg.project,
      labels: { 'kargo.akuity.io/alias': alias },
      creationTimestamp: now,
    },
    alias,
    origin,
    images,
    commits,
    charts,
    status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
  };
}
