/**
 * The `kustomize-set-image` edit: points `images:` entries of a kustomization at new image
 * revisions, as `kustomize edit set image` and Kargo's step of the same name do.
 *
 * Pure: text in, text out. The YAML is parsed with the `yaml` Document API and the images
 * seq is modified in place; the new text is then made by splicing only the changed fields
 * into the original text at the source ranges the parser reports, so comments, key order,
 * quoting, blank lines and spacing elsewhere stay byte for byte.
 */
import { isDeepStrictEqual } from 'node:util';
import type { GitEditOf } from '@ferry/contracts';
import {
  Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseDocument,
  Scalar,
  YAMLMap,
  YAMLSeq,
} from 'yaml';

/** One requested image change: the `images:` entry `name`, and what to set on it. */
export type ImageUpdate = GitEditOf<'kustomize-set-image'>['images'][number];

/** What {@link setKustomizeImages} did. */
export interface KustomizeEditResult {
  /** The new file text; byte-identical to the input when `changed` is false. */
  text: string;
  /** Whether any field changed. */
  changed: boolean;
  /** One line for logs and messages, e.g. `updated apps/dev/kustomization.yaml to use image app:1.2.0`. */
  summary: string;
}

/** The kustomization or the requested images cannot be edited; retrying will not help. */
export class KustomizeEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KustomizeEditError';
  }
}

/** A replacement of `text[start, end)`. */
interface Splice {
  start: number;
  end: number;
  text: string;
}

/** Shared state of one edit: the original text and the splices made so far. */
interface EditContext {
  text: string;
  eol: string;
  splices: Splice[];
  /** Set when a construct is too unusual to splice; the whole document is re-rendered instead. */
  fallback: boolean;
}

type Field = 'newName' | 'newTag' | 'digest';

/**
 * Sets images in a kustomization's text. For each image: the `images:` entry whose `name`
 * matches gets `newName` when given, `newTag` when given (removing `digest`) or `digest` when
 * given (removing `newTag`); an entry is added at the end of the list when none matches, and
 * the `images:` key is created when missing. `file` only names the file in the summary.
 * Throws {@link KustomizeEditError} when the text is not a YAML mapping, `images` is not a
 * list, or an image asks for nothing or for both a tag and a digest.
 */
export function setKustomizeImages(
  text: string,
  images: readonly ImageUpdate[],
  file = 'kustomization.yaml',
): KustomizeEditResult {
  const updates = normalise(images);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  // Splicing works line by line; a last line without its newline gets one (only in changed output).
  const base = text === '' || text.endsWith('\n') ? text : text + eol;
  const doc = parseDocument(base, { prettyErrors: false });
  const parseError = doc.errors[0];
  if (parseError) throw new KustomizeEditError(`${file} is not valid YAML: ${parseError.message}`);
  const ctx: EditContext = { text: base, eol, splices: [], fallback: false };

  const root = doc.contents as Node | null;
  if (root !== null && !isMap(root) && !(isScalar(root) && root.value === null)) {
    throw new KustomizeEditError(`${file} is not a kustomization: its top level is not a mapping`);
  }
  const rootMap = isMap(root) ? root : undefined;
  const imagesPair = rootMap?.items.find((p) => keyOf(p) === 'images');
  const imagesNode = imagesPair?.value as Node | null | undefined;
  if (imagesNode != null && !isSeq(imagesNode) && !(isScalar(imagesNode) && imagesNode.value === null)) {
    throw new KustomizeEditError(`${file}: "images" is not a list`);
  }
  const seq = isSeq(imagesNode) ? imagesNode : undefined;
  seq?.items.forEach((item, i) => {
    if (!isMap(item)) throw new KustomizeEditError(`${file}: images[${i}] is not a mapping`);
  });

  const changedRefs: string[] = [];
  const allRefs: string[] = [];
  const newEntries: YAMLMap[] = [];
  for (const u of updates) {
    const entry = seq?.items.find(
      (item) => isMap(item) && scalarText(item.get('name', true), file, 'name') === u.name,
    ) as YAMLMap | undefined;
    let changed: boolean;
    let state: YAMLMap;
    if (entry) {
      changed = editEntry(ctx, entry, fieldOps(u), file);
      state = entry;
    } else {
      state = new YAMLMap();
      state.set('name', u.name);
      for (const [k, v] of fieldOps(u)) if (v !== undefined) state.set(k, v);
      newEntries.push(state);
      changed = true;
    }
    const ref = imageRef(state);
    allRefs.push(ref);
    if (changed) changedRefs.push(ref);
  }

  const plural = (refs: string[]) => `image${refs.length > 1 ? 's' : ''} ${refs.join(', ')}`;
  if (changedRefs.length === 0)
    return { text, changed: false, summary: `${file} already uses ${plural(allRefs)}` };

  if (newEntries.length > 0) addEntries(ctx, doc, rootMap, imagesPair, seq, newEntries);
  const summary = `updated ${file} to use ${plural(changedRefs)}`;
  const expected = doc.toJS();
  if (!ctx.fallback) {
    const spliced = applySplices(base, ctx.splices);
    const check = parseDocument(spliced);
    if (check.errors.length === 0 && isDeepStrictEqual(check.toJS(), expected)) {
      return { text: spliced, changed: true, summary };
    }
  }
  // Re-rendering keeps comments and key order but may respace lines; it is the safety net for
  // layouts the splicer does not know, never the normal path.
  const rendered = doc.toString({ lineWidth: 0, indentSeq: seqIsIndented(text, doc) });
  return { text: rendered, changed: true, summary };
}

