/**
 * Manual Freight (Kargo: a user creates a Freight resource naming artifacts a Warehouse discovered).
 * Pure: matches a request's artifacts to the Warehouse's subscriptions and checks each against the
 * Warehouse's `status.discoveredArtifacts`. Resolving image digests and making the Freight is the
 * route's work.
 */
import {
  FerryError,
  type FreightChart,
  type FreightCommit,
  type Problem,
  ValidationError,
  type Warehouse,
  type WarehouseStatus,
} from '@ferry/contracts';
import { normalizeChart, normalizeGit, normalizeImage } from '@ferry/kargo';

/** The body of `POST /api/v1/projects/:project/freight`, shaped like Kargo's Freight resource. */
export interface ManualFreightBody {
  /** The Warehouse the Freight comes from. */
  origin: { kind: 'Warehouse'; name: string };
  /** One per image subscription: a discovered tag, or a digest discovery resolved (its best). */
  images?: Array<{ repoURL: string; tag?: string; digest?: string }>;
  /** One per git subscription: a discovered commit by id (full, or a unique prefix of 7+) or by tag. */
  commits?: Array<{ repoURL: string; id?: string; tag?: string }>;
  /** One per chart subscription: a discovered version. */
  charts?: Array<{ repoURL: string; name?: string; version: string }>;
}

/** An image chosen for the Freight; its digest is still to be resolved by the registry. */
export interface ChosenImage {
  /** The repository as the subscription names it. */
  repoURL: string;
  /** The discovered tag. */
  tag: string;
  /** The digest the request gave; the registry's answer must equal it. Absent when none was given. */
  digest?: string;
  /** The subscription's platform, which the image must offer; absent when it names none. */
  platform?: string;
}

/** The artifacts of the Freight to make, one per subscription, in subscription order per kind. */
export interface ChosenArtifacts {
  images: ChosenImage[];
  commits: FreightCommit[];
  charts: FreightChart[];
}

type Discovered = NonNullable<WarehouseStatus['discoveredArtifacts']>;
type Kind = 'image' | 'git' | 'chart';
const LIST_KEY: Record<Kind, 'images' | 'commits' | 'charts'> = {
  image: 'images',
  git: 'commits',
  chart: 'charts',
};

/** Subscriptions of a Warehouse with their position overall and within their kind. */
interface Sub {
  index: number;
  ordinal: number;
  kind: Kind;
  repoURL: string;
  key: string;
  name?: string;
  platform?: string;
}

const chartName = (repoURL: string, name: string | undefined): string =>
  name ?? repoURL.replace(/\/+$/, '').split('/').at(-1) ?? '';

function subscriptionsOf(wh: Warehouse): Sub[] {
  const count = { image: 0, git: 0, chart: 0 };
  return wh.spec.subscriptions.map((s, index): Sub => {
    if (s.image)
      return {
        index,
        ordinal: count.image++,
        kind: 'image',
        repoURL: s.image.repoURL,
        key: normalizeImage(s.image.repoURL),
        ...(s.image.platform ? { platform: s.image.platform } : {}),
      };
    if (s.git)
      return {
        index,
        ordinal: count.git++,
        kind: 'git',
        repoURL: s.git.repoURL,
        key: normalizeGit(s.git.repoURL),
      };
    const c = s.chart!;
    return {
      index,
      ordinal: count.chart++,
      kind: 'chart',
      repoURL: c.repoURL,
      key: `${normalizeChart(c.repoURL)}|${chartName(c.repoURL, c.name)}`,
      ...(c.name ? { name: c.name } : {}),
    };
  });
}

const describe = (s: Sub) =>
  `subscription ${s.index} (${s.kind} ${s.repoURL}${s.name ? ` chart ${s.name}` : ''})`;

/** The first `n` entries of a list as `a, b, c` (and how many more), or `nothing`. */
function listing(items: readonly string[], n = 10): string {
  if (items.length === 0) return 'nothing';
  const more = items.length > n ? ` and ${items.length - n} more` : '';
  return items.slice(0, n).join(', ') + more;
}

/**
 * Picks the artifacts of a manual Freight. With no artifact in the body, the best (first) candidate
 * of every subscription, as an Automatic Warehouse would; otherwise exactly one artifact per
 * subscription, each among what the Warehouse discovered. Throws a ValidationError (400) listing
 * every artifact that matches no subscription or doubles one, and every subscription left without
 * one; then a FerryError `FERRY_ERR_ARTIFACT_NOT_DISCOVERED` (422) naming each artifact that was
 * not discovered, what was, and that a refresh comes first.
 */
