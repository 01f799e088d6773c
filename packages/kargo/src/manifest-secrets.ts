import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '@ferry/contracts';
import { type Ctx, fields, isMap, mapAt, type Obj, strAt } from './read.ts';

/**
 * A `v1` Secret from a manifest file, its data decoded. Ferry keeps Secrets only for what its
 * resources reference (webhook receivers); the api stores them encrypted and never shows them.
 */
export interface ParsedSecret {
  /** The Project (namespace) the Secret belongs to. */
  project: string;
  /** The Secret's name, as `secretRef.name` gives it. */
  name: string;
  /** Every key with its value as text: `data` decoded from base64, then `stringData` on top, as Kubernetes does. */
  data: Record<string, string>;
}

/** A Secret data key, as Kubernetes allows them. */
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Reads a `v1` Secret, recording problems in `ctx`; undefined when it names no Project. */
export function readSecret(ctx: Ctx, raw: Obj, defaultProject: string | undefined): ParsedSecret | undefined {
  fields(ctx, raw, [], 'apiVersion kind metadata type data stringData immutable');
  const m = mapAt(ctx, raw.metadata, ['metadata'], 'the name of the Secret') ?? {};
  fields(ctx, m, ['metadata'], 'name namespace labels annotations');
  const name = strAt(ctx, m.name, ['metadata', 'name'], 'the name of the Secret') ?? '';
  if (name && !DNS1123_SUBDOMAIN.test(name)) ctx.problem(['metadata', 'name'], 'must be a Secret name');
  const ns = strAt(ctx, m.namespace, ['metadata', 'namespace']) || undefined;
  if (ns !== undefined && defaultProject !== undefined && ns !== defaultProject) {
    ctx.problem(['metadata', 'namespace'], `is "${ns}" but the project given is "${defaultProject}"`);
  }
  const project = ns ?? defaultProject;
  if (project === undefined) {
    ctx.problem(['metadata', 'namespace'], 'required: the Project this Secret belongs to');
  } else if (!DNS1123_LABEL.test(project)) ctx.problem(['metadata', 'namespace'], 'must be a Project name');
  const data: Record<string, string> = {};
  for (const field of ['data', 'stringData'] as const) {
    const map = raw[field] === undefined || raw[field] === null ? {} : raw[field];
    if (!isMap(map)) {
      ctx.problem([field], 'must be a mapping of keys to values');
      continue;
    }
    for (const [k, v] of Object.entries(map)) {
      if (!DATA_KEY.test(k)) ctx.problem([field, k], 'must be letters, digits, "-", "_" or "."');
      if (typeof v !== 'string') {
        ctx.problem([field, k], 'must be a string');
        continue;
      }
      if (field === 'data' && !BASE64.test(v.replace(/\s/g, ''))) {
        ctx.problem([field, k], 'must be base64 (use stringData for plain text)');
        continue;
      }
      data[k] = field === 'data' ? Buffer.from(v, 'base64').toString('utf8') : v;
    }
  }
  return project === undefined ? undefined : { project, name, data };
}
