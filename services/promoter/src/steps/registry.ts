import { argocdUpdate } from './argocd-update.ts';
import { composeOutput, fail, setMetadata } from './control.ts';
import { copy, deletePath, fileWrite, gitClear, helmUpdateChart, jsonUpdate, yamlUpdate } from './edits.ts';
import { gitClone } from './git-clone.ts';
import { gitCommit } from './git-commit.ts';
import { gitPush } from './git-push.ts';
import { kustomizeSetImage } from './kustomize-set-image.ts';
import type { StepRunner } from './types.ts';

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
  argocdUpdate,
  fail,
  composeOutput,
  setMetadata,
];

/** Looks steps up by their `uses` name. */
export const stepRegistry: ReadonlyMap<string, StepRunner> = new Map(BUILTIN_STEPS.map((s) => [s.uses, s]));