export function chooseArtifacts(
  project: string,
  wh: Warehouse,
  status: WarehouseStatus | undefined,
  body: ManualFreightBody,
): ChosenArtifacts {
  const name = wh.metadata.name;
  const refresh = `run "ferry refresh warehouse ${name} -p ${project}" first`;
  const discovered = status?.discoveredArtifacts;
  if (!discovered) {
    throw new FerryError(
      'FERRY_ERR_ARTIFACT_NOT_DISCOVERED',
      `Warehouse "${name}" has discovered nothing yet; ${refresh}, then pick among what it lists`,
    );
  }
  const subs = subscriptionsOf(wh);
  const none = !body.images?.length && !body.commits?.length && !body.charts?.length;
  return none ? bestOfEach(subs, discovered, name, refresh) : chosen(subs, discovered, wh, body, refresh);
}

function bestOfEach(
  subs: Sub[],
  discovered: Discovered,
  warehouse: string,
  refresh: string,
): ChosenArtifacts {
  const out: ChosenArtifacts = { images: [], commits: [], charts: [] };
  const empty: string[] = [];
  for (const s of subs) {
    if (s.kind === 'image') {
      const best = discovered.images[s.ordinal]?.references[0];
      if (best)
        out.images.push({
          repoURL: s.repoURL,
          tag: best.tag,
          ...(s.platform ? { platform: s.platform } : {}),
        });
      else empty.push(describe(s));
    } else if (s.kind === 'git') {
      const best = discovered.git?.[s.ordinal]?.commits[0];
      if (best) out.commits.push(commitOf(s.repoURL, best));
      else empty.push(describe(s));
    } else {
      const best = discovered.charts?.[s.ordinal]?.versions[0];
      if (best) out.charts.push({ repoURL: s.repoURL, name: chartName(s.repoURL, s.name), version: best });
      else empty.push(describe(s));
    }
  }
  if (empty.length > 0) {
    throw new FerryError(
      'FERRY_ERR_ARTIFACT_NOT_DISCOVERED',
      `Warehouse "${warehouse}" has no discovered candidate for ${empty.join(', ')}; ${refresh}, and see its status.message for why`,
    );
  }
  return out;
}

type Discovery = NonNullable<Discovered['git']>[number]['commits'][number];

function commitOf(repoURL: string, c: Discovery): FreightCommit {
  return {
    repoURL,
    id: c.id,
    ...(c.tag ? { tag: c.tag } : {}),
    ...(c.branch ? { branch: c.branch } : {}),
    ...(c.subject ? { message: c.subject } : {}),
    ...(c.author ? { author: c.author } : {}),
  };
}

