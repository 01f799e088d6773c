import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Freight, Promotion } from '@ferry/contracts';
import { Store } from './store.ts';

let store: Store;
before(async () => {
  store = Store.connect('redis://127.0.0.1:6379/10', 'store-test');
  await store.redis.flushdb();
});
after(async () => {
  await store.redis.flushdb();
  await store.close();
});

const freight = (id: string, alias: string): Freight => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name: id, namespace: 'p' },
  alias,
  origin: { kind: 'Warehouse', name: 'w' },
  images: [],
  commits: [],
  charts: [],
  status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
});

test('Freight is created once; an alias held by another id is refused', async () => {
  assert.equal(await store.createFreight(freight('a'.repeat(40), 'wild-otter'), 1), 'created');
  assert.equal(await store.createFreight(freight('a'.repeat(40), 'wild-otter'), 2), 'exists');
  assert.equal(await store.createFreight(freight('b'.repeat(40), 'wild-otter'), 3), 'alias-taken');
  assert.equal(await store.createFreight(freight('b'.repeat(40), 'calm-heron'), 4), 'created');
  assert.deepEqual(
    (await store.listFreight('p', 'w')).map((f) => f.alias),
    ['calm-heron', 'wild-otter'],
  );
  assert.equal((await store.getFreightByAlias('p', 'calm-heron'))?.metadata.name, 'b'.repeat(40));
  assert.equal(await store.markFreightVerified('p', 'a'.repeat(40), 'dev', 't1', 'pr1'), true);
  assert.equal(await store.markFreightVerified('p', 'a'.repeat(40), 'dev', 't2', 'pr2'), false);
  assert.deepEqual((await store.getFreight('p', 'a'.repeat(40)))?.status.verifiedIn, {
    dev: { verifiedAt: 't1', promotion: 'pr1' },
  });
});

const promotion = (name: string): Promotion => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Promotion',
  metadata: { name, namespace: 'p' },
  spec: { stage: 'dev', freight: 'a'.repeat(40), steps: [] },
  status: { phase: 'Pending', currentStep: 0, stepExecutionMetadata: [], state: {}, revision: 0 },
});

test('Promotions queue in request order; status changes are compare-and-set', async () => {
  assert.ok((await store.createPromotion(promotion('dev.1.aaaaaaa'))) > 0);
  assert.ok((await store.createPromotion(promotion('dev.2.aaaaaaa'))) > 0);
  assert.equal(await store.createPromotion(promotion('dev.1.aaaaaaa')), 0, 'same name: nothing new');
  assert.deepEqual(
    (await store.listPromotions('p', 'dev')).map((p) => p.metadata.name),
    ['dev.1.aaaaaaa', 'dev.2.aaaaaaa'],
  );
  const p = (await store.getPromotion('p', 'dev.1.aaaaaaa'))!;
  const next = { ...p.status, phase: 'Succeeded' as const };
  const entry = { freight: 'a'.repeat(40), promotion: 'dev.1.aaaaaaa', promotedAt: 't' };
  assert.equal(await store.casPromotionStatus('p', 'dev.1.aaaaaaa', 'dev', 0, next, entry), true);
  assert.equal(
    await store.casPromotionStatus('p', 'dev.1.aaaaaaa', 'dev', 0, next, entry),
    false,
    'a stale writer loses',
  );
  const stored = (await store.getPromotion('p', 'dev.1.aaaaaaa'))!;
  assert.equal(stored.status.phase, 'Succeeded');
  assert.equal(stored.status.revision, 1);
  assert.deepEqual(await store.stageHistory('p', 'dev'), [entry], 'history written once, with the status');
});

test('a lease has one holder at a time and a growing fence', async () => {
  const a = await store.acquireLease('git:r#main', 5_000);
  assert.ok(a);
  assert.equal(await store.acquireLease('git:r#main', 5_000), undefined);
  await store.releaseLease({ ...a, token: 'someone-else' });
  assert.equal(await store.acquireLease('git:r#main', 5_000), undefined, 'only the holder can release');
  await store.releaseLease(a);
  const b = await store.acquireLease('git:r#main', 5_000);
  assert.ok(b && b.fence > a.fence);
  assert.equal(await store.renewLease(a, 5_000), false, 'the old holder cannot renew');
  assert.equal(await store.currentFence('git:r#main'), b.fence);
});
