/**
 * Dry runs of a Promotion (request/reply over NATS core, no stream): the promoter builds the
 * steps a Promotion of the Freight to the Stage would run and answers what each would do, with
 * the diff each git write would push, asking git-writer's diff request instead of writing. Nothing
 * is stored, published, committed or pushed; an answer nobody waits for is simply dropped.
 */
import { type Static, Type } from '@sinclair/typebox';

/** Subject prefix of the promoter's plan request (the Project is appended). */
export const PROMOTION_PLAN_SUBJECT = 'ferry.v1.req.promoter.plan';
/** The full subject of a plan request about a Project (`*` subscribes to every Project). */
export const promotionPlanSubject = (project: string): string => `${PROMOTION_PLAN_SUBJECT}.${project}`;
/** The queue group answering plan requests (one promoter replica answers each). */
export const PROMOTER_REQUEST_QUEUE = 'promoter';

/** Subject prefix of git-writer's diff request (the Project is appended); the request is a `WriteGit`. */
export const GIT_DIFF_SUBJECT = 'ferry.v1.req.git.diff';
/** The full subject of a git-writer diff request about a Project. */
export const gitDiffSubjectFor = (project: string): string => `${GIT_DIFF_SUBJECT}.${project}`;

const Name = Type.String({ minLength: 1, maxLength: 253 });

/** What git-writer answers for one dry-run write (its `WriteDiff`). */
export const WriteDiffSchema = Type.Object({
  writeId: Type.String(),
  /** The repository, without credentials. */
  repoURL: Type.String(),
  /** The branch the write would push to. */
  branch: Type.String(),
  /** The commit the edits were applied on (the branch's head, or its source branch's when it is new). */
  base: Type.String(),
  /** True when the write would make a commit. */
  changed: Type.Boolean(),
  /** The unified diff the commit would carry; empty when nothing changes. */
  diff: Type.String(),
  /** What each edit did. */
  message: Type.String(),
  /** Set instead of a diff when the write would fail (bad path, missing file, no such repository). */
  error: Type.Optional(Type.String()),
});
/** One dry-run write's diff, as git-writer answers it. */
export type WriteDiff = Static<typeof WriteDiffSchema>;

/** git-writer's reply to a diff request: the diff, or an error for a bad request or a broken fetch. */
export const GitDiffReplySchema = Type.Union([
  Type.Object({ diff: WriteDiffSchema }),
  Type.Object({ error: Type.String() }),
]);
/** Reply payload of a git-writer diff request. */
export type GitDiffReply = Static<typeof GitDiffReplySchema>;

/** Request: plan a Promotion of `freight` to `stage` without running anything that has effects. */
export const PromotionPlanRequestSchema = Type.Object(
  {
    project: Name,
    stage: Name,
    /** The Freight, by id or by alias. */
    freight: Name,
    /**
     * Variables added after the Stage template's `vars` (a later entry of the same name wins);
     * values may hold `${{ }}` expressions. Empty: the template's own.
     */
    vars: Type.Optional(
      Type.Array(Type.Object({ name: Type.String({ minLength: 1 }), value: Type.String() }), {
        maxItems: 100,
      }),
    ),
  },
  { additionalProperties: false },
);
/** Request payload of a plan request. */
export type PromotionPlanRequest = Static<typeof PromotionPlanRequestSchema>;

/** What a dry run does with a step. */
export const PlanAction = {
  /** A git write: git-writer computed the diff it would push; nothing was pushed. */
  diff: 'diff',
  /** Side-effect free (git-clone, file edits, git-commit, compose-output…): run for real into the plan. */
  planned: 'planned',
  /** Has outside effects (Argo CD, HTTP, pull requests, approvals): shown with its config, not run. */
  wouldRun: 'would-run',
  /** Its `if` came out false (or an earlier step would have failed the Promotion). */
  skipped: 'skipped',
  /** It would fail: a bad expression or config, an edit that cannot apply; `error` says why. */
  error: 'error',
} as const;
/** One of the {@link PlanAction}s. */
export type PlanAction = (typeof PlanAction)[keyof typeof PlanAction];

/** The diff of one git step of a plan. */
export const PlannedDiffSchema = Type.Object({
  /** The repository, without credentials. */
  repoURL: Type.String(),
  /** The branch the step would push to (for `git-open-pr`: `source -> target`). */
  branch: Type.String(),
  /** The commit the edits were applied on; empty when unknown. */
  base: Type.String(),
  /** True when the write would make a commit. */
  changed: Type.Boolean(),
  /** Paths the diff touches, in diff order. */
  files: Type.Array(Type.String()),
  /** The unified diff, as `git diff` prints it without colour; empty when nothing changes. */
  diff: Type.String(),
});
/** The diff of one git step of a plan. */
export type PlannedDiff = Static<typeof PlannedDiffSchema>;

/** One step of a plan. */
export const PlannedStepSchema = Type.Object({
  /** Position in the Promotion's steps (after PromotionTasks are inflated), from 0. */
  index: Type.Integer({ minimum: 0 }),
  /** The step's alias (`as`, or `step-<index>`). */
  alias: Type.String(),
  /** The step's kind, e.g. `git-push`. */
  uses: Type.String(),
  /** What the dry run did with it. */
  action: Type.Union(Object.values(PlanAction).map((a) => Type.Literal(a))),
  /** The step's config with every expression evaluated and secrets replaced by `***`; absent when skipped. */
  config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  /** What the step did or would do, in words. */
  message: Type.Optional(Type.String()),
  /** Why the step would fail (action `error`). */
  error: Type.Optional(Type.String()),
  /** What a git step would push (action `diff`). */
  diff: Type.Optional(PlannedDiffSchema),
  /** Placeholders of earlier steps' outputs that went into this step's config. */
  placeholders: Type.Optional(Type.Array(Type.String())),
});
/** One step of a {@link PromotionPlan}. */
export type PlannedStep = Static<typeof PlannedStepSchema>;

/** The answer to a plan request. */
export const PromotionPlanSchema = Type.Object({
  project: Type.String(),
  stage: Type.String(),
  /** The Freight planned for. */
  freight: Type.Object({ id: Type.String(), alias: Type.String() }),
  /** The Promotion name the steps saw as `ctx.promotion`; no Promotion of that name exists. */
  promotion: Type.String(),
  /** Every step, in order. */
  steps: Type.Array(PlannedStepSchema),
  /**
   * Things a real Promotion would do differently: the Freight is not available to the Stage (a
   * real Promotion would fail), step outputs known only after a step with effects ran.
   */
  warnings: Type.Array(Type.String()),
});
/** The answer to a plan request. */
export type PromotionPlan = Static<typeof PromotionPlanSchema>;

/** Reply to a plan request: the plan, or an error with its stable code (`FERRY_ERR_STAGE_NOT_FOUND`…). */
export const PromotionPlanReplySchema = Type.Union([
  Type.Object({ plan: PromotionPlanSchema }),
  Type.Object({ error: Type.String(), code: Type.String() }),
]);
/** Reply payload of a plan request. */
export type PromotionPlanReply = Static<typeof PromotionPlanReplySchema>;
