/**
 * Repository credentials for the git CLI, shared by warehouse-poller (discovery) and git-writer
 * (clone, push): how they reach git without appearing in argv, a URL or a log line, and which of
 * git's messages mean the server refused them.
 */

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
export const GIT_AUTH_FAILED: readonly RegExp[] = [
  /Authentication failed/i,
  /could not read (Username|Password)/i,
  /returned error: 40[13]/i,
  /terminal prompts disabled/i,
];

/** Whether git's `message` says the server refused the request for want of (valid) credentials. */
export const isGitAuthFailure = (message: string): boolean => GIT_AUTH_FAILED.some((re) => re.test(message));
