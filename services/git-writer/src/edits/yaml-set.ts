/**
 * Setting values in YAML text by key path, for the `yaml-update` and `helm-update-chart` edits.
 *
 * Pure: text in, text out. A value that replaces an existing plain or quoted scalar is spliced
 * into the original text at the range the `yaml` parser reports, in the scalar's own quoting
 * style, so comments and layout stay byte for byte. Anything else (a new key, a block scalar,
 * replacing a map) goes through the `yaml` Document API, which keeps comments and key order.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseAllDocuments,
  parseDocument,
  Scalar,
  stringify,
} from 'yaml';

/** A scalar value an edit sets. */
export type EditValue = string | number | boolean | null;

/** The text cannot be edited as asked; retrying will not help. */
export class ValueEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueEditError';
  }
}

/**
 * Splits a Kargo key path (`image.tag`, `spec.containers.0.image`) into segments. A segment of
 * digits addresses an array item; `\.` keeps a dot inside a key.
 */
export function splitKey(key: string): string[] {
  const parts = key.split(/(?<!\\)\./).map((p) => p.replaceAll('\\.', '.'));
  if (parts.some((p) => p === '')) throw new ValueEditError(`key "${key}" has an empty segment`);
  return parts;
}

/** The new text of a scalar in the quoting style of the one it replaces; undefined when unsafe. */
function renderLike(old: Scalar, value: EditValue): string | undefined {
  if (typeof value !== 'string') {
    // A number, boolean or null goes in plain; in a quoted scalar it would become a string.
    return old.type === Scalar.PLAIN ? String(value) : undefined;
  }
  if (value.includes('\n')) return undefined;
  if (old.type === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
  if (old.type === Scalar.QUOTE_SINGLE) return `'${value.replaceAll("'", "''")}'`;
  if (old.type === Scalar.PLAIN) return stringify(value, { lineWidth: 0 }).trimEnd();
  return undefined;
}

/** Finds the node at `path`, checking each step; returns undefined when the last key is missing. */
function walk(root: Node | null, path: readonly string[], file: string, key: string): Node | undefined {
  let node: Node | null | undefined = root;
  for (const [i, seg] of path.entries()) {
    const at = path.slice(0, i).join('.') || '(top level)';
    if (isMap(node)) node = node.get(seg, true) as Node | undefined;
    else if (isSeq(node)) {
      if (!/^\d+$/.test(seg))
        throw new ValueEditError(`${file}: ${at} is a list; "${seg}" in "${key}" is not an index`);
      node = node.get(Number(seg), true) as Node | undefined;
    } else if (node == null || (isScalar(node) && node.value === null)) return undefined;
    else throw new ValueEditError(`${file}: ${at} is a scalar; cannot set "${key}" below it`);
    if (node === undefined) return undefined;
  }
  return node ?? undefined;
}

/**
 * Sets each `key` to `value` in YAML `text`, in order, creating missing maps on the way.
 * `changed` is false (and `text` the input) when every key already held its value. Throws
 * {@link ValueEditError} when the text is not YAML or a key runs through a scalar or past a list.
 */
export function setYamlValues(
  text: string,
  updates: ReadonlyArray<{ key: string; value: EditValue }>,
  file: string,
): { text: string; changed: boolean } {
  const all = parseAllDocuments(text, { prettyErrors: false });
  if (Array.isArray(all) && all.length > 1) return setInDocuments(text, all, updates, file);
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors[0]) throw new ValueEditError(`${file} is not valid YAML: ${doc.errors[0].message}`);
  const splices: Array<{ start: number; end: number; text: string }> = [];
  let structural = false;
  let changed = false;
  for (const u of updates) {
    const path = splitKey(u.key);
    const node = walk(doc.contents as Node | null, path, file, u.key);
    if (isScalar(node) && node.value === u.value) continue;
    changed = true;
    const rendered = isScalar(node) && node.range ? renderLike(node, u.value) : undefined;
    if (isScalar(node) && rendered !== undefined && !structural) {
      splices.push({ start: node.range![0], end: node.range![1], text: rendered });
      node.value = u.value;
      continue;
    }
    structural = true;
    const keys = path.map((p, i) =>
      isSeq(walk(doc.contents as Node | null, path.slice(0, i), file, u.key)) ? Number(p) : p,
    );
    doc.setIn(keys, u.value);
  }
  if (!changed) return { text, changed: false };
  if (!structural) {
    let out = text;
    for (const s of splices.sort((a, b) => b.start - a.start))
      out = out.slice(0, s.start) + s.text + out.slice(s.end);
    // The splice is trusted only when it parses to exactly what the Document API would make.
    if (isDeepStrictEqual(parseDocument(out).toJS(), doc.toJS())) return { text: out, changed: true };
  }
  return { text: doc.toString({ lineWidth: 0 }), changed: true };
}

/**
 * {@link setYamlValues} for a file of several documents: each key is set in the first document
 * that has it, by splicing the scalar in place; nothing is ever re-rendered, so markers (`---`,
 * `...`) and every other document stay byte for byte. A key no document has, or a value that
 * cannot be spliced, is refused.
 */
function setInDocuments(
  text: string,
  docs: Document.Parsed[],
  updates: ReadonlyArray<{ key: string; value: EditValue }>,
  file: string,
): { text: string; changed: boolean } {
  for (const d of docs) {
    if (d.errors[0]) throw new ValueEditError(`${file} is not valid YAML: ${d.errors[0].message}`);
  }
  const splices: Array<{ start: number; end: number; text: string }> = [];
  let changed = false;
  for (const u of updates) {
    const path = splitKey(u.key);
    let node: Node | undefined;
    for (const d of docs) {
      node = walk(d.contents as Node | null, path, file, u.key);
      if (node !== undefined) break;
    }
    if (node === undefined) {
      throw new ValueEditError(
        `${file} holds ${docs.length} YAML documents and none has "${u.key}"; Ferry adds keys to single-document files only, so add the key by hand first`,
      );
    }
    if (isScalar(node) && node.value === u.value) continue;
    const rendered = isScalar(node) && node.range ? renderLike(node, u.value) : undefined;
    if (!isScalar(node) || rendered === undefined) {
      throw new ValueEditError(
        `${file} holds ${docs.length} YAML documents; "${u.key}" is not a plain or quoted scalar Ferry can replace in place there`,
      );
    }
    changed = true;
    splices.push({ start: node.range![0], end: node.range![1], text: rendered });
    node.value = u.value;
  }
  if (!changed) return { text, changed: false };
  let out = text;
  for (const sp of splices.sort((a, b) => b.start - a.start))
    out = out.slice(0, sp.start) + sp.text + out.slice(sp.end);
  const again = parseAllDocuments(out);
  if (
    !Array.isArray(again) ||
    !isDeepStrictEqual(
      again.map((d) => d.toJS()),
      docs.map((d) => d.toJS()),
    )
  ) {
    throw new ValueEditError(
      `${file}: setting ${updates.map((u) => u.key).join(', ')} in place would change more than the values; edit the file by hand`,
    );
  }
  return { text: out, changed: true };
}
