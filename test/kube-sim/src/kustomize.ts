import { parse } from 'yaml';
import { isObject, str } from './json.ts';

/** File names kustomize looks for in a directory, in its order of preference. */
export const KUSTOMIZATION_FILES: readonly string[] = [
  'kustomization.yaml',
  'kustomization.yml',
  'Kustomization',
];

/**
 * The image one kustomize `images:` entry renders: `newName` (else `name`), then `:newTag` and/or
 * `@digest`. Setting both keeps both, as kustomize's image tag updater does.
 */
export function renderImageEntry(entry: {
  name?: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}): string {
  let image = entry.newName || entry.name || '';
  if (entry.newTag) image += `:${entry.newTag}`;
  if (entry.digest) image += `@${entry.digest}`;
  return image;
}

/**
 * The images a kustomization sets through its `images:` entries, in file order. Parsed with the YAML
 * failsafe schema so a tag such as `1.10` stays the string kustomize reads, not the number 1.1.
 */
export function kustomizationImages(text: string): string[] {
  const doc: unknown = parse(text, { schema: 'failsafe' });
  if (doc !== null && doc !== undefined && !isObject(doc))
    throw new Error('kustomization is not a YAML mapping');
  const images = isObject(doc) ? doc.images : undefined;
  if (images === undefined) return [];
  if (!Array.isArray(images)) throw new Error('kustomization images must be a list');
  return images.filter(isObject).map((entry) =>
    renderImageEntry({
      name: str(entry, 'name'),
      newName: str(entry, 'newName'),
      newTag: str(entry, 'newTag'),
      digest: str(entry, 'digest'),
    }),
  );
}
