/**
 * Repository credentials as Kargo finds them (`pkg/credentials/kubernetes/database.go` and the docs'
 * "Managing Credentials"): Secrets labelled `kargo.akuity.io/cred-type` in the Project, matched by type
 * and repository URL.
 */
import { goRegExp } from './patterns.ts';
import { normalizeChart, normalizeGit, normalizeImage } from './urls.ts';

/** The label that makes a Secret repository credentials, Kargo's `kargo.akuity.io/cred-type`. */
export const CREDENTIAL_TYPE_LABEL = 'kargo.akuity.io/cred-type';

/** The kinds of repository credentials: the values of {@link CREDENTIAL_TYPE_LABEL} that hold a repoURL. */
export const CredentialType = {
  /** Git repositories (warehouse-poller's git discovery, git-writer's clone, fetch and push). */
  git: 'git',
  /** Helm chart repositories (HTTP(S) or OCI). */
  helm: 'helm',
  /** Container image repositories. */
  image: 'image',
} as const;
/** One of {@link CredentialType}. */
export type CredentialType = (typeof CredentialType)[keyof typeof CredentialType];

/** True when `value` is a {@link CredentialType}. */
export function isCredentialType(value: string): value is CredentialType {
  return Object.values(CredentialType).includes(value as CredentialType);
}

/** The non-secret part of a credentials Secret: what the lookup matches on. */
export interface CredentialCandidate {
  /** The Secret's name; candidates are tried in lexical order of it, as Kargo does. */
  name: string;
  /** The Secret's `repoURL`: a URL, or a regular expression when `isRegex`. */
  repoURL: string;
  /** The Secret's `repoURLIsRegex` is `"true"`. */
  isRegex: boolean;
}

/** A repository URL in the normal form Kargo compares for a credential type. */
export function normalizeCredentialURL(type: CredentialType, repoURL: string): string {
  switch (type) {
    case CredentialType.git:
      return normalizeGit(repoURL);
    case CredentialType.image:
      return normalizeImage(repoURL);
    case CredentialType.helm:
      return normalizeChart(repoURL);
  }
}

/**
 * The candidate whose credentials apply to `repoURL`, or undefined. As Kargo documents it: first the
 * Secrets without `repoURLIsRegex` whose normalised `repoURL` equals the normalised URL, then the regex
 * ones whose expression matches the URL as given or normalised (it cannot be normalised itself); each pass
 * in lexical order of Secret name. A regular expression that does not compile is skipped (apply refuses
 * those, so only a Secret stored by an older Ferry can have one).
 */
export function selectCredentials(
  candidates: readonly CredentialCandidate[],
  type: CredentialType,
  repoURL: string,
): CredentialCandidate | undefined {
  const sorted = [...candidates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const wanted = normalizeCredentialURL(type, repoURL);
  const exact = sorted.find((c) => !c.isRegex && normalizeCredentialURL(type, c.repoURL) === wanted);
  if (exact) return exact;
  return sorted.find((c) => {
    if (!c.isRegex) return false;
    try {
      const re = goRegExp(c.repoURL);
      return re.test(repoURL) || re.test(wanted);
    } catch {
      return false;
    }
  });
}

/**
 * True when credentials may be sent for `repoURL`: Kargo refuses them for `http://` URLs; Ferry allows
 * plain HTTP only to loopback hosts (a local registry or git server), as its registry client does.
 */
export function credentialsAllowedFor(repoURL: string): boolean {
  const m = /^http:\/\/(?:[^/@]*@)?(\[[^\]]*\]|[^/:?#]*)/i.exec(repoURL.trim());
  if (!m) return true;
  const host = m[1]!.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
