import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Freight, Promotion, PromotionStep } from '@ferry/contracts';
import { createForge } from '@ferry/forge';
import { startForge, type TestForge } from '@ferry/support';
import { advancePromotion } from '../execute.ts';
import type { ResultPort } from './types.ts';

const freight: Freight = {
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name: 'a'.repeat(40), namespace: 'demo' },
  alias: 'wild-otter',
  origin: { kind: 'Warehouse', name: 'app' },
  images: [],
  commits: [],
  charts: [],
  status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
};

const REPO = 'https://github.com/acme/gitops.git';
/* biome-ignore-start lint/suspicious/noTemplateCurlyInString: Kargo expressions, evaluated by Ferry */
const STEPS: PromotionStep[] = [
  {
    uses: 'git-open-pr',
    as: 'open-pr',
    config: { repoURL: REPO, sourceBranch: 'ferry/prod', targetBranch: 'main' },
  },
  {
    uses: 'git-wait-for-pr',
    as: 'wait',
    config: { repoURL: REPO, prNumber: "${{ outputs['open-pr'].pr.id }}" },
  },
];
/* biome-ignore-end lint/suspicious/noTemplateCurlyInString: Kargo expressions, evaluated by Ferry */

const promotion: Promotion = {
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Promotion',
  metadata: { name: 'prod.01j0000000000000000000000.aaaaaaa', namespace: 'demo' },
  spec: { stage: 'prod', freight: freight.metadata.name, steps: STEPS },
  status: { phase: 'Pending', currentStep: 0, stepExecutionMetadata: [], state: {}, revision: 0 },
};

const results: ResultPort = { gitWrite: async () => undefined, argocdOp: async () => undefined };
const defaults = { argocdTimeoutSeconds: 300 };
let double: TestForge;

before(async () => {
  double = await startForge('github', 'ghp_test');
});
after(() => double.close());

test('git-open-pr then git-wait-for-pr through advancePromotion against the GitHub double', async () => {
  const ports = {
    forge: createForge({ tokens: { 'github.com': 'ghp_test' }, apiUrls: { 'github.com': double.url } }),
  };
  const t0 = new Date('2026-11-26T10:00:00Z');
  const first = await advancePromotion(promotion, freight, results, t0, defaults, ports);
  assert.equal(first.status.phase, 'Running');
  assert.equal(first.status.currentStep, 1);
  assert.deepEqual(first.status.state['open-pr'], { pr: { id: 1, url: `${double.url}/acme/gitops/pull/1` } });
  assert.equal(
    first.status.message,
    `waiting for pull request #1 to be merged (${double.url}/acme/gitops/pull/1)`,
  );

  // A redelivered pass from the start must not open a second pull request.
  await advancePromotion(promotion, freight, results, t0, defaults, ports);
  assert.equal(double.prs.size, 1);

  const running = { ...promotion, status: first.status };
  const still = await advancePromotion(
    running,
    freight,
    results,
    new Date('2026-11-26T10:01:00Z'),
    defaults,
    ports,
  );
  assert.equal(still.status.phase, 'Running');

  const sha = double.mergePR(1);
  const done = await advancePromotion(
    running,
    freight,
    results,
    new Date('2026-11-26T10:02:00Z'),
    defaults,
    ports,
  );
  assert.equal(done.status.phase, 'Succeeded');
  assert.deepEqual(done.status.state.wait, { commit: sha });
  assert.equal(done.status.stepExecutionMetadata[1]?.message, `pull request #1 merged as ${sha.slice(0, 7)}`);
});

test('a pull request closed unmerged fails the Promotion; a host without a token errors naming it', async () => {
  const ports = {
    forge: createForge({ tokens: { 'github.com': 'ghp_test' }, apiUrls: { 'github.com': double.url } }),
  };
  const p = { ...promotion, spec: { ...promotion.spec, steps: STEPS.map((s) => structuredClone(s)) } };
  (p.spec.steps[0]!.config as Record<string, unknown>).sourceBranch = 'ferry/other';
  const first = await advancePromotion(p, freight, results, new Date(), defaults, ports);
  const n = (first.status.state['open-pr'] as { pr: { id: number } }).pr.id;
  double.closePR(n);
  const done = await advancePromotion(
    { ...p, status: first.status },
    freight,
    results,
    new Date(),
    defaults,
    ports,
  );
  assert.equal(done.status.phase, 'Failed');
  assert.equal(
    done.status.message,
    `step 2 git-wait-for-pr (wait): pull request #${n} was closed without being merged`,
  );

  const none = await advancePromotion(promotion, freight, results, new Date(), defaults, {
    forge: createForge({ tokens: {} }),
  });
  assert.equal(none.status.phase, 'Errored');
  assert.equal(
    none.status.message,
    'step 1 git-open-pr (open-pr): no API token for forge host github.com; add "github.com=<token>" to FERRY_FORGE_TOKENS',
  );
});