/** Merges updates of the same name (the later one wins, as Kargo keys them by name) and checks them. */
function normalise(images: readonly ImageUpdate[]): ImageUpdate[] {
  const byName = new Map<string, ImageUpdate>();
  for (const img of images) {
    const u: ImageUpdate = { name: img.name };
    if (img.newName) u.newName = img.newName;
    if (img.newTag) u.newTag = img.newTag;
    if (img.digest) u.digest = img.digest;
    if (!u.name) throw new KustomizeEditError('an image has an empty name');
    if (u.newTag && u.digest) {
      throw new KustomizeEditError(`image "${u.name}": newTag and digest are mutually exclusive; give one`);
    }
    if (!u.newName && !u.newTag && !u.digest) {
      throw new KustomizeEditError(`image "${u.name}": nothing to set; give newName, newTag or digest`);
    }
    byName.delete(u.name);
    byName.set(u.name, u);
  }
  return [...byName.values()];
}

/** The field changes of one update, in the order a new entry lists them; undefined = remove. */
function fieldOps(u: ImageUpdate): Array<[Field, string | undefined]> {
  const ops: Array<[Field, string | undefined]> = [];
  if (u.newName) ops.push(['newName', u.newName]);
  if (u.digest) ops.push(['digest', u.digest], ['newTag', undefined]);
  else if (u.newTag) ops.push(['newTag', u.newTag], ['digest', undefined]);
  return ops;
}

/** The image reference an entry resolves to, for the summary. */
function imageRef(entry: YAMLMap): string {
  const get = (k: string) => {
    const v = entry.get(k);
    return v === null || v === undefined ? '' : String(v);
  };
  const name = get('newName') || get('name');
  const digest = get('digest');
  const tag = get('newTag');
  return digest ? `${name}@${digest}` : tag ? `${name}:${tag}` : name;
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

/** A scalar's value as the string kustomize would read; throws for collections. */
function scalarText(node: unknown, file: string, what: string): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (!isScalar(node))
    throw new KustomizeEditError(`${file}: an images entry's ${what} is not a plain value`);
  return node.value === null ? '' : String(node.value);
}

