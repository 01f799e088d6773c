import { argocdUpdate } from './argocd-update.ts';
import { argocdWait } from './argocd-wait.ts';
import { composeOutput, fail, setMetadata } from './control.ts';
import { copy, deletePath, fileWrite, gitClear, helmUpdateChart, jsonUpdate, yamlUpdate } from './edits.ts';
import { gitClone } from './git-clone.ts';
import { gitCommit } from './git-commit.ts';
import { gitMergePR } from './git-merge-pr.ts';
import { gitOpenPR } from './git-open-pr.ts';
import { gitPush } from './git-push.ts';
import { gitTag } from './git-tag.ts';
import { gitWaitForPR } from './git-wait-for-pr.ts';
import { http } from './http.ts';
import { kustomizeSetImage } from './kustomize-set-image.ts';
import type { StepRunner } from './types.ts';
import { waitForApproval } from './wait-for-approval.ts';

/** The built-in steps, listed explicitly (no import side effects). */
export const BUILTIN_STEPS: readonly StepRunner[] = [
  gitClone,
  kustomizeSetImage,
  yamlUpdate,
  jsonUpdate,
  helmUpdateChart,
  fileWrite,
  copy,
  deletePath,
  gitClear,
  gitCommit,
  gitPush,
  gitTag,
  gitOpenPR,
  gitWaitForPR,
  gitMergePR,
  http,
  argocdUpdate,
  argocdWait,
  fail,
  composeOutput,
  setMetadata,
  waitForApproval,
];

/** Looks steps up by their `uses` name. */
export const stepRegistry: ReadonlyMap<string, StepRunner> = new Map(BUILTIN_STEPS.map((s) => [s.uses, s]));
