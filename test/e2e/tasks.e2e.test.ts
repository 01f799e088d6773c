/**
 * PromotionTasks end to end: `ferry apply` stores a PromotionTask, a Stage step `task:` runs its
 * steps with the step's inputs (and `task.outputs` inside the task), and a Stage that leaves a
 * required input out gets an Errored Promotion that says which input.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { eventually, type FerryUnderTest, startFerry } from './src/harness.ts';
import { type DemoEnvironment, startDemoEnvironment, startPrivateNats } from './src/index.ts';

const project = `tasks-${Date.now().toString(36)}`;
let env: DemoEnvironment;
let nats: Awaited<ReturnType<typeof startPrivateNats>>;
let ferry: FerryUnderTest;

const stage = (name: string, vars: string) => `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
  namespace: ${project}
spec:
  requestedFreight:
    - origin: { kind: Warehouse, name: app }
      sources: { direct: true }
  promotionTemplate:
    spec:
      steps:
        - task:
            name: update-image
          as: update
          vars:${vars}
`;

const manifests = (image: string, repoURL: string) => `apiVersion: kargo.akuity.io/v1alpha1
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
  subscriptions:
    - image:
        repoURL: ${image}
        constraint: ^1.0.0
---
apiVersion: kargo.akuity.io/v1alpha1
kind: PromotionTask
metadata:
  name: update-image
  namespace: ${project}
spec:
  vars:
    - name: stage
    - name: branch
      value: main
  steps:
    - uses: git-clone
      config:
        repoURL: ${repoURL}
        checkout:
          - branch: \${{ vars.branch }}
            path: ./src
    - uses: kustomize-set-image
      as: set
      config:
        path: ./src/stages/\${{ vars.stage }}
        images:
          - image: ${image}
    - uses: git-commit
      config:
        path: ./src
        message: "via task: \${{ task.outputs.set.commitMessage }}"
    - uses: git-push
      config:
        path: ./src
    - uses: argocd-update
      config:
        apps:
          - name: demo-\${{ vars.stage }}
            namespace: argocd
---
${stage('dev', '\n            - name: stage\n              value: dev')}---
${stage('uat', ' []')}`;

before(async () => {
  env = await startDemoEnvironment(project);
  nats = await startPrivateNats();
  ferry = await startFerry({
    natsUrl: nats.url,
    kubeconfig: env.kube.kubeconfigPath,
    redisDb: 14,
    // This test is about PromotionTasks, not about tokens.
    env: { FERRY_AUTH: 'none' },
  });
  const file = join(tmpdir(), `${project}.yaml`);
  await writeFile(file, manifests(env.image, env.repoURL));
  const applied = await ferry.ferry('apply', '-f', file);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /promotiontask\.kargo\.akuity\.io\/update-image created/i);
});

after(async () => {
  await ferry?.stop();
  await nats?.close();
  await env?.close();
});

const ok = async (...args: string[]) => {
  const r = await ferry.ferry(...args);
  assert.equal(r.code, 0, `ferry ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
};

test('a task step runs the PromotionTask; a missing input errors the Promotion', async () => {
  await env.registry.pushImage('demo/app', '1.0.0');
  await ok('refresh', 'warehouse', 'app', '-p', project);
  const freight = await eventually('Freight for 1.0.0', async () => {
    const list = JSON.parse(await ok('get', 'freight', '-p', project, '-o', 'json')) as {
      items: Array<{ metadata: { name: string } }>;
    };
    return list.items[0];
  });
  await ok('promote', '-p', project, '--stage', 'dev', '--freight', freight.metadata.name, '--wait');
  const file = await env.git.readFile('gitops', 'main', 'stages/dev/kustomization.yaml');
  assert.match(file, /newTag: 1\.0\.0 # replaced on promotion/);

  const out = await ok('promote', '-p', project, '--stage', 'uat', '--freight', freight.metadata.name);
  const name = /promotion\.kargo\.akuity\.io\/(\S+) created/.exec(out)?.[1];
  assert.ok(name, out);
  // The api answers 201 before the promoter has stored the Promotion: wait until it has.
  const promo = await eventually('the uat Promotion stored', async () => {
    const r = await ferry.ferry('get', 'promotion', name, '-p', project, '-o', 'json');
    return r.code === 0
      ? (JSON.parse(r.stdout) as { status: { phase: string; message: string } })
      : undefined;
  });
  assert.equal(promo.status.phase, 'Errored');
  assert.equal(
    promo.status.message,
    `cannot use the Stage's PromotionTasks: step 1 (update): PromotionTask "update-image" needs a value for its input "stage": give it in the step's vars`,
  );
});