/** Applies field changes to an existing entry, recording splices; true when anything changed. */
function editEntry(
  ctx: EditContext,
  entry: YAMLMap,
  ops: Array<[Field, string | undefined]>,
  file: string,
): boolean {
  const { text } = ctx;
  let changed = false;
  const inserts: string[] = [];
  const original = [...entry.items];
  // A flow entry keeps its spelling when only values change in place; adding or removing a
  // field re-renders it (on one line).
  const inPlace: Splice[] = [];
  let rerender = false;
  for (const [key, value] of ops) {
    const pair = entry.items.find((p) => keyOf(p) === key);
    if (value === undefined) {
      if (!pair) continue;
      changed = true;
      rerender = true;
      if (!entry.flow) deletePair(ctx, original, pair);
      entry.delete(key);
      continue;
    }
    if (pair) {
      const current = scalarText(pair.value, file, key);
      if (current === value) continue;
      changed = true;
      const node = pair.value as Scalar;
      if (entry.flow && !node.range) rerender = true;
      else {
        const [start, end] = node.range ?? [0, 0];
        const rendered = renderScalar(value, node.type);
        // An empty value (`newTag:`) has an empty range right after the colon.
        (entry.flow ? inPlace : ctx.splices).push({
          start,
          end,
          text: start === end && text[start - 1] === ':' ? ` ${rendered}` : rendered,
        });
      }
      node.value = value;
      continue;
    }
    changed = true;
    rerender = true;
    inserts.push(`${key}: ${renderScalar(value)}`);
    entry.set(key, value);
  }
  if (!changed) return false;
  if (entry.flow && !rerender) ctx.splices.push(...inPlace);
  else if (entry.flow) {
    const [start, end] = entry.range ?? [0, 0];
    ctx.splices.push({ start, end, text: renderNode(entry) });
  } else if (inserts.length > 0) {
    const last = original[original.length - 1];
    const first = original[0];
    if (!last || !first || !isNodeWithRange(first.key)) {
      ctx.fallback = true;
      return true;
    }
    const indent = ' '.repeat(column(text, first.key.range[0]));
    const at = lineEnd(text, pairEnd(last));
    ctx.splices.push({ start: at, end: at, text: inserts.map((l) => indent + l + ctx.eol).join('') });
  }
  return true;
}

/** Records the removal of a pair from a block map. */
function deletePair(ctx: EditContext, pairs: readonly Pair[], pair: Pair): void {
  const { text } = ctx;
  if (!isNodeWithRange(pair.key)) {
    ctx.fallback = true;
    return;
  }
  const keyStart = pair.key.range[0];
  const ls = lineStart(text, keyStart);
  if (/^[ \t]*$/.test(text.slice(ls, keyStart))) {
    ctx.splices.push({ start: ls, end: lineEnd(text, pairEnd(pair)), text: '' });
    return;
  }
  // The pair shares its line with the entry's dash (`- digest: …`): pull the next key up.
  const next = pairs[pairs.indexOf(pair) + 1];
  if (!next || !isNodeWithRange(next.key)) {
    ctx.fallback = true;
    return;
  }
  ctx.splices.push({ start: keyStart, end: next.key.range[0], text: '' });
}

