import { deepEqual, isObject, type JsonObject } from './json.ts';

/** A patch document that cannot be applied to the target; the message says which operation and path. */
export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

/** RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

type Container = JsonObject | unknown[];

function parsePointer(pointer: unknown, op: string): string[] {
  if (typeof pointer !== 'string' || (pointer !== '' && !pointer.startsWith('/'))) {
    throw new PatchError(`${op} operation has an invalid path: ${JSON.stringify(pointer)}`);
  }
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  return i < length || (allowEnd && i === length) ? i : undefined;
}

/** The container holding the pointer's last token; every step before it must exist. */
function parentOf(doc: unknown, tokens: readonly string[], op: string, pointer: string): Container {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false) ?? -1];
    else if (isObject(node) && Object.hasOwn(node, token)) node = node[token];
    else node = undefined;
    if (node === undefined) break;
  }
  if (!Array.isArray(node) && !isObject(node)) {
    throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`);
  }
  return node;
}

function read(doc: unknown, pointer: unknown, op: string): unknown {
  const tokens = parsePointer(pointer, op);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, op, String(pointer));
  const last = tokens.at(-1) ?? '';
  const value = Array.isArray(parent)
    ? parent[arrayIndex(last, parent.length, false) ?? -1]
    : Object.hasOwn(parent, last)
      ? parent[last]
      : undefined;
  if (value === undefined) {
    throw new PatchError(
      `${op} operation does not apply: doc is missing path: "${String(pointer)}": missing value`,
    );
  }
  return value;
}

function add(doc: unknown, pointer: unknown, value: unknown, op = 'add'): unknown {
  const tokens = parsePointer(pointer, op);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, op, String(pointer));
  const last = tokens.at(-1) ?? '';
  if (!Array.isArray(parent)) {
    parent[last] = value;
    return doc;
  }
  const i = arrayIndex(last, parent.length, true);
  if (i === undefined)
    throw new PatchError(`${op} operation does not apply: index out of range: "${String(pointer)}"`);
  parent.splice(i, 0, value);
  return doc;
}

function remove(doc: unknown, pointer: unknown, op = 'remove'): unknown {
  const tokens = parsePointer(pointer, op);
  read(doc, pointer, op);
  if (tokens.length === 0) return undefined;
  const parent = parentOf(doc, tokens, op, String(pointer));
  const last = tokens.at(-1) ?? '';
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false) ?? -1, 1);
  else delete parent[last];
  return doc;
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test) applied to a copy of `doc`. */
export function applyJsonPatch(doc: unknown, operations: readonly unknown[]): unknown {
  let result = structuredClone(doc);
  for (const operation of operations) {
    if (!isObject(operation)) throw new PatchError('a JSON patch operation must be an object');
    const { op, path, from } = operation;
    const value = structuredClone(operation.value);
    if ((op === 'add' || op === 'replace' || op === 'test') && !Object.hasOwn(operation, 'value')) {
      throw new PatchError(`${op} operation has no value`);
    }
    switch (op) {
      case 'add':
        result = add(result, path, value);
        break;
      case 'remove':
        result = remove(result, path);
        break;
      case 'replace':
        result = add(remove(result, path, 'replace'), path, value, 'replace');
        break;
      case 'move': {
        const moved = read(result, from, 'move');
        result = add(remove(result, from, 'move'), path, moved, 'move');
        break;
      }
      case 'copy':
        result = add(result, path, structuredClone(read(result, from, 'copy')), 'copy');
        break;
      case 'test':
        if (!deepEqual(read(result, path, 'test'), value)) {
          throw new PatchError(`testing value ${String(path)} failed: test failed`);
        }
        break;
      default:
        throw new PatchError(`Unexpected kind: ${String(op)}`);
    }
  }
  return result;
}
