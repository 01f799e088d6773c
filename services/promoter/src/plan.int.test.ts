/**
 * A dry run of a Promotion end to end: the api's dry-run route asks the promoter (its plan
 * request), which asks a running git-writer for the diff of the git-push, against real NATS, Redis
 * (database 8) and a real git server. The remote branch, Redis and the command stream are then
 * checked for anything written.
 *
 * The api and git-writer are started in-process from their sources, as their own int tests start
 * them: a service never imports another, but this test is about the three together.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Bus } from '@ferry/bus';
import { loadConfig } from '@ferry/config';
import {
  COMMANDS_STREAM,
  type Freight,
  type PromotionPlan,
  type PromotionPlanReply,
  promotionPlanSubject,
  subjectFor,
} from '@ferry/contracts';
import { freightId, parseManifests } from '@ferry/kargo';
import { createLogger } from '@ferry/observability';
import type { RunningService } from '@ferry/runtime';
import { Store } from '@ferry/store';
import {
  startGitServer,
  startNatsServer,
  type TestGitServer,
  type TestNatsServer,
  tempDir,
} from '@ferry/support';
import { buildApp } from '../../api/src/app.ts';
import { type GitWriter, startGitWriter } from '../../git-writer/src/index.ts';
import { startPromoter } from './service.ts';

const log = createLogger('plan-test', 'silent');
const IMAGE = 'registry.example/demo/app';
const KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
  - name: ${IMAGE}
    newTag: 1.1.0 # set by promotion
`;
const VALUES = `# values of the dev environment
replicas: 1
image:
  tag: 1.1.0
`;

let nats: TestNatsServer;
let gitServer: TestGitServer;
let store: Store;
let bus: Bus;
let writer: GitWriter;
let promoter: RunningService;
let app: Awaited<ReturnType<typeof buildApp>>;
let repoURL: string;
let freight: Freight;

const manifests = (repo: string) => `
apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: demo
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: app
  namespace: demo
spec:
  subscriptions:
    - image:
        repoURL: ${IMAGE}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: dev
  namespace: demo
spec:
  requestedFreight:
    - origin: { kind: Warehouse, name: app }
      sources: { direct: true }
  promotionTemplate:
    spec:
      vars:
        - name: dir
          value: apps/\${{ ctx.stage }}
      steps:
        - uses: git-clone
          config:
            repoURL: ${repo}
            checkout:
              - branch: main
                path: ./src
        - uses: kustomize-set-image
          as: update-image
          config:
            path: ./src/\${{ vars.dir }}
            images:
              - image: ${IMAGE}
        - uses: yaml-update
          as: update-values
          config:
            path: ./src/\${{ vars.dir }}/values.yaml
            updates:
              - key: image.tag
                value: \${{ imageFrom('${IMAGE}').Tag }}
        - uses: git-commit
          config:
            path: ./src
            messageFromSteps: [update-image, update-values]
        - uses: git-push
          as: push
          config:
            path: ./src
        - uses: argocd-update
          config:
            apps:
              - name: demo-dev
                sources:
                  - repoURL: ${repo}
                    desiredRevision: \${{ outputs.push.commit }}
`;

before(async () => {
  nats = await startNatsServer();
  gitServer = await startGitServer();
  repoURL = await gitServer.createRepo('gitops', {
    'apps/dev/kustomization.yaml': KUSTOMIZATION,
    'apps/dev/values.yaml': VALUES,
    'apps/dev/deployment.yaml': 'kind: Deployment\n',
  });
  store = Store.connect('redis://127.0.0.1:6379/8', 'plan-test');
  await store.redis.flushdb();
  bus = await Bus.connect({ servers: nats.url, name: 'plan-test', log, maxDeliver: 3 });
  const config = loadConfig({
    FERRY_GIT_CACHE_DIR: join(await tempDir('plan-cache'), 'cache'),
    FERRY_GIT_AUTHOR_NAME: 'Ferry Bot',
    FERRY_GIT_AUTHOR_EMAIL: 'ferry@example.com',
  });
  // Throws on a bad manifest, naming the field.
  const parsed = parseManifests(manifests(repoURL), { knownProjects: new Set() });
  await store.applyResources(parsed.resources, new Date().toISOString());
  const images = [{ repoURL: IMAGE, tag: '1.2.0', digest: `sha256:${'c'.repeat(64)}` }];
  freight = {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Freight',
    metadata: { name: freightId({ origin: { kind: 'Warehouse', name: 'app' }, images }), namespace: 'demo' },
    alias: 'wild-otter',
    origin: { kind: 'Warehouse', name: 'app' },
    images,
    commits: [],
    charts: [],
    status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
  };
  assert.equal(await store.createFreight(freight, Date.now()), 'created');
  writer = await startGitWriter({ config, log, store, bus }, { concurrency: 2 });
  promoter = await startPromoter({ config, log, store, bus });
  app = await buildApp({ store, bus, log });
});

after(async () => {
  await app?.close();
  await promoter?.stop();
  await writer?.stop();
  await store?.redis.flushdb();
  await bus?.close();
  await store?.close();
  await gitServer?.close();
  await nats?.close();
});

describe('a dry run of a Promotion', () => {
  test('answers the diff the git-push would push, and writes nothing anywhere', async () => {
    const [before] = await gitServer.commits('gitops', 'main');
    const keysBefore = (await store.redis.keys('*')).sort();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/projects/demo/promotions/dry-run',
      payload: { stage: 'dev', freightAlias: 'wild-otter' },
    });
    assert.equal(res.statusCode, 200, res.body);
    const plan = res.json<PromotionPlan>();
    assert.deepEqual(
      plan.steps.map((s) => [s.uses, s.action]),
      [
        ['git-clone', 'planned'],
        ['kustomize-set-image', 'planned'],
        ['yaml-update', 'planned'],
        ['git-commit', 'planned'],
        ['git-push', 'diff'],
        ['argocd-update', 'would-run'],
      ],
    );
    const push = plan.steps[4]!;
    assert.equal(push.diff?.repoURL, repoURL);
    assert.equal(push.diff?.branch, 'main');
    assert.equal(push.diff?.base, before!.sha);
    assert.equal(push.diff?.changed, true);
    assert.deepEqual(push.diff?.files, ['apps/dev/kustomization.yaml', 'apps/dev/values.yaml']);
    const diff = push.diff!.diff;
    assert.match(diff, /^diff --git a\/apps\/dev\/kustomization\.yaml b\/apps\/dev\/kustomization\.yaml$/m);
    assert.match(diff, /^- {4}newTag: 1\.1\.0 # set by promotion$/m);
    assert.match(diff, /^\+ {4}newTag: 1\.2\.0 # set by promotion$/m);
    assert.match(diff, /^- {2}tag: 1\.1\.0$/m);
    assert.match(diff, /^\+ {2}tag: 1\.2\.0$/m);
    // Only the changed lines: comments and the untouched fields stay out of the diff's +/- lines.
    assert.equal(diff.split('\n').filter((l) => /^[+-][^+-]/.test(l)).length, 4);
    // The push's commit is not known in a dry run: argocd-update shows a placeholder, and the plan says so.
    assert.deepEqual(plan.steps[5]!.config, {
      apps: [{ name: 'demo-dev', sources: [{ repoURL, desiredRevision: '<dry-run: outputs.push.commit>' }] }],
    });
    assert.equal(plan.warnings.length, 1);
    assert.match(
      plan.warnings[0]!,
      /^step 6 \(step-5\) uses outputs\.push\.commit, known only once step 5 \(push\)/,
    );

    // Nothing written: no commit or push, no Promotion, no write record, no WriteGit command.
    const after = await gitServer.commits('gitops', 'main');
    assert.equal(after[0]!.sha, before!.sha);
    assert.equal(after.length, 1);
    assert.equal(gitServer.pushCount('gitops'), 0);
    assert.equal(await gitServer.readFile('gitops', 'main', 'apps/dev/values.yaml'), VALUES);
    assert.deepEqual(await store.listPromotions('demo', 'dev'), []);
    // The api's audit log records every request that is not a read, dry runs too; nothing else is new.
    assert.deepEqual(
      (await store.redis.keys('*')).sort().filter((k) => !keysBefore.includes(k)),
      ['ferry:p:demo:audit'],
      'the dry run added no Redis key but the audit log',
    );
    const info = await bus.jsm.streams.info(COMMANDS_STREAM, {
      subjects_filter: subjectFor('WriteGit', 'demo'),
    });
    assert.equal(info.state.subjects?.[subjectFor('WriteGit', 'demo')] ?? 0, 0);
  });

  test('request vars replace the template vars; a missing path is a step error naming it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/projects/demo/promotions/dry-run',
      payload: { stage: 'dev', freight: freight.metadata.name, vars: [{ name: 'dir', value: 'apps/prod' }] },
    });
    assert.equal(res.statusCode, 200, res.body);
    const plan = res.json<PromotionPlan>();
    assert.deepEqual(
      plan.steps.map((s) => s.action),
      ['planned', 'planned', 'planned', 'planned', 'error', 'skipped'],
    );
    assert.match(
      plan.steps[4]!.error!,
      /: no kustomization file in "apps\/prod" \(looked for kustomization\.yaml/,
    );
    assert.equal(gitServer.pushCount('gitops'), 0);
  });

  test('an unknown Stage or Freight is a named error over the API and over NATS', async () => {
    const stage = await app.inject({
      method: 'POST',
      url: '/api/v1/projects/demo/promotions/dry-run',
      payload: { stage: 'prod', freightAlias: 'wild-otter' },
    });
    assert.equal(stage.statusCode, 404);
    assert.equal(stage.json().code, 'FERRY_ERR_STAGE_NOT_FOUND');
    const reply = (
      await bus.nc.request(
        promotionPlanSubject('demo'),
        JSON.stringify({ project: 'demo', stage: 'dev', freight: 'calm-heron' }),
        { timeout: 10_000 },
      )
    ).json<PromotionPlanReply>();
    assert.deepEqual(reply, {
      error:
        'Freight "calm-heron" (an id or alias) not found in Project "demo"; list it with "ferry get freight -p demo"',
      code: 'FERRY_ERR_FREIGHT_NOT_FOUND',
    });
  });
});
