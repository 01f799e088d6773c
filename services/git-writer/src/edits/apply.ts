/**
 * Applies one file edit (every kind but `kustomize-set-image`, which core.ts runs) to a work
 * tree. Paths are checked with {@link normaliseEditPath}; the work tree refuses symlinks that
 * lead out. Problems retrying cannot fix are thrown as {@link EditPathError} or
 * {@link ValueEditError}; core.ts turns them into a Failed write.
 */
import type { GitEdit, GitEditOf } from '@ferry/contracts';
import { parse } from 'yaml';
import { EditPathError } from '../errors.ts';
import { normaliseEditPath } from '../paths.ts';
import type { WorkTree } from '../ports.ts';
import { setJsonValues } from './json-set.ts';
import { setYamlValues, ValueEditError } from './yaml-set.ts';

/** The file operations of a work tree that edits use. */
export type FileOps = Pick<WorkTree, 'readFile' | 'writeFile' | 'kind' | 'list' | 'remove' | 'copy'>;

/** What an edit did: whether a file changed, and one line for logs and the write's message. */
export interface AppliedEdit {
  changed: boolean;
  summary: string;
}

/** A path as shown in messages: '.' for the repository root. */
const shown = (p: string) => p || '.';

/** A file path: like a directory path, but the root is not a file. */
function filePath(path: string): string {
  const p = normaliseEditPath(path);
  if (p === '') throw new EditPathError(`path "${path}" names the repository root; give a file path`);
  return p;
}

async function readExisting(tree: FileOps, path: string, what: string): Promise<string> {
  const text = await tree.readFile(path);
  if (text === undefined)
    throw new EditPathError(`no ${what} "${path}"; check the step's path or add the file`);
  return text;
}

async function yamlUpdate(tree: FileOps, e: GitEditOf<'yaml-update'>): Promise<AppliedEdit> {
  const path = filePath(e.path);
  const r = setYamlValues(await readExisting(tree, path, 'file'), e.updates, path);
  if (r.changed) await tree.writeFile(path, r.text);
  const keys = e.updates.map((u) => u.key).join(', ');
  return {
    changed: r.changed,
    summary: r.changed ? `updated ${keys} in ${path}` : `${path} already has ${keys} set`,
  };
}

async function jsonUpdate(tree: FileOps, e: GitEditOf<'json-update'>): Promise<AppliedEdit> {
  const path = filePath(e.path);
  const r = setJsonValues(await readExisting(tree, path, 'file'), e.updates, path);
  if (r.changed) await tree.writeFile(path, r.text);
  const keys = e.updates.map((u) => u.key).join(', ');
  return {
    changed: r.changed,
    summary: r.changed ? `updated ${keys} in ${path}` : `${path} already has ${keys} set`,
  };
}

async function helmUpdateChart(tree: FileOps, e: GitEditOf<'helm-update-chart'>): Promise<AppliedEdit> {
  const dir = normaliseEditPath(e.path);
  const file = dir === '' ? 'Chart.yaml' : `${dir}/Chart.yaml`;
  const text = await readExisting(tree, file, 'chart file');
  const deps = (parse(text) as { dependencies?: Array<{ name?: string; repository?: string }> } | null)
    ?.dependencies;
  const updates = e.charts.map((c) => {
    const i = Array.isArray(deps)
      ? deps.findIndex((d) => d?.name === c.name && d?.repository === c.repository)
      : -1;
    if (i < 0) {
      throw new ValueEditError(
        `${file} has no dependency "${c.name}" from ${c.repository}; add it to Chart.yaml or fix the step's charts`,
      );
    }
    return { key: `dependencies.${i}.version`, value: c.version };
  });
  const r = setYamlValues(text, updates, file);
  if (r.changed) await tree.writeFile(file, r.text);
  const described = e.charts.map((c) => `${c.name}:${c.version}`).join(', ');
  return {
    changed: r.changed,
    summary: r.changed ? `updated ${file} to use ${described}` : `${file} already uses ${described}`,
  };
}

async function fileWrite(tree: FileOps, e: GitEditOf<'file-write'>): Promise<AppliedEdit> {
  const path = filePath(e.path);
  const kind = await tree.kind(path);
  if (kind === 'dir') throw new EditPathError(`"${path}" is a directory; file-write writes files`);
  if (kind === 'file') {
    if (!e.overwrite) {
      throw new EditPathError(
        `"${path}" already exists; set overwrite: true on the file-write step to replace it`,
      );
    }
    if ((await tree.readFile(path)) === e.contents)
      return { changed: false, summary: `${path} already has the contents` };
  }
  await tree.writeFile(path, e.contents);
  return { changed: true, summary: `wrote ${path}` };
}

async function copy(tree: FileOps, e: GitEditOf<'copy'>, source?: FileOps): Promise<AppliedEdit> {
  const from = filePath(e.inPath);
  const to = filePath(e.outPath);
  if (!source && (to === from || to.startsWith(`${from}/`))) {
    throw new EditPathError(`cannot copy "${from}" into itself ("${to}"); give an outPath outside it`);
  }
  const shownFrom = source ? `${e.fromCheckout}/${from}` : from;
  if (!(await (source ?? tree).kind(from)))
    throw new EditPathError(`"${shownFrom}" does not exist; check the step's inPath`);
  await tree.copy(from, to, source as WorkTree | undefined);
  return { changed: true, summary: `copied ${shownFrom} to ${to}` };
}

async function remove(tree: FileOps, e: GitEditOf<'delete'>): Promise<AppliedEdit> {
  const path = filePath(e.path);
  if (!(await tree.kind(path))) {
    if (e.strict) throw new EditPathError(`"${path}" does not exist; nothing to delete`);
    return { changed: false, summary: `${path} does not exist; nothing to delete` };
  }
  await tree.remove(path);
  return { changed: true, summary: `deleted ${path}` };
}

async function clear(tree: FileOps, e: GitEditOf<'git-clear'>): Promise<AppliedEdit> {
  const dir = normaliseEditPath(e.path);
  const kind = await tree.kind(dir);
  if (dir !== '' && kind !== 'dir') throw new EditPathError(`"${dir}" is not a directory; nothing to clear`);
  const names = await tree.list(dir);
  for (const n of names) await tree.remove(dir === '' ? n : `${dir}/${n}`);
  return { changed: names.length > 0, summary: `cleared ${shown(dir)} (${names.length} entries)` };
}

/**
 * Applies one edit; the edit kinds core.ts handles itself are refused. `source` is the work tree
 * a `copy` with `fromCheckout` reads from.
 */
export async function applyFileEdit(
  tree: FileOps,
  edit: Exclude<GitEdit, { kind: 'kustomize-set-image' }>,
  source?: FileOps,
): Promise<AppliedEdit> {
  switch (edit.kind) {
    case 'yaml-update':
      return yamlUpdate(tree, edit);
    case 'json-update':
      return jsonUpdate(tree, edit);
    case 'helm-update-chart':
      return helmUpdateChart(tree, edit);
    case 'file-write':
      return fileWrite(tree, edit);
    case 'copy':
      return copy(tree, edit, source);
    case 'delete':
      return remove(tree, edit);
    case 'git-clear':
      return clear(tree, edit);
    default: {
      const kind: never = edit;
      throw new ValueEditError(`unknown edit kind "${String((kind as { kind: string }).kind)}"`);
    }
  }
}

export { ValueEditError };
