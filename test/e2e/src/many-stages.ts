/**
 * A wide pipeline for the push race: N Stages fed directly by one Warehouse, each with an overlay
 * `stages/sNN/kustomization.yaml` in ONE GitOps repository on branch `main` and an Argo CD
 * Application of its own. Built from the same parts as `startDemoEnvironment` (the overlay text
 * is shared), without changing it.
 */
import { type KubeSim, startKubeSim } from '@ferry/kube-sim';
import { startGitServer, startRegistry, type TestGitServer, type TestRegistry } from '@ferry/support';
import { overlay, projectAndWarehouse, stageApplication } from './environment.ts';

/** Stage names `s01`..`sNN`. */
export const stageNames = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);

/** The Kargo manifests: a Warehouse and `stages` Stages with `direct` sources, one template each. */
export function manyStagesManifests(
  project: string,
  image: string,
  repoURL: string,
  stages: string[],
): string {
  const stage = (name: string) => `---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
  namespace: ${project}
spec:
  requestedFreight:
    - origin:
        kind: Warehouse
        name: app
      sources:
        direct: true
  promotionTemplate:
    spec:
      steps:
        - uses: git-clone
          config:
            repoURL: ${repoURL}
            checkout:
              - branch: main
                path: ./src
        - uses: kustomize-set-image
          as: update-image
          config:
            path: ./src/stages/${name}
            images:
              - image: ${image}
        - uses: git-commit
          config:
            path: ./src
            message: \${{ outputs['update-image'].commitMessage }}
        - uses: git-push
          config:
            path: ./src
        - uses: argocd-update
          config:
            apps:
              - name: wide-${name}
                namespace: argocd
`;
  return `${projectAndWarehouse(project, image)}${stages.map(stage).join('')}`;
}

/** One overlay file per Stage, keyed by its repository path. */
export function manyStagesOverlays(image: string, stages: string[]): Record<string, string> {
  return Object.fromEntries(stages.map((s) => [`stages/${s}/kustomization.yaml`, overlay(s, image)]));
}

/** The Argo CD Applications, one per Stage (`wide-sNN`), authorized for it. */
export function manyStagesApplications(project: string, repoURL: string, stages: string[]): unknown[] {
  return stages.map((stage) => stageApplication(project, repoURL, stage, `wide-${stage}`));
}

/** The outside world of the wide pipeline. */
export interface ManyStagesEnvironment {
  registry: TestRegistry;
  git: TestGitServer;
  kube: KubeSim;
  /** `127.0.0.1:PORT/demo/app` */
  image: string;
  repoURL: string;
  stages: string[];
  close(): Promise<void>;
}

/** Starts a registry, a git server with the `gitops` repository and a Kubernetes API with `n` Applications. */
export async function startManyStagesEnvironment(project: string, n: number): Promise<ManyStagesEnvironment> {
  const registry = await startRegistry();
  const git = await startGitServer();
  const kube = await startKubeSim({ healthDelayMs: 100 });
  const image = `${registry.host}/demo/app`;
  const stages = stageNames(n);
  const repoURL = await git.createRepo(
    'gitops',
    {
      'base/kustomization.yaml': 'resources: []\n',
      ...manyStagesOverlays(image, stages),
    },
    { branch: 'main', message: 'initial overlays' },
  );
  kube.load(manyStagesApplications(project, repoURL, stages));
  return {
    registry,
    git,
    kube,
    image,
    repoURL,
    stages,
    close: async () => {
      await Promise.allSettled([registry.close(), git.close(), kube.close()]);
    },
  };
}
