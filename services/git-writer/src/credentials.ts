/**
 * git credentials for git-writer: a Project's `kargo.akuity.io/cred-type: git` Secrets, handed to the
 * git CLI through its environment, never through argv, a URL or a log line.
 */
import type { GitCredentials, GitCredentialsLookup } from '@ferry/git-credentials';
import type { RepoCredentials } from '@ferry/store';

/** Where credentials come from: `SecretStore` of @ferry/store, or a fake in tests. */
export interface GitCredentialSource {
  /** The Project's `git` credentials for `repoURL`; undefined when no Secret matches. */
  credentialsFor(project: string, type: 'git', repoURL: string): Promise<RepoCredentials | undefined>;
}

/** The lookup of one Project's git credentials. */
export function projectGitCredentials(source: GitCredentialSource, project: string): GitCredentialsLookup {
  return (repoURL) => source.credentialsFor(project, 'git', repoURL);
}

/** What to do about an authentication failure for `repoURL`: apply a Secret, or fix the one used. */
export function authAdvice(repoURL: string, credentials: GitCredentials | undefined): string {
  return credentials
    ? `the repository refused the credentials of ${credentials.secret ? `Secret "${credentials.secret}"` : 'the repository URL'}; check its username and password (or token) and that they may read and push`
    : `no credentials matched; apply a Secret labelled kargo.akuity.io/cred-type: git with repoURL ${repoURL}`;
}
