export type { FakePullRequest, ForgeKind, ForgeRequest, TestForge } from './forges.ts';
export { startForge } from './forges.ts';
export type { GitCommit, StartGitServerOptions, TestGitServer } from './git-server.ts';
export { git, gitEnv, startGitServer } from './git-server.ts';
export type { PushedChart } from './helm.ts';
export { HelmMediaType, pushHelmChart } from './helm.ts';
export type { TestNatsServer } from './nats-server.ts';
export { startNatsServer } from './nats-server.ts';
export type { Blob, BuildImageOptions, BuiltImage, Platform } from './oci.ts';
export {
  blobOf,
  buildImage,
  buildIndex,
  MANIFEST_ACCEPT,
  MediaType,
  sha256Digest,
  tarOneFile,
  writeOciLayout,
} from './oci.ts';
export type { MintOptions, OidcIssuer, OidcSigningAlg, OidcUser } from './oidc.ts';
export { startOidcIssuer } from './oidc.ts';
export type { OtlpReceiver, ReceivedExport, ReceivedSpan } from './otlp-receiver.ts';
export { decodeOtlpTraceRequest, startOtlpReceiver } from './otlp-receiver.ts';
export type { PrometheusAnswer, PrometheusRequest, TestPrometheus } from './prometheus.ts';
export { startPrometheus } from './prometheus.ts';
export type {
  PushedImage,
  PushedIndex,
  RecordedRequest,
  StartRegistryOptions,
  TestRegistry,
} from './registry.ts';
export { pushWithSkopeo, RegistryAuthMode, startRegistry } from './registry.ts';
export type { SelfSignedCertificate } from './tls.ts';
export { nonLoopbackIPv4, selfSignedCertificate } from './tls.ts';
export type { TokenAccess, TokenServer, TokenServerOptions } from './token-server.ts';
export { startTokenServer } from './token-server.ts';
export type { RunResult } from './util.ts';
export { freePort, freePortRange, run, tempDir, waitFor } from './util.ts';
