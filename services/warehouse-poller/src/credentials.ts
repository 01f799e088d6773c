/**
 * Discovery with a Project's credentials: the registry client, git and Helm ports bound to one Project,
 * asking its credential Secrets (`kargo.akuity.io/cred-type`) per repository.
 */
import { CREDENTIAL_TYPE_LABEL, type CredentialType } from '@ferry/kargo';
import type { ImagePlatform, RegistryCallOptions, RegistryCredentials } from '@ferry/registry';
import type { RepoCredentials } from '@ferry/store';
import type { RegistryPort, RegistryPortOptions } from './discover.ts';
import type { GitDiscoverer } from './git.ts';
import type { ChartCredentialsLookup } from './helm.ts';

/** Where credentials come from: `SecretStore` of @ferry/store, or a fake in tests. */
export interface CredentialSource {
  /** The Project's credentials of `type` for `repoURL`; undefined when no Secret matches. */
  credentialsFor(
    project: string,
    type: CredentialType,
    repoURL: string,
  ): Promise<RepoCredentials | undefined>;
}

/** The registry calls discovery makes, with per-call options (the real `RegistryClient`). */
export interface RegistryCalls {
  listTags(repoURL: string, call?: RegistryCallOptions): Promise<string[]>;
  resolveTag(repoURL: string, tag: string, call?: RegistryCallOptions): Promise<{ digest: string }>;
  getImageInfo(
    repoURL: string,
    reference: string,
    platform?: ImagePlatform,
    call?: RegistryCallOptions,
  ): Promise<{ digest: string; created?: string }>;
}

/** What an authentication error advises when Project `project` has no credentials for `repoURL`. */
export function missingCredentialsHint(project: string, type: CredentialType, repoURL: string): string {
  return (
    `no credentials matched in project "${project}"; apply a Secret labelled ${CREDENTIAL_TYPE_LABEL}: ${type} ` +
    `with repoURL ${repoURL} (ferry apply), or add the registry to FERRY_REGISTRY_AUTH_FILE`
  );
}

/**
 * The registry port for one Project: every call asks the Project's credentials of `type` (`image`, or
 * `helm` for OCI charts) for its repository; without a match the client falls back to its own provider
 * (the docker config file), and a 401 names the Secret to apply.
 */
export function projectRegistry(
  client: RegistryCalls,
  source: CredentialSource,
  project: string,
  type: CredentialType = 'image',
): RegistryPort {
  const call = (repoURL: string, opts: RegistryPortOptions | undefined): RegistryCallOptions => ({
    credentials: async (): Promise<RegistryCredentials | undefined> => {
      const c = await source.credentialsFor(project, type, repoURL);
      return c ? { username: c.username, password: c.password } : undefined;
    },
    missingCredentialsHint: missingCredentialsHint(project, type, repoURL),
    ...(opts?.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
  });
  return {
    listTags: (repoURL, opts) => client.listTags(repoURL, call(repoURL, opts)),
    resolveTag: (repoURL, tag, opts) => client.resolveTag(repoURL, tag, call(repoURL, opts)),
    getImageInfo: (repoURL, reference, platform, opts) =>
      client.getImageInfo(repoURL, reference, platform, call(repoURL, opts)),
  };
}

/** The git discoverer for one Project: ls-remote and fetch carry the Project's `git` credentials. */
export function projectGit(git: GitDiscoverer, source: CredentialSource, project: string): GitDiscoverer {
  return (sub, ctx) =>
    git(sub, {
      ...ctx,
      credentials: async (repoURL) => source.credentialsFor(project, 'git', repoURL),
    });
}

/** The `helm` credentials of one Project, for HTTP(S) chart repositories. */
export function projectChartCredentials(source: CredentialSource, project: string): ChartCredentialsLookup {
  return async (repoURL) => {
    const c = await source.credentialsFor(project, 'helm', repoURL);
    return c ? { username: c.username, password: c.password } : undefined;
  };
}
