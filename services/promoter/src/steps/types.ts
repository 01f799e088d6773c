import type { Freight, PromotionWorkspace, SyncArgoCDApp, WriteGit } from '@ferry/contracts';
import type { Forge } from '@ferry/forge';
import type { ArgoCDOpRecord, GitWriteRecord } from '@ferry/store';

/** One HTTP request the `http` step makes. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Absent for no body. */
  body?: string;
  timeoutMs: number;
  insecureSkipTLSVerify: boolean;
}

/** The answer to an {@link HttpRequest}; header names lower-cased. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Makes one HTTP request: the `http` port. Throws when no answer came (refused, timed out). */
export type HttpPort = (request: HttpRequest) => Promise<HttpResponse>;

/** Outside services steps may talk to; each absent when the promoter was started without it. */
export interface StepPorts {
  /** Pull requests on GitHub, GitLab and Gitea (`git-open-pr`, `git-wait-for-pr`, `git-merge-pr`). */
  forge?: Forge;
  /** Plain HTTP requests (`http`). */
  http?: HttpPort;
}

/** Read access to the outcomes other services record for a step. */
export interface ResultPort {
  gitWrite(writeId: string): Promise<GitWriteRecord | undefined>;
  argocdOp(opId: string): Promise<ArgoCDOpRecord | undefined>;
  /** Users' decisions on a Promotion of this Project (`wait-for-approval`); absent in fakes that need none. */
  approvals?(
    promotion: string,
  ): Promise<Array<{ by: string; at: string; reject?: boolean; reason?: string }>>;
  /**
   * A Secret of this Project for `secret('name')`: its data when labelled `kargo.akuity.io/cred-type:
   * generic`, `not-generic` without that label, undefined when there is none; absent in fakes that need none.
   */
  secret?(name: string): Promise<Readonly<Record<string, string>> | 'not-generic' | undefined>;
}

/** A command a step asks the promoter to publish (idempotent by `msgId`). */
export type StepCommand =
  | { type: 'WriteGit'; payload: WriteGit; msgId: string }
  | { type: 'SyncArgoCDApp'; payload: SyncArgoCDApp; msgId: string };

/** Everything a step may see: its evaluated config, the Freight, earlier outputs, the plan. */
export interface StepContext {
  project: string;
  stage: string;
  promotion: string;
  stepIndex: number;
  alias: string;
  freight: Freight;
  /** The step's config with every `${{ }}` expression evaluated. */
  config: Record<string, unknown>;
  /** Outputs of earlier steps by alias. */
  outputs: Readonly<Record<string, Record<string, unknown>>>;
  /** The git work planned so far; steps that plan git work change it. */
  workspace: PromotionWorkspace;
  results: ResultPort;
  defaults: { argocdTimeoutSeconds: number };
  /** Milliseconds since the step started (for steps that wait). */
  elapsedMs: number;
  /** The forge port; absent when the promoter has none (steps that need it then error). */
  forge?: Forge;
  /** The HTTP port; absent when the promoter has none. */
  http?: HttpPort;
}

/** A step's outcome. `Running` means: call again when something changes. */
export interface StepResult {
  status: 'Succeeded' | 'Running' | 'Failed' | 'Errored';
  outputs?: Record<string, unknown>;
  message?: string;
  commands?: StepCommand[];
  /** Metadata to record on the Promotion (`set-metadata`), merged by resource and key. */
  metadata?: Array<{ kind: string; name: string; values: Record<string, unknown> }>;
}

/** One built-in promotion step. */
export interface StepRunner {
  /** The `uses` name, as in Kargo. */
  uses: string;
  /** How long the step may stay Running before it is Errored. */
  defaultTimeoutMs: number;
  run(ctx: StepContext): Promise<StepResult>;
}
