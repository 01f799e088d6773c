import { argocdUpdate } from './argocd-update.ts';
import { gitClone } from './git-clone.ts';
import { gitCommit } from './git-commit.ts';
import { gitPush } from './git-push.ts';
import { kustomizeSetImage } from './kustomize-set-image.ts';
import type { StepRunner } from './types.ts';

/** The built-in steps, listed explicitly (no import side effects). */
export const BUILTIN_STEPS: readonly StepRunner[] = [
  gitClone,
  kustomizeSetImage,
  gitCommit,
  gitPush,
  argocdUpdate,
];

/** Looks steps up by their `uses` name. */
export const stepRegistry: ReadonlyMap<string, StepRunner> = new Map(BUILTIN_STEPS.map((s) => [s.uses, s]));
