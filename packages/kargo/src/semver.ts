/**
 * Semantic versions and constraints with the meaning Kargo gives them: Kargo uses the Go library
 * Masterminds/semver v3, whose syntax differs from npm's (`>= 1.2, < 2` with commas, `!=`, `=>`,
 * `1.2.x`, and prereleases allowed for a whole `||` group as soon as one of its comparators names one).
 * This module re-implements that behaviour; npm `semver` ranges would accept and reject other strings.
 */

/** A parsed version; `original` is the tag as written (it may carry a leading `v`). */
export interface SemVersion {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string;
  original: string;
}

const LOOSE =
  /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Parses a tag as Kargo does (`pkg/controller/semver.Parse`): Masterminds' coercing `NewVersion`
 * (`1`, `1.2`, `v1.2.3`, leading zeros) and, when `strict`, also its `StrictNewVersion` on the tag
 * without one leading `v` (all of major.minor.patch, no leading zeros). Undefined when not a version.
 */
export function parseSemver(tag: string, strict: boolean): SemVersion | undefined {
  const m = LOOSE.exec(tag);
  if (!m) return undefined;
  const [, maj = '', min, pat, pre = ''] = m;
  if (pre.split('.').some((p) => /^0\d+$/.test(p))) return undefined;
  const nums = [maj, min?.slice(1) ?? '0', pat?.slice(1) ?? '0'].map(BigInt) as [bigint, bigint, bigint];
  if (nums.some((n) => n > UINT64_MAX)) return undefined;
  if (strict && (min === undefined || pat === undefined || [maj, min, pat].some((p) => /^\.?0\d/.test(p)))) {
    return undefined;
  }
  return { major: nums[0], minor: nums[1], patch: nums[2], pre, original: tag };
}

const cmp = (a: bigint | string, b: bigint | string): number => (a < b ? -1 : a > b ? 1 : 0);

function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const sn = /^\d+$/.test(s);
  const on = /^\d+$/.test(o);
  if (sn && on) return cmp(BigInt(s), BigInt(o));
  if (sn) return -1;
  if (on) return 1;
  return cmp(s, o);
}

/** Orders two versions by SemVer precedence (build metadata ignored): negative, zero or positive. */
export function compareSemver(a: SemVersion, b: SemVersion): number {
  const d = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch);
  if (d !== 0) return d;
  if (a.pre === b.pre) return 0;
  if (a.pre === '') return 1;
  if (b.pre === '') return -1;
  const sp = a.pre.split('.');
  const op = b.pre.split('.');
  for (let i = 0; i < Math.max(sp.length, op.length); i++) {
    const r = comparePrePart(sp[i] ?? '', op[i] ?? '');
    if (r !== 0) return r;
  }
  return 0;
}

interface Comparator {
  op: string;
  con: SemVersion;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

/** A parsed constraint: OR-groups of AND-ed comparators, each group flagged if it names a prerelease. */
export interface SemverConstraint {
  groups: Array<{ comparators: Comparator[]; includePre: boolean }>;
}

const CV = String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const OPS = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;
const ONE = new RegExp(String.raw`^\s*(${OPS})\s*(${CV})\s*$`);
const RANGE = new RegExp(String.raw`\s*(${CV})\s+-\s+(${CV})\s*`, 'g');
const FIND = new RegExp(String.raw`(${OPS})\s*(${CV})`, 'g');
const VALID = new RegExp(String.raw`^(\s*(${OPS})\s*(${CV})\s*)((?:\s+|,\s*)(${OPS})\s*(${CV})\s*)*$`);
const isX = (s: string | undefined) => s === 'x' || s === 'X' || s === '*';

function parseComparator(s: string): Comparator {
  const m = ONE.exec(s);
  if (!m) throw new Error(`improper constraint: ${JSON.stringify(s)}`);
  const [, op = '', whole = '', maj = '', min, pat, pre = ''] = m;
  let ver = whole;
  let dirty = true;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(maj)) ver = `0.0.0${pre}`;
  else if (min === undefined || isX(min.slice(1))) [ver, minorDirty] = [`${maj}.0.0${pre}`, true];
  else if (pat === undefined || isX(pat.slice(1))) [ver, patchDirty] = [`${maj}${min}.0${pre}`, true];
  else dirty = false;
  const con = parseSemver(ver, false);
  if (!con) throw new Error(`improper constraint: ${JSON.stringify(s)}`);
  return { op, con, dirty, minorDirty, patchDirty };
}

/** Parses a Masterminds constraint (`^1.2`, `>= 1.0, < 2 || 3.x`); throws `improper constraint: "…"`. */
export function parseSemverConstraint(input: string): SemverConstraint {
  let c = input;
  for (const r of input.matchAll(RANGE)) c = c.replace(r[0], `>= ${r[1]}, <= ${r[11]} `);
  return {
    groups: c.split('||').map((part) => {
      if (!VALID.test(part)) throw new Error(`improper constraint: ${JSON.stringify(part)}`);
      const comparators = [...part.matchAll(FIND)].map((f) => parseComparator(f[0]));
      return { comparators, includePre: comparators.some((k) => k.con.pre !== '') };
    }),
  };
}

function tilde(v: SemVersion, c: Comparator): boolean {
  if (compareSemver(v, c.con) < 0) return false;
  const { con } = c;
  if (con.major === 0n && con.minor === 0n && con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  return v.major === con.major && (v.minor === con.minor || c.minorDirty);
}

function check(v: SemVersion, c: Comparator): boolean {
  const { con } = c;
  const d = compareSemver(v, con);
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c) : d === 0;
    case '~':
    case '~>':
      return tilde(v, c);
    case '<':
      return d < 0;
    case '>=':
    case '=>':
      return d >= 0;
    case '>':
      if (!c.dirty || (!c.minorDirty && !c.patchDirty && v.major === con.major)) return d > 0;
      if (v.major !== con.major) return v.major > con.major;
      return !c.minorDirty && v.minor > con.minor;
    case '<=':
    case '=<':
      if (!c.dirty) return d <= 0;
      return !(v.major > con.major || (v.major === con.major && v.minor > con.minor && !c.minorDirty));
    case '!=':
      if (c.dirty) {
        if (con.major !== v.major) return true;
        if (c.minorDirty) return false;
        if (con.minor !== v.minor) return true;
        if (c.patchDirty) return (v.pre !== '' || con.pre !== '') && v.pre !== con.pre;
        if (con.patch !== v.patch) return true;
      }
      return d !== 0;
    default: {
      // '^'
      if (d < 0) return false;
      if (con.major > 0n || c.minorDirty) return v.major === con.major;
      if (v.major > 0n) return false;
      if (con.minor > 0n || c.patchDirty) return v.minor === con.minor;
      if (v.minor > 0n) return false;
      return v.patch === con.patch;
    }
  }
}

/**
 * True when `v` satisfies the constraint: some `||` group whose comparators all hold. A prerelease
 * version only counts in a group where some comparator names a prerelease (Masterminds' rule).
 */
export function satisfies(v: SemVersion, c: SemverConstraint): boolean {
  return c.groups.some((g) => (v.pre === '' || g.includePre) && g.comparators.every((k) => check(v, k)));
}
