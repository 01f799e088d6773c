/**
 * One servable resource type, as a CustomResourceDefinition names it. The store and the HTTP layer are
 * keyed by this alone, so another kind is one more constant passed to `ObjectStore.register`.
 */
export interface ResourceKind {
  /** API group, e.g. `argoproj.io`. */
  readonly group: string;
  /** Served (and storage) version, e.g. `v1alpha1`. */
  readonly version: string;
  /** Lower-case plural used in URLs, e.g. `applications`. */
  readonly plural: string;
  /** Lower-case singular, reported by discovery. */
  readonly singular: string;
  /** `kind` of one object, e.g. `Application`. */
  readonly kind: string;
  /** `kind` of a list response, e.g. `ApplicationList`. */
  readonly listKind: string;
  /** Short names reported by discovery (`kubectl get app`). */
  readonly shortNames: readonly string[];
}

/** The Argo CD Application CRD (`applications.argoproj.io`): namespaced, no status subresource. */
export const APPLICATIONS: ResourceKind = Object.freeze({
  group: 'argoproj.io',
  version: 'v1alpha1',
  plural: 'applications',
  singular: 'application',
  kind: 'Application',
  listKind: 'ApplicationList',
  shortNames: Object.freeze(['app', 'apps']),
});

/** `group/version`, the `apiVersion` of the kind's objects. */
export function apiVersionOf(kind: ResourceKind): string {
  return `${kind.group}/${kind.version}`;
}

/** `applications.argoproj.io`: how apimachinery names a resource in error messages. */
export function qualifiedResource(kind: ResourceKind): string {
  return `${kind.plural}.${kind.group}`;
}