function chosen(
  subs: Sub[],
  discovered: Discovered,
  wh: Warehouse,
  body: ManualFreightBody,
  refresh: string,
): ChosenArtifacts {
  const problems: Problem[] = [];
  const taken = new Map<number, string>();
  const match = (kind: Kind, j: number, repoURL: string, key: string): Sub | undefined => {
    const path = `/${LIST_KEY[kind]}/${j}`;
    const ofKind = subs.filter((s) => s.kind === kind);
    const sub = ofKind.find((s) => s.key === key);
    if (!sub) {
      problems.push({
        path: `${path}/repoURL`,
        message: `no ${kind} subscription of Warehouse "${wh.metadata.name}" watches ${repoURL}; its ${kind} subscriptions: ${listing(ofKind.map((s) => s.repoURL + (s.name ? ` (chart ${s.name})` : '')))}`,
      });
      return undefined;
    }
    const first = taken.get(sub.index);
    if (first !== undefined) {
      problems.push({
        path: `${path}/repoURL`,
        message: `${describe(sub)} already has an artifact at ${first}; give one artifact per subscription`,
      });
      return undefined;
    }
    taken.set(sub.index, path);
    return sub;
  };
  const images: Array<[Sub, { repoURL: string; tag?: string; digest?: string }]> = [];
  (body.images ?? []).forEach((img, j) => {
    if (!img.tag && !img.digest) problems.push({ path: `/images/${j}`, message: 'give a tag or a digest' });
    const sub = match('image', j, img.repoURL, normalizeImage(img.repoURL));
    if (sub) images.push([sub, img]);
  });
  const commits: Array<[Sub, { repoURL: string; id?: string; tag?: string }]> = [];
  (body.commits ?? []).forEach((c, j) => {
    if (!c.id && !c.tag) problems.push({ path: `/commits/${j}`, message: 'give a commit id or a tag' });
    if (c.id !== undefined && !/^[0-9a-f]{7,64}$/.test(c.id))
      problems.push({
        path: `/commits/${j}/id`,
        message: 'must be a commit sha (7 to 64 lowercase hex digits)',
      });
    const sub = match('git', j, c.repoURL, normalizeGit(c.repoURL));
    if (sub) commits.push([sub, c]);
  });
  const charts: Array<[Sub, { repoURL: string; name?: string; version: string }]> = [];
  (body.charts ?? []).forEach((c, j) => {
    const sub = match('chart', j, c.repoURL, `${normalizeChart(c.repoURL)}|${chartName(c.repoURL, c.name)}`);
    if (sub) charts.push([sub, c]);
  });
  for (const s of subs) {
    if (!taken.has(s.index)) {
      problems.push({
        path: `/${LIST_KEY[s.kind]}`,
        message: `${describe(s)} of Warehouse "${wh.metadata.name}" needs one artifact: Freight holds one artifact per subscription (or give none at all to take the best of each)`,
      });
    }
  }
  if (problems.length > 0)
    throw new ValidationError('the Freight request does not fit the Warehouse', problems);

  const missing: Problem[] = [];
  const out: ChosenArtifacts = { images: [], commits: [], charts: [] };
  for (const [j, [s, img]] of images.entries()) {
    const refs = discovered.images[s.ordinal]?.references ?? [];
    const ref = img.tag ? refs.find((r) => r.tag === img.tag) : refs.find((r) => r.digest === img.digest);
    const what = img.tag ? `${s.repoURL}:${img.tag}` : `${s.repoURL}@${img.digest}`;
    if (!ref) {
      const hint = img.tag ? '' : ' (only the best candidate has a known digest: give a tag)';
      missing.push({
        path: `/images/${j}`,
        message: `image ${what} is not among the artifacts Warehouse "${wh.metadata.name}" discovered (${listing(refs.map((r) => r.tag))})${hint}`,
      });
      continue;
    }
    const digest = img.digest;
    out.images.push({
      repoURL: s.repoURL,
      tag: ref.tag,
      ...(digest ? { digest } : {}),
      ...(s.platform ? { platform: s.platform } : {}),
    });
  }
  for (const [j, [s, c]] of commits.entries()) {
    const found = discovered.git?.[s.ordinal]?.commits ?? [];
    const byId = c.id ? found.filter((d) => d.id.startsWith(c.id!)) : undefined;
    const byTag = c.tag ? found.filter((d) => d.tag === c.tag) : undefined;
    const both = byId && byTag ? byId.filter((d) => byTag.includes(d)) : (byId ?? byTag ?? []);
    const what = `commit ${c.id ?? ''}${c.id && c.tag ? ' ' : ''}${c.tag ? `tag ${c.tag}` : ''} of ${s.repoURL}`;
    if (both.length === 1) {
      out.commits.push(commitOf(s.repoURL, both[0]!));
      continue;
    }
    const known = found.map((d) => (d.tag ? `${d.tag} (${d.id.slice(0, 7)})` : d.id.slice(0, 7)));
    missing.push({
      path: `/commits/${j}`,
      message:
        both.length > 1
          ? `${what} matches ${both.length} discovered commits; give more of the sha`
          : `${what} is not among the artifacts Warehouse "${wh.metadata.name}" discovered (${listing(known)})`,
    });
  }
  for (const [j, [s, c]] of charts.entries()) {
    const versions = discovered.charts?.[s.ordinal]?.versions ?? [];
    const chart = chartName(s.repoURL, s.name);
    if (versions.includes(c.version)) {
      out.charts.push({ repoURL: s.repoURL, name: chart, version: c.version });
      continue;
    }
    missing.push({
      path: `/charts/${j}/version`,
      message: `chart ${chart} version ${c.version} from ${s.repoURL} is not among the artifacts Warehouse "${wh.metadata.name}" discovered (${listing(versions)})`,
    });
  }
  if (missing.length > 0) {
    throw new FerryError(
      'FERRY_ERR_ARTIFACT_NOT_DISCOVERED',
      `${missing.map((m) => m.message).join('; ')}; ${refresh} if it was published since, then pick one it lists`,
      { details: { problems: missing } },
    );
  }
  return out;
}
