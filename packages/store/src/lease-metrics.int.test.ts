import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { registry } from '@ferry/metrics';
import { Store } from './store.ts';

// Lease contention and hold time as Prometheus sees them, against a real Redis (database 4).

let store: Store;
before(async () => {
  store = Store.connect('redis://127.0.0.1:6379/4', 'lease-metrics-test');
  await store.redis.flushdb();
});
after(async () => {
  await store.redis.flushdb();
  await store.close();
});

// The value of one counter series, 0 when it has no sample yet.
const sample = async (name: string, labels: Record<string, string>): Promise<number> => {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) =>
    Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return value?.value ?? 0;
};

test('a busy acquisition counts as contention and a release records the hold time by lease kind', async () => {
  const busyBefore = await sample('ferry_lease_acquire_total', { kind: 'lmt', outcome: 'busy' });
  const lease = await store.acquireLease('lmt:repo#main', 5_000);
  assert.ok(lease);
  assert.equal(await store.acquireLease('lmt:repo#main', 5_000), undefined);
  assert.equal(await store.acquireLease('lmt:repo#main', 5_000), undefined);
  assert.equal(await sample('ferry_lease_acquire_total', { kind: 'lmt', outcome: 'busy' }), busyBefore + 2);
  assert.equal(await sample('ferry_lease_acquire_total', { kind: 'lmt', outcome: 'acquired' }), 1);

  await new Promise((r) => setTimeout(r, 120));
  await store.releaseLease(lease);
  const text = await registry.metrics();
  assert.match(text, /^ferry_lease_hold_seconds_count\{kind="lmt"\} 1$/m);
  const held = Number(/^ferry_lease_hold_seconds_sum\{kind="lmt"\} (\S+)$/m.exec(text)?.[1]);
  assert.ok(held >= 0.1 && held < 5, `held ${held}s`);
  assert.match(text, /^ferry_lease_hold_seconds_bucket\{le="0.1",kind="lmt"\} 0$/m);
  assert.match(text, /^ferry_lease_hold_seconds_bucket\{le="0.25",kind="lmt"\} 1$/m);

  // Releasing again (or a copy of the lease) records nothing more.
  await store.releaseLease(lease);
  await store.releaseLease({ ...lease });
  assert.match(await registry.metrics(), /^ferry_lease_hold_seconds_count\{kind="lmt"\} 1$/m);
});
