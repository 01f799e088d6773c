import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Freight, Promotion, PromotionPhase, Stage, Warehouse } from '@ferry/contracts';
import { Keys } from './keys.ts';
import { SecretStore } from './secrets.ts';
import { Store } from './store.ts';

// Redis database 10 is shared with the other store integration tests; int tests run one file at a time.
let store: Store;
before(async () => {
  store = Store.connect('redis://127.0.0.1:6379/10', 'store-delete-test');
  await store.redis.flushdb();
});
after(async () => {
  await store.redis.flushdb();
  await store.close();
});
beforeEach(async () => {
  await store.redis.flushdb();
});

const P = 'shop';
const NOW = '2026-01-01T00:00:00Z';
const ID_A = 'a'.repeat(40);
const ID_B = 'b'.repeat(40);

const warehouse = (name: string): Warehouse =>
  ({
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Warehouse',
    metadata: { name, namespace: P },
    spec: { subscriptions: [] },
  }) as unknown as Warehouse;

const stage = (name: string): Stage =>
  ({
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Stage',
    metadata: { name, namespace: P },
    spec: { requestedFreight: [] },
  }) as unknown as Stage;

const freight = (id: string, alias: string): Freight => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name: id, namespace: P },
  alias,
  origin: { kind: 'Warehouse', name: 'app' },
  images: [],
  commits: [],
  charts: [],
  status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
});

const promotion = (name: string, stageName: string, id: string): Promotion => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Promotion',
  metadata: { name, namespace: P },
  spec: { stage: stageName, freight: id, steps: [] },
  status: { phase: 'Pending', currentStep: 0, stepExecutionMetadata: [], state: {}, revision: 0 },
});

/** Moves a stored Promotion to `phase` (as the promoter would), optionally recording history. */
const setPhase = async (name: string, stageName: string, phase: PromotionPhase, history = false) => {
  const p = (await store.getPromotion(P, name))!;
  const ok = await store.casPromotionStatus(
    P,
    name,
    stageName,
    p.status.revision,
    { ...p.status, phase },
    history ? { freight: p.spec.freight, promotion: name, promotedAt: NOW } : undefined,
  );
  assert.ok(ok);
};