/** Adds new entries to the images list, creating it (or the key) when needed. */
function addEntries(
  ctx: EditContext,
  doc: Document,
  rootMap: YAMLMap | undefined,
  imagesPair: Pair | undefined,
  seq: YAMLSeq | undefined,
  entries: YAMLMap[],
): void {
  const { text, eol } = ctx;
  const blockLines = (prefix: string) =>
    entries
      .map((e) =>
        e.items
          .map((p, i) => {
            const line = `${keyOf(p)}: ${renderScalar(String(isScalar(p.value) ? p.value.value : p.value))}`;
            return (i === 0 ? prefix : ' '.repeat(prefix.length)) + line + eol;
          })
          .join(''),
      )
      .join('');

  if (seq && seq.items.length > 0) {
    for (const e of entries) seq.add(e);
    if (seq.flow) {
      const [start, end] = seq.range ?? [0, 0];
      ctx.splices.push({ start, end, text: renderNode(seq) });
      return;
    }
    const first = seq.items[0] as YAMLMap;
    const last = seq.items[seq.items.length - entries.length - 1] as YAMLMap;
    const firstStart = first.range?.[0] ?? 0;
    const prefix = text.slice(lineStart(text, firstStart), firstStart);
    if (!/^ *- +$/.test(prefix) || !last.range) {
      ctx.fallback = true;
      return;
    }
    const at = lineEnd(text, last.range[1]);
    ctx.splices.push({ start: at, end: at, text: blockLines(prefix) });
    return;
  }

  if (imagesPair) {
    // `images:`, `images: ~` or `images: []`: replace the empty value with a block list.
    const list = new YAMLSeq();
    for (const e of entries) list.add(e);
    const value = imagesPair.value as Node;
    imagesPair.value = list;
    if (!rootMap || rootMap.flow || !isNodeWithRange(imagesPair.key) || !value.range) {
      ctx.fallback = true;
      return;
    }
    const keyEnd = imagesPair.key.range[1];
    const between = text.slice(keyEnd, value.range[0]);
    if (!/^[ \t]*:[ \t]*$/.test(between)) {
      ctx.fallback = true;
      return;
    }
    const keyCol = column(text, imagesPair.key.range[0]);
    const prefix = `${' '.repeat(keyCol + seqIndent(text, rootMap))}- `;
    const end = value.range[1];
    const rest = lineEnd(text, end);
    // Only the value's own text goes; anything after it on the line (a comment) is kept after the list.
    const tail = text.slice(end, rest).trim() === '' ? rest : end;
    ctx.splices.push({ start: keyEnd, end: tail, text: `:${eol}${blockLines(prefix)}` });
    return;
  }

  const list = new YAMLSeq();
  for (const e of entries) list.add(e);
  if (!rootMap) {
    doc.contents = new YAMLMap() as never;
    (doc.contents as unknown as YAMLMap).set('images', list);
    ctx.splices.push({ start: text.length, end: text.length, text: `images:${eol}${blockLines('- ')}` });
    return;
  }
  rootMap.set('images', list);
  const firstKey = rootMap.items[0]?.key;
  const last = rootMap.items[rootMap.items.length - 2];
  if (rootMap.flow || !last || !isNodeWithRange(firstKey)) {
    ctx.fallback = true;
    return;
  }
  const keyCol = column(text, firstKey.range[0]);
  const at = lineEnd(text, pairEnd(last));
  const prefix = `${' '.repeat(keyCol + seqIndent(text, rootMap))}- `;
  ctx.splices.push({ start: at, end: at, text: `${' '.repeat(keyCol)}images:${eol}${blockLines(prefix)}` });
}

/** How far block lists are indented under their key in this file (0 = kustomize's own style). */
function seqIndent(text: string, map: YAMLMap): number {
  for (const p of map.items) {
    if (isSeq(p.value) && !p.value.flow && p.value.items.length > 0 && isNodeWithRange(p.key)) {
      const item = p.value.items[0] as Node;
      if (!item.range) continue;
      const ls = lineStart(text, item.range[0]);
      const dash = text.indexOf('-', ls);
      if (dash >= 0 && dash < item.range[0]) return Math.max(0, dash - ls - column(text, p.key.range[0]));
    }
  }
  return 0;
}

function seqIsIndented(text: string, doc: Document): boolean {
  return isMap(doc.contents) ? seqIndent(text, doc.contents) > 0 : false;
}

/** Renders a scalar in the given style when it can keep it, otherwise quoted as YAML needs. */
function renderScalar(value: string, type?: Scalar['type']): string {
  const s = new Scalar(value);
  if (type && type !== 'BLOCK_FOLDED' && type !== 'BLOCK_LITERAL') s.type = type;
  return new Document(s).toString({ lineWidth: 0 }).replace(/\r?\n$/, '');
}

/** Renders a flow collection on one line; its comments stay where they are in the text. */
function renderNode(node: YAMLMap | YAMLSeq): string {
  const copy = node.clone();
  copy.comment = null;
  copy.commentBefore = null;
  return new Document(copy).toString({ lineWidth: 0 }).replace(/\r?\n$/, '');
}

function isNodeWithRange(node: unknown): node is Node & { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && Array.isArray((node as Node).range);
}

/** Where a pair's value (or its key, when the value is empty) ends in the text. */
function pairEnd(pair: Pair): number {
  const v = pair.value as Node | null;
  if (v?.range) return v.range[1];
  return isNodeWithRange(pair.key) ? pair.key.range[1] : 0;
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

/** The position just after the line holding `pos` (or `pos` when it already starts a line). */
function lineEnd(text: string, pos: number): number {
  if (pos > 0 && text[pos - 1] === '\n') return pos;
  const i = text.indexOf('\n', pos);
  return i === -1 ? text.length : i + 1;
}

function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

function applySplices(text: string, splices: Splice[]): string {
  // Right to left so earlier offsets stay valid; at one offset, removals go before insertions.
  const sorted = [...splices].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const s of sorted) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}
