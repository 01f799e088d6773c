import { createHash } from 'node:crypto';
import type { FreightChart, FreightCommit, FreightId, FreightImage, FreightOrigin } from '@ferry/contracts';
import { normalizeChart, normalizeGit } from './urls.ts';

/** The content a Freight id is computed from. */
export interface FreightContent {
  /** The Warehouse the Freight comes from. */
  origin: FreightOrigin;
  /** Images; empty or absent when none. */
  images?: readonly FreightImage[];
  /** Git commits; empty or absent when none. */
  commits?: readonly FreightCommit[];
  /** Helm charts; empty or absent when none. */
  charts?: readonly FreightChart[];
}

/** Go's path.Join: joins non-empty elements and cleans the result (no trailing or doubled `/`). */
function goPathJoin(...elems: string[]): string {
  const parts = elems.filter((e) => e !== '');
  if (parts.length === 0) return '';
  const abs = parts[0]!.startsWith('/');
  const out: string[] = [];
  for (const seg of parts.join('/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && out.length > 0 && out.at(-1) !== '..') out.pop();
    else if (seg !== '..' || !abs) out.push(seg);
  }
  const joined = out.join('/');
  return abs ? `/${joined}` : joined || '.';
}

/** Go's bytewise string order (JavaScript's default sort compares UTF-16 code units instead). */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * The Freight id exactly as Kargo computes it (`pkg/api/freight.go` GenerateFreightID): the SHA-1 hex
 * of `<kind>/<name>:` followed by the sorted artifact parts joined with `|`, where an image is
 * `<repoURL>:<tag>@<digest>`, a commit `<normalized repo>:<tag>:<id>` (or without the tag) and a
 * chart `path.Join(<normalized repo>, <name>):<version>`. Subscription names are not used by Ferry.
 */
export function freightId(content: FreightContent): FreightId {
  const parts = [
    ...(content.commits ?? []).map((c) =>
      c.tag ? `${normalizeGit(c.repoURL)}:${c.tag}:${c.id}` : `${normalizeGit(c.repoURL)}:${c.id}`,
    ),
    ...(content.images ?? []).map((i) => `${i.repoURL}:${i.tag}@${i.digest}`),
    ...(content.charts ?? []).map((c) => `${goPathJoin(normalizeChart(c.repoURL), c.name)}:${c.version}`),
  ].sort(byteOrder);
  const { kind, name } = content.origin;
  return createHash('sha1')
    .update(`${kind}/${name}:${parts.join('|')}`)
    .digest('hex') as FreightId;
}

const ADJECTIVES = `able agile amber ample angry awake azure bold brave breezy bright brisk calm canny cheery
chilly civil clever cosmic cozy crisp curly daring dapper deft dizzy eager early earnest easy elated
fancy fearless fierce fluffy fond frank frosty gentle giddy glad golden grand happy hardy hasty honest
humble icy jolly jovial keen kind lively loyal lucky mellow merry mighty misty modest nimble noble
patient perky plucky polite proud quick quiet rapid rosy rustic sandy serene sharp shiny silent silly
sleek smooth snappy sober solid spry steady stoic sturdy sunny swift tidy tranquil trusty upbeat vivid
warm wild wise witty young zany zesty`.split(/\s+/);

const ANIMALS = `alpaca badger beaver bison bobcat buffalo camel caribou cheetah chipmunk cobra condor cougar
coyote crane cricket dingo dolphin donkey eagle eel falcon ferret finch flamingo fox gazelle gecko gerbil
gibbon giraffe gopher gorilla grouse hamster hare hawk hedgehog heron hippo hornet husky ibex iguana
impala jackal jaguar kangaroo kiwi koala lemur leopard llama lobster lynx magpie mallard marmot meerkat
mink mole moose narwhal newt ocelot octopus orca osprey ostrich otter owl panda panther parrot pelican
penguin pigeon puffin puma quail rabbit raccoon raven reindeer salmon seal shark sloth sparrow squid
stork swan tapir tiger toucan turtle walrus weasel whale wolf wombat yak zebra`.split(/\s+/);

/** The `n`th adjective-animal name derived from `id`. */
function derive(id: string, n: number): string {
  const h = createHash('sha1')
    .update(n === 0 ? id : `${id}#${n}`)
    .digest();
  return `${ADJECTIVES[h.readUInt32BE(0) % ADJECTIVES.length]}-${ANIMALS[h.readUInt32BE(4) % ANIMALS.length]}`;
}

/** How many fresh word pairs are tried before numbering the first one. */
const REHASHES = 8;

/**
 * A readable `adjective-animal` alias derived only from the Freight id, so a redelivered message makes
 * the same alias. When `taken` says an alias is in use, the next derivation is tried (a rehash of the
 * id, then `<first>-2`, `<first>-3`, ...), so the outcome depends only on the id and the taken set.
 */
export function freightAlias(id: string, taken: (alias: string) => boolean): string {
  for (let n = 0; n < REHASHES; n++) {
    const alias = derive(id, n);
    if (!taken(alias)) return alias;
  }
  const first = derive(id, 0);
  for (let k = 2; k < 100_000; k++) {
    if (!taken(`${first}-${k}`)) return `${first}-${k}`;
  }
  throw new Error(`no free alias for Freight ${id}`);
}

/** The word lists, exposed for tests. */
export const aliasWords = { adjectives: ADJECTIVES, animals: ANIMALS } as const;
