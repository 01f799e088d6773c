import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KubeSim, startKubeSim } from '@ferry/kube-sim';
import {
  freePort,
  startGitServer,
  startRegistry,
  type TestGitServer,
  type TestRegistry,
} from '@ferry/support';

/** The overlay each Stage's Argo CD Application renders; comments are part of the test. */
export const overlay = (stage: string, image: string) => `# Overlay for the ${stage} Stage.
# Ferry must keep these comments and the key order when it edits images.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: demo-${stage} # the namespace Argo CD deploys into
resources:
  - ../../base
images:
  # the application image, promoted by Ferry
  - name: ${image}
    newTag: 0.0.1 # replaced on promotion
`;

const BASE = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
`;

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo
spec:
  replicas: 1
  selector:
    matchLabels: { app: demo }
  template:
    metadata:
      labels: { app: demo }
    spec:
      containers:
        - name: app
          image: ${image}:0.0.1
`;

/** The Project and its Warehouse `app` subscribing to `image` (SemVer ^1.0.0), as YAML documents. */
export const projectAndWarehouse = (
  project: string,
  image: string,
): string => `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: ${project}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: app
  namespace: ${project}
spec:
  interval: 5m0s
  subscriptions:
    - image:
        repoURL: ${image}
        constraint: ^1.0.0
        discoveryLimit: 10
`;

/** Kargo manifests for the demo pipeline: dev and uat in today's form, prod in the v0.3 form. */
export function demoManifests(project: string, image: string, repoURL: string): string {
  const steps = (stage: string) => `      steps:
        - uses: git-clone
          config:
            repoURL: ${repoURL}
            checkout:
              - branch: main
                path: ./src
        - uses: kustomize-set-image
          as: update-image
          config:
            path: ./src/stages/${stage}
            images:
              - image: ${image}
        - uses: git-commit
          as: commit
          config:
            path: ./src
            message: \${{ outputs['update-image'].commitMessage }}
        - uses: git-push
          as: push
          config:
            path: ./src
        - uses: argocd-update
          config:
            apps:
              - name: demo-${stage}
                namespace: argocd`;
  return `${projectAndWarehouse(project, image)}---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: dev
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
${steps('dev')}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: uat
  namespace: ${project}
spec:
  requestedFreight:
    - origin:
        kind: Warehouse
        name: app
      sources:
        stages: [dev]
  promotionTemplate:
    spec:
${steps('uat')}
---
# prod is written the way Kargo v0.3 wrote Stages; Ferry translates it to steps on apply.
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: prod
  namespace: ${project}
spec:
  subscriptions:
    upstreamStages:
      - name: uat
  promotionMechanisms:
    gitRepoUpdates:
      - repoURL: ${repoURL}
        writeBranch: main
        kustomize:
          images:
            - image: ${image}
              path: stages/prod
    argoCDAppUpdates:
      - appName: demo-prod
        appNamespace: argocd
`;
}

/** The Argo CD Application `name` that deploys a Stage's overlay, authorized for that Stage. */
export function stageApplication(project: string, repoURL: string, stage: string, name: string): unknown {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name,
      namespace: 'argocd',
      annotations: { 'kargo.akuity.io/authorized-stage': `${project}:${stage}` },
    },
    spec: {
      project: 'default',
      source: { repoURL, path: `stages/${stage}`, targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: `demo-${stage}` },
    },
  };
}

/** The Argo CD Applications for the demo, one per Stage, authorized for it. */
export function demoApplications(project: string, repoURL: string): unknown[] {
  return ['dev', 'uat', 'prod'].map((stage) => stageApplication(project, repoURL, stage, `demo-${stage}`));
}

/** A registry with images, a GitOps repo with dev/uat/prod overlays, a Kubernetes API with Argo CD. */
export interface DemoEnvironment {
  registry: TestRegistry;
  git: TestGitServer;
  kube: KubeSim;
  /** `127.0.0.1:PORT/demo/app` */
  image: string;
  repoURL: string;
  close(): Promise<void>;
}

/** Starts the demo's outside world on loopback ports. */
export async function startDemoEnvironment(project: string): Promise<DemoEnvironment> {
  const registry = await startRegistry();
  const git = await startGitServer();
  const kube = await startKubeSim({ healthDelayMs: 100 });
  const image = `${registry.host}/demo/app`;
  const repoURL = await git.createRepo(
    'gitops',
    {
      'base/kustomization.yaml': BASE,
      'base/deployment.yaml': deployment(image),
      'stages/dev/kustomization.yaml': overlay('dev', image),
      'stages/uat/kustomization.yaml': overlay('uat', image),
      'stages/prod/kustomization.yaml': overlay('prod', image),
    },
    { branch: 'main', message: 'initial overlays' },
  );
  kube.load(demoApplications(project, repoURL));
  return {
    registry,
    git,
    kube,
    image,
    repoURL,
    close: async () => {
      await Promise.allSettled([registry.close(), git.close(), kube.close()]);
    },
  };
}

/** A NATS server with JetStream of the test's own, so tests never share streams with a running Ferry. */
export async function startPrivateNats(): Promise<{ url: string; close(): Promise<void> }> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'ferry-nats-'));
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {
    stdio: 'ignore',
  });
  const { portOpen } = await import('@ferry/launcher');
  for (let i = 0; i < 100 && !(await portOpen('127.0.0.1', port, 100)); i++)
    await new Promise((r) => setTimeout(r, 50));
  return {
    url: `nats://127.0.0.1:${port}`,
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
