/** JSON Schemas shared by the route groups. */

/** `:project` path parameter: a DNS-1123 label, as a Kubernetes namespace. */
export const ProjectParams = {
  type: 'object',
  properties: { project: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 } },
  required: ['project'],
} as const;

/** `:project` and `:name` path parameters. */
export const NamedParams = {
  type: 'object',
  properties: { ...ProjectParams.properties, name: { type: 'string', minLength: 1, maxLength: 253 } },
  required: ['project', 'name'],
} as const;

/** Any Kargo-shaped object (kept open so answers are never stripped of fields). */
export const Obj = { type: 'object', additionalProperties: true } as const;

/** A list answer: `{ items: [...] }`. */
export const List = {
  type: 'object',
  properties: { items: { type: 'array', items: Obj } },
  required: ['items'],
} as const;
