/**
 * What the UI offers around promotion: the approval gate a Promotion waits at, which actions the
 * caller's roles allow, and where a piece of Freight stands with each Stage (verified, approved,
 * rejected). Pure, so it is tested under Node.
 */
import type { Freight, Promotion } from '@ferry/contracts';

/** The per-Project roles, weakest first; each includes the rights of those before it (as the api ranks them). */
export const UiRole = { viewer: 'viewer', promoter: 'promoter', admin: 'admin' } as const;
/** One of {@link UiRole}. */
export type UiRole = (typeof UiRole)[keyof typeof UiRole];

const RANK: Readonly<Record<UiRole, number>> = { viewer: 1, promoter: 2, admin: 3 };

/** Who the browser's token belongs to, as `GET /api/v1/whoami` answers. */
export interface Identity {
  /** The token's name (`anonymous` when the api runs without auth). */
  name: string;
  /** Who the token stands for: the `by` of the caller's approvals. */
  subject: string;
  /** The token's grants: a role in a Project, or (without `project`) the system admin. */
  roles: ReadonlyArray<{ project?: string; role: UiRole }>;
  /** The api's auth mode (`none`, `token`, …). */
  auth?: string;
}

/**
 * True when `identity` holds `role` (or a stronger one) in `project`, or is a system admin; the
 * same rule the api applies, so a button the UI shows is one the api accepts. Unknown identity
 * (whoami not answered yet) allows nothing.
 */
export function hasRole(identity: Identity | undefined, project: string, role: UiRole): boolean {
  if (!identity) return false;
  return identity.roles.some(
    (r) => (!r.project && r.role === 'admin') || (r.project === project && RANK[r.role] >= RANK[role]),
  );
}

/** The tooltip of a button the caller's roles do not allow, naming the role it needs. */
export const needsRoleTooltip = (project: string, role: UiRole): string =>
  `needs the ${role} role in Project "${project}"; ask a Project admin for a token that has it`;

/** A `wait-for-approval` step a Promotion is at now. */
export interface ApprovalGate {
  /** The step's alias (`as`, or `step-<index>`). */
  step: string;
  /** The step's index in the Promotion's steps. */
  index: number;
  /** Distinct approvals the step asks for (`config.approvals`, default 1). */
  needed: number;
  /** The users who approved so far, in the order they did. */
  approvedBy: string[];
  /** The step's `config.message`, shown to the approvers; absent when it has none. */
  prompt?: string;
}

// The promoter's running message: `[<message>; ]waiting for approval (<n>/<needed>[: a, b])`.
const WAITING = /waiting for approval \((\d+)\/(\d+)(?:: ([^)]*))?\)\s*$/;

/**
 * The approval gate `p` waits at: its current step is a `wait-for-approval` and the Promotion has
 * not finished. Approvals so far come from the step's message as the promoter writes it; the
 * number needed from that message, else from the step's `approvals` config, else 1.
 */
export function approvalGateOf(p: Promotion): ApprovalGate | undefined {
  const { phase, currentStep } = p.status;
  if (phase !== 'Pending' && phase !== 'Running') return undefined;
  const step = p.spec.steps[currentStep];
  if (step?.uses !== 'wait-for-approval') return undefined;
  const exec = p.status.stepExecutionMetadata[currentStep];
  if (exec && exec.status !== 'Running' && exec.status !== 'Pending') return undefined;
  const waiting = exec?.message ? WAITING.exec(exec.message) : null;
  const configured = step.config?.approvals;
  const needed = waiting
    ? Number(waiting[2])
    : typeof configured === 'number' && configured >= 1
      ? configured
      : 1;
  const approvedBy = waiting?.[3]
    ? waiting[3]
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  const prompt = typeof step.config?.message === 'string' ? step.config.message : undefined;
  return {
    step: step.as ?? `step-${currentStep}`,
    index: currentStep,
    needed,
    approvedBy,
    ...(prompt ? { prompt } : {}),
  };
}

/** Where a piece of Freight stands with one Stage, for the Freight drawer. */
export interface FreightStanding {
  stage: string;
  /** The Freight runs in the Stage now. */
  current: boolean;
  /** When it was verified there; absent when it was not. */
  verifiedAt?: string;
  /** Its approval for the Stage (it may go there unverified upstream); absent when none. */
  approved?: { at: string; by?: string };
  /**
   * Its rejection for the Stage, or for every Stage (`everywhere`); absent when not rejected. A
   * rejected Freight is not available to the Stage.
   */
  rejected?: { at: string; by: string; reason: string; everywhere: boolean };
}

/** Where `f` stands with each of `stages`, in the order given. */
export function freightStandings(f: Freight, stages: readonly string[]): FreightStanding[] {
  const st = f.status;
  return stages.map((stage) => {
    const verified = st.verifiedIn[stage];
    const approved = st.approvedFor[stage];
    const own = st.rejected?.[stage];
    const all = st.rejected?.['*'];
    const rejection = own ?? all;
    return {
      stage,
      current: stage in st.currentlyIn,
      ...(verified ? { verifiedAt: verified.verifiedAt } : {}),
      ...(approved
        ? { approved: { at: approved.approvedAt, ...(approved.by ? { by: approved.by } : {}) } }
        : {}),
      ...(rejection
        ? {
            rejected: {
              at: rejection.rejectedAt,
              by: rejection.by,
              reason: rejection.reason,
              everywhere: !own,
            },
          }
        : {}),
    };
  });
}

/** The rejections of `f` that can be undone, each by its Stage (`*` for every Stage), oldest first. */
export function rejectionsOf(f: Freight): Array<{ stage: string; at: string; by: string; reason: string }> {
  return Object.entries(f.status.rejected ?? {})
    .map(([stage, r]) => ({ stage, at: r.rejectedAt, by: r.by, reason: r.reason }))
    .sort((a, b) => a.at.localeCompare(b.at) || a.stage.localeCompare(b.stage));
}
