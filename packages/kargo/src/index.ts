/**
 * `@ferry/kargo`: Kargo's model as pure functions. Reading Kargo manifests (current and v0.3 forms),
 * Freight ids and aliases, image tag selection, and which Freight a Stage may take.
 */
export type { Availability } from './availability.ts';
export {
  autoPromotionEnabled,
  freightAvailability,
  stageSelectorMatches,
  stagesFedBy,
} from './availability.ts';
export type { CredentialCandidate } from './credentials.ts';
export {
  CREDENTIAL_TYPE_LABEL,
  CredentialType,
  credentialsAllowedFor,
  isCredentialType,
  normalizeCredentialURL,
  selectCredentials,
} from './credentials.ts';
export { parseGoDuration } from './duration.ts';
export type { FreightContent } from './freight.ts';
export { freightAlias, freightId } from './freight.ts';
export type { CommitCandidate, TagCandidate } from './git-select.ts';
export { pathSelector, selectBranchCommits, selectGitTags, touchesPaths } from './git-select.ts';
export type { KargoResource, ParsedAnalysisTemplate, ParseOptions, ParseResult } from './manifest.ts';
export { PROJECT_LABEL, parseManifests, TRANSLATED_ANNOTATION } from './manifest.ts';
export type { ParsedSecret } from './manifest-secrets.ts';
export { selectImageTags } from './select.ts';
export type { SemVersion, SemverConstraint } from './semver.ts';
export { compareSemver, parseSemver, parseSemverConstraint, satisfies } from './semver.ts';
export type { InflateResult, TaskLookup } from './tasks.ts';
export { inflateTaskSteps, TASK_ALIAS_SEPARATOR, taskOutputs } from './tasks.ts';
export { gitRepoKey, normalizeChart, normalizeGit, normalizeImage } from './urls.ts';
