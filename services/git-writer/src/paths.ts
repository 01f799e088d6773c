/**
 * Checks on the paths edits name. Pure: symlinks are checked by the work tree, which sees the
 * file system; here only the spelling of the path is judged.
 */
import { posix } from 'node:path';
import { EditPathError } from './errors.ts';

/** File names kustomize accepts for a kustomization, in the order it looks for them. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/**
 * Normalises an edit's directory, relative to the repository root ('' is the root). Throws
 * {@link EditPathError} for absolute paths, `..` segments, backslashes and the `.git` directory,
 * which could make a write touch files outside the work tree or git's own data.
 */
export function normaliseEditPath(path: string): string {
  const bad = (why: string) =>
    new EditPathError(`path "${path}" ${why}; give a directory relative to the repository root`);
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw bad('is absolute');
  if (path.includes('\\')) throw bad('contains a backslash');
  if (path.includes('\0')) throw bad('contains a NUL character');
  const segments = path.split('/');
  if (segments.includes('..')) throw bad('goes outside the repository (..)');
  if (segments.includes('.git')) throw bad('points into the .git directory');
  const norm = posix.normalize(path === '' ? '.' : path).replace(/\/+$/, '');
  return norm === '.' ? '' : norm;
}

/** The candidate kustomization files of a directory, in kustomize's order. */
export function kustomizationCandidates(dir: string): string[] {
  return KUSTOMIZATION_FILES.map((f) => (dir === '' ? f : `${dir}/${f}`));
}

/**
 * Why a branch name cannot be used (git's `check-ref-format` rules, the ones that matter), or
 * undefined when it is fine. Checked up front so a bad name fails the write instead of making
 * git fail on every redelivery.
 */
export function branchNameProblem(name: string): string | undefined {
  if (name === '' || name === '@') return 'is empty';
  if (name.startsWith('-')) return 'starts with "-"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'has an empty path component';
  if (name.endsWith('.') || name.endsWith('.lock')) return 'ends with "." or ".lock"';
  if (name.includes('..') || name.includes('@{')) return 'contains ".." or "@{"';
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(name))
    return 'contains a space, a control character or one of ~ ^ : ? * [ \\';
  if (name.split('/').some((c) => c.startsWith('.'))) return 'has a component starting with "."';
  return undefined;
}

/**
 * Why a repository URL cannot be used, or undefined. Only what would make git read the URL as
 * something else is refused (an option, a line break); git judges the rest.
 */
export function repoURLProblem(url: string): string | undefined {
  if (url.startsWith('-')) return 'starts with "-"';
  if (/[\s\x00-\x1f]/.test(url)) return 'contains whitespace or a control character';
  return undefined;
}
