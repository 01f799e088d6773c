/**
 * @ferry/cli: the `ferry` command line. `run` executes it in-process (tests and e2e tests call it
 * with their own streams and environment); `main.ts` wires it to the real process.
 */
export type { ApplyRequest, ApplyResponse, ApplyResult } from './apply.ts';
export { APPLY_USAGE, formatResult } from './apply.ts';
export { DEFAULT_SERVER, run, USAGE, VERSION } from './cli.ts';
export type { CompletionSpec } from './completion.ts';
export { COMPLETION_USAGE, completionScript, Shell } from './completion.ts';
export type { CliIo, TextSink } from './context.ts';
export type { CreateFreightRequest } from './create.ts';
export { CREATE_USAGE } from './create.ts';
export type { ApiErrorBody, ApiProblem } from './errors.ts';
export { ApiError, UnreachableError, UsageError } from './errors.ts';
export type { Output, OutputOptions } from './format.ts';
export {
  formatAge,
  formatSeconds,
  OutputFormat,
  OutputKind,
  parseDuration,
  parseOutput,
  parseOutputSync,
  renderData,
  renderTable,
  shortId,
  toJson,
  toYaml,
} from './format.ts';
export { GET_USAGE, KIND_ALIASES, ResourceKind } from './get.ts';
export type { ApiClientOptions, ApiResponse, FetchFn } from './http.ts';
export { ApiClient } from './http.ts';
export type { JsonPathTemplate } from './jsonpath.ts';
export { JsonPathError, parseJsonPath } from './jsonpath.ts';
export { ABORT_USAGE, APPROVE_USAGE, REJECT_USAGE, ROLLBACK_USAGE, VERIFY_USAGE } from './operations.ts';
export type { PromoteRequest } from './promote.ts';
export { DEFAULT_TIMEOUT, NOT_FOUND_GRACE_MS, POLL_INTERVAL_MS, PROMOTE_USAGE } from './promote.ts';
export { REFRESH_USAGE } from './refresh.ts';
export type { TestSubscriptionAnswer, TestSubscriptionRequest } from './test-subscription.ts';
export { TEST_USAGE } from './test-subscription.ts';
export type { TokenListItem, TokenRole } from './token.ts';
export { TOKEN_USAGE } from './token.ts';
