/**
 * An in-memory stand-in for the file half of a work tree, for pure tests of edits.
 * Files live in a Map keyed by repository-relative path; directories exist implicitly.
 */
import type { FileOps } from '../edits/apply.ts';

const under = (dir: string, p: string) => dir === '' || dir === '.' || p.startsWith(`${dir}/`);
const strip = (p: string) => (p === '.' ? '' : p);

/** The files behind each memory work tree, so a copy can read another one. */
const backing = new WeakMap<object, Map<string, string>>();

/** File operations over `files` (changed in place). */
export function memoryFiles(files: Map<string, string>): FileOps {
  const kind = async (p: string) => {
    const n = strip(p);
    if (files.has(n)) return 'file' as const;
    return [...files.keys()].some((k) => under(n, k)) ? ('dir' as const) : undefined;
  };
  const ops: FileOps = {
    readFile: async (p) => files.get(strip(p)),
    writeFile: async (p, t) => {
      files.set(strip(p), t);
    },
    kind,
    list: async (d) => {
      const n = strip(d);
      const names = new Set<string>();
      for (const k of files.keys()) {
        if (!under(n, k)) continue;
        const name = (n === '' ? k : k.slice(n.length + 1)).split('/')[0]!;
        if (name !== '.git') names.add(name);
      }
      return [...names].sort();
    },
    remove: async (p) => {
      const n = strip(p);
      for (const k of [...files.keys()]) if (k === n || under(n, k)) files.delete(k);
    },
    copy: async (from, to, source) => {
      const src = source ? backing.get(source) : files;
      if (!src) throw new Error('copy: the source is not a memory work tree');
      const f = strip(from);
      const t = strip(to);
      const entries = [...src];
      const k = src.has(f) ? 'file' : 'dir';
      for (const key of [...files.keys()]) if (key === t || under(t, key)) files.delete(key);
      if (k === 'file') files.set(t, src.get(f)!);
      else for (const [key, v] of entries) if (under(f, key)) files.set(`${t}/${key.slice(f.length + 1)}`, v);
    },
  };
  backing.set(ops, files);
  return ops;
}
