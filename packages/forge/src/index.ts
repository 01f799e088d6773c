export type {
  FetchLike,
  Forge,
  ForgeOptions,
  MergeResult,
  NewPullRequest,
  PullRequest,
  RepoRef,
} from './client.ts';
export { apiBase, createForge, inferProvider, Provider, parseRepoURL } from './client.ts';
export { ForgeError, ForgeErrorCode } from './errors.ts';
