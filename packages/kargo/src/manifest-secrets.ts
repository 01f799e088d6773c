import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '@ferry/contracts';
import { CREDENTIAL_TYPE_LABEL, CredentialType, isCredentialType } from './credentials.ts';
import { goRegExp } from './patterns.ts';
import { type Ctx, fields, isMap, mapAt, type Obj, strAt, stringMapAt } from './read.ts';

/**
 * A `v1` Secret from a manifest file, its data decoded. Ferry keeps Secrets for what its resources
 * reference (webhook receivers) and for repository credentials (labelled
 * `kargo.akuity.io/cred-type`); the api stores them encrypted and never shows them.
 */
export interface ParsedSecret {
  /** The Project (namespace) the Secret belongs to. */
  project: string;
  /** The Secret's name, as `secretRef.name` gives it. */
  name: string;
  /** Every key with its value as text: `data` decoded from base64, then `stringData` on top, as Kubernetes does. */
  data: Record<string, string>;
  /** `metadata.labels`; absent when the Secret has none. `kargo.akuity.io/cred-type` makes it credentials. */
  labels?: Record<string, string>;
  /** `metadata.annotations`; absent when the Secret has none. */
  annotations?: Record<string, string>;
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
  const labels =
    m.labels === undefined || m.labels === null ? {} : stringMapAt(ctx, m.labels, ['metadata', 'labels']);
  const annotations =
    m.annotations === undefined || m.annotations === null
      ? {}
      : stringMapAt(ctx, m.annotations, ['metadata', 'annotations']);
  const data: Record<string, string> = {};
  // Which of data / stringData each key's value came from, so a problem names the field to fix.
  const source: Record<string, 'data' | 'stringData'> = {};
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
      source[k] = field;
    }
  }
  checkCredentials(ctx, labels, data, source);
  if (project === undefined) return undefined;
  return {
    project,
    name,
    data,
    ...(Object.keys(labels).length > 0 && { labels }),
    ...(Object.keys(annotations).length > 0 && { annotations }),
  };
}

/**
 * Checks a credentials Secret as Kargo reads one (docs "Managing Credentials"): `repoURL`, with
 * `repoURLIsRegex: "true"` a regular expression; `username` and `password`. Ferry takes only username and
 * password credentials so far, so `sshPrivateKey` and cloud-provider keys are refused rather than ignored.
 */
function checkCredentials(
  ctx: Ctx,
  labels: Record<string, string>,
  data: Record<string, string>,
  source: Record<string, 'data' | 'stringData'>,
): void {
  const type = labels[CREDENTIAL_TYPE_LABEL];
  if (type === undefined) return;
  const labelPath = ['metadata', 'labels', CREDENTIAL_TYPE_LABEL];
  if (!isCredentialType(type) && type !== 'generic') {
    ctx.problem(labelPath, `must be one of ${Object.values(CredentialType).join(', ')} or generic`);
    return;
  }
  if (type === 'generic') return;
  const at = (k: string) => [source[k] ?? 'stringData', k];
  const need = (k: string, what: string) => {
    if (data[k] === undefined || data[k] === '') {
      ctx.problem(at(k), `required in a Secret labelled ${CREDENTIAL_TYPE_LABEL}: ${type}: ${what}`);
    }
  };
  need(
    'repoURL',
    'the repository URL these credentials are for (or a regular expression with repoURLIsRegex: "true")',
  );
  const isRegex = data.repoURLIsRegex;
  if (isRegex !== undefined && isRegex !== 'true' && isRegex !== 'false') {
    ctx.problem(at('repoURLIsRegex'), 'must be "true" or "false"');
  }
  if (isRegex === 'true' && data.repoURL) {
    try {
      goRegExp(data.repoURL);
    } catch (e) {
      ctx.problem(at('repoURL'), `invalid regular expression: ${(e as Error).message}`);
    }
  }
  if (data.sshPrivateKey !== undefined) {
    ctx.problem(
      at('sshPrivateKey'),
      'SSH keys are not supported yet by Ferry: use username and password (a token)',
    );
  }
  need('username', 'the user name to authenticate as');
  need('password', 'the password or access token');
}
