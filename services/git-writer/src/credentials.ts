/**
 * git credentials for git-writer: a Project's `kargo.akuity.io/cred-type: git` Secrets, handed to the
 * git CLI through its environment, never through argv, a URL or a log line.
 */
import type { RepoCredentials } from '@ferry/store';

/** A username and password (or token) for a git repository over HTTP(S). */
export interface GitCredentials {
  /** The user name. */
  username: string;
  /** The password or token; never logged, never in argv, URLs or messages. */
  password: string;
  /** The Secret they came from, named in errors; absent when they did not come from a Secret. */
  secret?: string;
}

/** Finds the credentials for a repository URL; undefined means none (anonymous, or credentials in the URL). */
export type GitCredentialsLookup = (repoURL: string) => Promise<GitCredentials | undefined>;

/** Where credentials come from: `SecretStore` of @ferry/store, or a fake in tests. */
export interface GitCredentialSource {
  /** The Project's `git` credentials for `repoURL`; undefined when no Secret matches. */
  credentialsFor(project: string, type: 'git', repoURL: string): Promise<RepoCredentials | undefined>;
}

/** The lookup of one Project's git credentials. */
export function projectGitCredentials(source: GitCredentialSource, project: string): GitCredentialsLookup {
  return (repoURL) => source.credentialsFor(project, 'git', repoURL);
}

/**
 * The environment that hands `credentials` to git: a `credential.helper` given through `GIT_CONFIG_*`
 * variables (after an empty one, which drops helpers from any user config) that prints
 * `FERRY_GIT_USERNAME` / `FERRY_GIT_PASSWORD` from git's own environment. Only the child process sees
 * them. Empty without credentials.
 */
export function gitCredentialEnv(credentials: GitCredentials | undefined): Record<string, string> {
  if (!credentials) return {};
  return {
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'credential.helper',
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: 'credential.helper',
    GIT_CONFIG_VALUE_1:
      '!f() { test "$1" = get && printf "username=%s\\npassword=%s\\n" "$FERRY_GIT_USERNAME" "$FERRY_GIT_PASSWORD"; }; f',
    FERRY_GIT_USERNAME: credentials.username,
    FERRY_GIT_PASSWORD: credentials.password,
  };
}

/** git's messages that mean the server wanted credentials it did not get or did not accept. */
export const AUTH_FAILED: readonly RegExp[] = [
  /Authentication failed/i,
  /could not read (Username|Password)/i,
  /returned error: 40[13]/i,
  /terminal prompts disabled/i,
];

/** What to do about an authentication failure for `repoURL`: apply a Secret, or fix the one used. */
export function authAdvice(repoURL: string, credentials: GitCredentials | undefined): string {
  return credentials
    ? `the repository refused the credentials of ${credentials.secret ? `Secret "${credentials.secret}"` : 'the repository URL'}; check its username and password (or token) and that they may read and push`
    : `no credentials matched; apply a Secret labelled kargo.akuity.io/cred-type: git with repoURL ${repoURL}`;
}
