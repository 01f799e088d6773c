/**
 * The `json-update` edit: sets values in a JSON file by key path, as Kargo's step does.
 * Pure: text in, text out. The file is re-serialised with the indentation it had (two spaces
 * when it had none to copy) and keeps its trailing newline; key order is kept.
 */
import { type EditValue, splitKey, ValueEditError } from './yaml-set.ts';

/** The indentation unit of JSON text: the leading whitespace of its first indented line. */
function indentOf(text: string): string | number {
  const m = /\n([ \t]+)\S/.exec(text);
  return m ? m[1]! : 2;
}

/**
 * Sets each `key` to `value` in JSON `text`, creating missing objects on the way. Throws
 * {@link ValueEditError} for text that is not JSON, a key through a scalar, or an array index
 * past the end.
 */
export function setJsonValues(
  text: string,
  updates: ReadonlyArray<{ key: string; value: EditValue }>,
  file: string,
): { text: string; changed: boolean } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ValueEditError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  let changed = false;
  for (const u of updates) {
    const path = splitKey(u.key);
    if (doc === null || typeof doc !== 'object') {
      throw new ValueEditError(`${file}: the top level is not an object; cannot set "${u.key}"`);
    }
    let node = doc as Record<string, unknown>;
    for (const [i, seg] of path.entries()) {
      const last = i === path.length - 1;
      const at = path.slice(0, i).join('.') || '(top level)';
      if (Array.isArray(node) && !(/^\d+$/.test(seg) && Number(seg) <= node.length)) {
        throw new ValueEditError(
          `${file}: ${at} is a list of ${node.length}; "${seg}" in "${u.key}" is not an index in it`,
        );
      }
      if (last) {
        if (node[seg] !== u.value) {
          node[seg] = u.value;
          changed = true;
        }
        break;
      }
      let next = node[seg];
      if (next === undefined || next === null) {
        next = {};
        node[seg] = next;
      } else if (typeof next !== 'object') {
        throw new ValueEditError(
          `${file}: ${path.slice(0, i + 1).join('.')} is a scalar; cannot set "${u.key}" below it`,
        );
      }
      node = next as Record<string, unknown>;
    }
  }
  if (!changed) return { text, changed: false };
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let out = JSON.stringify(doc, null, indentOf(text));
  if (eol !== '\n') out = out.replaceAll('\n', eol);
  return { text: /\r?\n$/.test(text) ? out + eol : out, changed: true };
}
