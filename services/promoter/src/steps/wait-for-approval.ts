/**
 * `wait-for-approval` (Ferry's step; Kargo has approval gates only in its Enterprise edition):
 * holds the Promotion until enough distinct users approved it; one rejection fails it.
 */
import { stepConfig, Type } from './schema.ts';
import type { StepResult, StepRunner } from './types.ts';

const ApprovalSchema = Type.Object(
  {
    approvals: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    message: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/** One user's decision, as the promoter records it (`ApprovePromotion`). */
export interface ApprovalDecision {
  by: string;
  at: string;
  reject?: boolean;
  reason?: string;
}

/**
 * Counts decisions against `needed` approvals (pure): any rejection fails the step, naming who
 * and why (the earliest when several rejected); else it succeeds once `needed` distinct users
 * approved, and is Running before that, saying who approved so far.
 */
export function countApprovals(
  decisions: readonly ApprovalDecision[],
  needed: number,
  message?: string,
): StepResult {
  const sorted = [...decisions].sort((a, b) => a.at.localeCompare(b.at) || a.by.localeCompare(b.by));
  const rejection = sorted.find((d) => d.reject);
  if (rejection) {
    return {
      status: 'Failed',
      message: `rejected by ${rejection.by}${rejection.reason ? `: ${rejection.reason}` : ''}`,
    };
  }
  const approvers = [...new Set(sorted.map((d) => d.by))];
  if (approvers.length >= needed) {
    return {
      status: 'Succeeded',
      message: `approved by ${approvers.join(', ')}`,
      outputs: { approvedBy: approvers },
    };
  }
  const so = approvers.length > 0 ? `: ${approvers.join(', ')}` : '';
  return {
    status: 'Running',
    message: `${message ? `${message}; ` : ''}waiting for approval (${approvers.length}/${needed}${so})`,
  };
}

/** `wait-for-approval`: Running until `approvals` (default 1) distinct users approved; a rejection fails it. */
export const waitForApproval: StepRunner = {
  uses: 'wait-for-approval',
  // A person answers: give them a week unless `retry.timeout` says otherwise.
  defaultTimeoutMs: 7 * 24 * 3600_000,
  async run(ctx): Promise<StepResult> {
    const cfg = stepConfig(ApprovalSchema, this.uses, ctx.config);
    if (!ctx.results.approvals) {
      return { status: 'Errored', message: 'this promoter cannot read approvals' };
    }
    const decisions = await ctx.results.approvals(ctx.promotion);
    return countApprovals(decisions, cfg.approvals ?? 1, cfg.message);
  },
};