/** A Project with a Warehouse, two Stages, two pieces of Freight and one Promotion to dev. */
const seed = async () => {
  await store.applyResources(
    [
      {
        project: P,
        resource: { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Project', metadata: { name: P } } as never,
      },
      { project: P, resource: warehouse('app') },
      { project: P, resource: stage('dev') },
      { project: P, resource: stage('uat') },
    ],
    NOW,
  );
  await store.putWarehouseStatus(P, 'app', { discoveredArtifacts: {} } as never);
  await store.scheduleDiscovery(P, 'app', 1000);
  await store.createFreight(freight(ID_A, 'wild-otter'), 1);
  await store.createFreight(freight(ID_B, 'calm-heron'), 2);
};

describe('Store delete', () => {
  it('deletes a Warehouse with its status and schedule entry, keeping its Freight', async () => {
    await seed();
    assert.equal(await store.deleteWarehouse(P, 'app'), true);
    assert.equal(await store.getWarehouse(P, 'app'), undefined);
    assert.equal(await store.getWarehouseStatus(P, 'app'), undefined);
    assert.equal(await store.redis.zscore(Keys.pollSchedule(), `${P}/app`), null);
    assert.equal((await store.listFreight(P, 'app')).length, 2);
    assert.equal(await store.deleteWarehouse(P, 'app'), false);
  });

  it('refuses to delete Freight that is a Stage’s current Freight or being promoted', async () => {
    await seed();
    await store.createPromotion(promotion('dev.1.aaaaaaa', 'dev', ID_A));
    await assert.rejects(store.deleteFreight(P, ID_A), {
      code: 'FERRY_ERR_FREIGHT_IN_USE',
      message: `Freight ${ID_A} is being promoted by dev.1.aaaaaaa: wait for it to finish or abort it first`,
    });
    await setPhase('dev.1.aaaaaaa', 'dev', 'Succeeded', true);
    await assert.rejects(store.deleteFreight(P, 'wild-otter'), {
      code: 'FERRY_ERR_FREIGHT_IN_USE',
      message: `Freight ${ID_A} is in use by Stages ("dev"): promote other Freight to them first`,
    });
    assert.ok(await store.getFreight(P, ID_A));
  });

  it('deletes unused Freight by alias with its alias, index entry and records', async () => {
    await seed();
    await store.markFreightVerified(P, ID_B, 'dev', NOW, 'x');
    await store.approveFreight(P, ID_B, 'uat', NOW, 'alice');
    assert.equal(await store.deleteFreight(P, 'calm-heron'), ID_B);
    assert.equal(await store.getFreight(P, ID_B), undefined);
    assert.equal(await store.getFreightByAlias(P, 'calm-heron'), undefined);
    assert.deepEqual(await store.redis.zrange(Keys.freightByWarehouse(P, 'app'), 0, -1), [ID_A]);
    assert.equal(await store.redis.exists(Keys.freightVerified(P, ID_B), Keys.freightApproved(P, ID_B)), 0);
    assert.equal(await store.deleteFreight(P, ID_B), undefined);
  });

  it('deletes only finished Promotions, from both lists', async () => {
    await seed();
    await store.createPromotion(promotion('dev.1.aaaaaaa', 'dev', ID_A));
    await store.recordPromotionApproval(P, 'dev.1.aaaaaaa', { by: 'alice', at: NOW });
    await assert.rejects(store.deletePromotion(P, 'dev.1.aaaaaaa'), {
      code: 'FERRY_ERR_PROMOTION_NOT_FINISHED',
      message:
        'Promotion "dev.1.aaaaaaa" is Pending: abort it with "ferry abort promotion dev.1.aaaaaaa -p shop" (or wait for it to finish), then delete it',
    });
    await setPhase('dev.1.aaaaaaa', 'dev', 'Aborted');
    assert.equal(await store.deletePromotion(P, 'dev.1.aaaaaaa'), true);
    assert.equal(await store.getPromotion(P, 'dev.1.aaaaaaa'), undefined);
    assert.deepEqual(await store.listPromotions(P), []);
    assert.deepEqual(await store.redis.zrange(Keys.stagePromotions(P, 'dev'), 0, -1), []);
    assert.equal(await store.redis.exists(Keys.promotionApprovals(P, 'dev.1.aaaaaaa')), 0);
    assert.equal(await store.deletePromotion(P, 'dev.1.aaaaaaa'), false);
  });

  it('refuses to delete a Stage with a Running Promotion unless forced', async () => {
    await seed();
    await store.createPromotion(promotion('dev.1.aaaaaaa', 'dev', ID_A));
    await setPhase('dev.1.aaaaaaa', 'dev', 'Running');
    await store.createPromotion(promotion('dev.2.bbbbbbb', 'dev', ID_B));
    await assert.rejects(store.deleteStage(P, 'dev'), {
      code: 'FERRY_ERR_PROMOTION_RUNNING',
      message:
        'Stage "dev" has a Running Promotion (dev.1.aaaaaaa): wait for it to finish, abort it with "ferry abort promotion dev.1.aaaaaaa -p shop", or delete with --force (which aborts it)',
    });
    assert.ok(await store.getStage(P, 'dev'));
    assert.deepEqual(await store.deleteStage(P, 'dev', { force: true }), {
      deleted: true,
      open: ['dev.1.aaaaaaa', 'dev.2.bbbbbbb'],
    });
    assert.equal(await store.getStage(P, 'dev'), undefined);
  });

  it('deletes a Stage with every key describing its state; its Promotions stay as records', async () => {
    await seed();
    await store.createPromotion(promotion('dev.1.aaaaaaa', 'dev', ID_A));
    await setPhase('dev.1.aaaaaaa', 'dev', 'Succeeded', true);
    await store.createPromotion(promotion('dev.2.bbbbbbb', 'dev', ID_B));
    await store.markFreightVerified(P, ID_A, 'dev', NOW, 'dev.1.aaaaaaa');
    await store.markFreightVerified(P, ID_A, 'uat', NOW, 'uat.1');
    await store.approveFreight(P, ID_B, 'dev', NOW, 'alice');
    await store.rejectFreight(P, ID_B, 'dev', { rejectedAt: NOW, by: 'bob', reason: 'no' });
    await store.putStageVerification(P, 'dev', { run: 1 }, { dueAt: 5, finished: { run: 0 } });
    await store.setStageHold(P, 'dev', 'Warehouse/app', {
      freight: ID_A,
      origin: { kind: 'Warehouse', name: 'app' },
      promotion: 'dev.1.aaaaaaa',
      actor: 'alice',
      createdAt: NOW,
    });
    await store.scheduleKick(P, 'dev', 10);
    await store.redis.set(`ferry:p:${P}:auto:dev:${ID_A}`, 'dev.1.aaaaaaa');
    await store.redis.set(`ferry:p:${P}:auto:dev:${ID_A}:2`, 'dev.3');
    await store.redis.set(`ferry:p:${P}:auto:uat:${ID_A}`, 'uat.1');
    await store.redis.hset(Keys.stageHealth(P, 'dev'), 'json', '{}', 'fp', 'x');

    assert.deepEqual(await store.deleteStage(P, 'dev'), { deleted: true, open: ['dev.2.bbbbbbb'] });

    assert.deepEqual(
      (await store.listStages(P)).map((s) => s.metadata.name),
      ['uat'],
    );
    const gone = [
      Keys.stageHistory(P, 'dev'),
      Keys.stageVerification(P, 'dev'),
      Keys.stageVerificationHistory(P, 'dev'),
      Keys.stageHolds(P, 'dev'),
      Keys.stageHealth(P, 'dev'),
      `ferry:p:${P}:auto:dev:${ID_A}`,
      `ferry:p:${P}:auto:dev:${ID_A}:2`,
    ];
    for (const k of gone) assert.equal(await store.redis.exists(k), 0, k);
    assert.equal(await store.redis.exists(`ferry:p:${P}:auto:uat:${ID_A}`), 1);
    assert.equal(await store.redis.zscore(Keys.verificationsDue(), `${P}/dev`), null);
    assert.equal(await store.redis.zscore(Keys.kicksDue(), `${P}/dev`), null);
    const a = (await store.getFreight(P, ID_A))!;
    assert.deepEqual(Object.keys(a.status.verifiedIn), ['uat']);
    const b = (await store.getFreight(P, ID_B))!;
    assert.deepEqual(b.status.approvedFor, {});
    assert.equal(b.status.rejected, undefined);
    // The Promotions are the record of what was asked; the promoter aborts the open one.
    assert.deepEqual(
      (await store.listPromotions(P, 'dev')).map((p) => [p.metadata.name, p.status.phase]),
      [
        ['dev.1.aaaaaaa', 'Succeeded'],
        ['dev.2.bbbbbbb', 'Pending'],
      ],
    );
    assert.deepEqual(await store.deleteStage(P, 'dev'), { deleted: false });
  });

  it('deletes PromotionTasks, AnalysisTemplates and the ProjectConfig', async () => {
    await seed();
    await store.applyPromotionTasks([{ kind: 'PromotionTask', name: 'push', project: P }]);
    await store.applyAnalysisTemplates([
      { project: P, template: { kind: 'AnalysisTemplate', name: 'smoke' } },
    ]);
    await store.applyResources(
      [
        {
          project: P,
          resource: {
            apiVersion: 'kargo.akuity.io/v1alpha1',
            kind: 'ProjectConfig',
            metadata: { name: P, namespace: P },
            spec: {},
          } as never,
        },
      ],
      NOW,
    );
    assert.equal(await store.deletePromotionTask(P, 'push'), true);
    assert.equal(await store.getPromotionTask(P, 'push'), undefined);
    assert.equal(await store.deletePromotionTask(P, 'push'), false);
    assert.equal(await store.deleteAnalysisTemplate(P, 'smoke'), true);
    assert.equal(await store.getAnalysisTemplate(P, 'smoke'), undefined);
    assert.equal(await store.deleteAnalysisTemplate(P, 'smoke'), false);
    assert.equal(await store.deleteProjectConfig(P), true);
    assert.equal(await store.getProjectConfig(P), undefined);
    assert.equal(await store.deleteProjectConfig(P), false);
  });

  it('deletes a Secret with its credential index entry and bumps the version', async () => {
    const secrets = new SecretStore(store.redis, Buffer.alloc(32, 7).toString('base64'), { recheckMs: 0 });
    await secrets.put({
      project: P,
      name: 'repo',
      data: { repoURL: 'https://git.example.com/app.git', username: 'u', password: 'p' },
      labels: { 'kargo.akuity.io/cred-type': 'git' },
    } as never);
    assert.ok(await secrets.credentialsFor(P, 'git' as never, 'https://git.example.com/app.git'));
    const version = Number(await store.redis.get(Keys.credentialVersion(P)));
    assert.equal(await secrets.delete(P, 'repo'), true);
    assert.equal(await store.redis.exists(Keys.secret(P, 'repo')), 0);
    assert.deepEqual(await store.redis.hgetall(Keys.credentialIndex(P, 'git')), {});
    assert.equal(Number(await store.redis.get(Keys.credentialVersion(P))), version + 1);
    assert.equal(
      await secrets.credentialsFor(P, 'git' as never, 'https://git.example.com/app.git'),
      undefined,
    );
    assert.equal(await secrets.delete(P, 'repo'), false);
  });

  it('deletes a Project and every key under it, in SCAN batches; refuses while a Promotion runs', async () => {
    await seed();
    await store.applyResources(
      [
        {
          project: 'other',
          resource: {
            apiVersion: 'kargo.akuity.io/v1alpha1',
            kind: 'Project',
            metadata: { name: 'other' },
          } as never,
        },
        { project: 'other', resource: warehouse('app') },
      ],
      NOW,
    );
    await store.scheduleDiscovery('other', 'app', 1000);
    // More keys than one SCAN batch.
    const pipe = store.redis.pipeline();
    for (let i = 0; i < 1200; i++) pipe.set(`ferry:p:${P}:freight:${i}:verified`, 'x');
    await pipe.exec();
    await store.createPromotion(promotion('dev.1.aaaaaaa', 'dev', ID_A));
    await setPhase('dev.1.aaaaaaa', 'dev', 'Running');
    await store.scheduleKick(P, 'dev', 10);
    await assert.rejects(store.deleteProject(P), {
      code: 'FERRY_ERR_PROMOTION_RUNNING',
      message:
        'Project "shop" has Running Promotions (dev.1.aaaaaaa): wait for them, abort them, or delete with --force',
    });
    const removed = await store.deleteProject(P, { force: true });
    assert.ok(removed !== undefined && removed > 1200, String(removed));
    assert.equal(await store.getProject(P), undefined);
    let cursor = '0';
    const left: string[] = [];
    do {
      const [next, keys] = await store.redis.scan(cursor, 'MATCH', `ferry:p:${P}:*`, 'COUNT', 1000);
      cursor = next;
      left.push(...keys);
    } while (cursor !== '0');
    assert.deepEqual(left, []);
    assert.deepEqual(await store.redis.zrange(Keys.pollSchedule(), 0, -1), ['other/app']);
    assert.deepEqual(await store.redis.smembers(Keys.activeStages()), []);
    assert.deepEqual(await store.redis.zrange(Keys.kicksDue(), 0, -1), []);
    assert.ok(await store.getWarehouse('other', 'app'));
    assert.equal(await store.deleteProject(P), undefined);
  });
});
