import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** deploy/kubernetes in this repository. */
export const KUSTOMIZE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/kubernetes');

/** A rendered Kubernetes object, loosely typed: the schema check gives it its shape. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered YAML; each test reads the fields it checks
  [field: string]: any;
}

/**
 * Renders one kustomization (a directory relative to deploy/kubernetes, or absolute) with `kubectl kustomize`. Fails saying how
 * to install kubectl when it is missing, and with kubectl's own message when the build fails.
 */
export function kustomize(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', resolve(KUSTOMIZE_ROOT, dir)], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'kubectl is not installed; it renders deploy/kubernetes (kubectl kustomize): apt-get install kubernetes-client',
    );
  }
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr.trim()}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** Where the schema of an apiVersion/kind lives: kubernetes-models, or a CRD package. */
function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'monitoring.coreos.com')
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
}

/**
 * Validates one object against the OpenAPI schema of its kind, offline. Returns the problem text,
 * or undefined when it is valid. A kind with no schema at hand is a problem too.
 */
export async function schemaProblem(obj: K8sObject): Promise<string | undefined> {
  const where = `${obj.kind}/${obj.metadata?.name}`;
  let Model: new (o: unknown) => { validate(): void };
  try {
    const mod = (await import(modelModule(obj.apiVersion, obj.kind))) as Record<string, typeof Model>;
    const found = mod[obj.kind];
    if (!found) throw new Error(`no export ${obj.kind}`);
    Model = found;
  } catch {
    return `${where}: no schema for ${obj.apiVersion} ${obj.kind} in kubernetes-models or @kubernetes-models/prometheus-operator`;
  }
  try {
    new Model(obj).validate();
    return undefined;
  } catch (err) {
    return `${where}: ${(err as Error).message}`;
  }
}
