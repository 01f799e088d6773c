import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registry } from '@ferry/metrics';
import { NO_CACHE, type TagMeta } from './discover.ts';
import {
  countingCache,
  forgetDiscoverySeries,
  recordRegistryRequest,
  startDiscoveryTimer,
} from './service.ts';

test('recordRegistryRequest counts requests by status, 429s and their waits', async () => {
  recordRegistryRequest({
    registry: 'metrics-test.io',
    method: 'GET',
    status: 429,
    ms: 20,
    retryWaitMs: 1500,
  });
  recordRegistryRequest({ registry: 'metrics-test.io', method: 'GET', status: 200, ms: 30 });
  recordRegistryRequest({ registry: 'metrics-test.io', method: 'HEAD', status: 'error', ms: 5 });
  const text = await registry.metrics();
  for (const line of [
    'ferry_registry_requests_total{registry="metrics-test.io",code="429"} 1',
    'ferry_registry_requests_total{registry="metrics-test.io",code="200"} 1',
    'ferry_registry_requests_total{registry="metrics-test.io",code="error"} 1',
    'ferry_registry_rate_limited_total{registry="metrics-test.io"} 1',
    'ferry_registry_rate_limit_wait_seconds_total{registry="metrics-test.io"} 1.5',
    'ferry_registry_request_duration_seconds_count{registry="metrics-test.io"} 3',
  ]) {
    assert.ok(text.split('\n').includes(line), `missing: ${line}`);
  }
});

test('countingCache counts hits and misses per kind and passes results through', async () => {
  const before = async (kind: string, result: string) =>
    (await registry.getSingleMetric('ferry_discovery_cache_lookups_total')?.get())?.values.find(
      (v) => v.labels.kind === kind && v.labels.result === result,
    )?.value ?? 0;
  const base = {
    tagHit: await before('tag', 'hit'),
    tagMiss: await before('tag', 'miss'),
    imageMiss: await before('image', 'miss'),
  };
  const tags = new Map<string, TagMeta>([['1.0', { digest: 'sha256:a' }]]);
  const cache = countingCache({ ...NO_CACHE, getTags: async () => tags });
  assert.equal(await cache.getTags('s', ['1.0', '1.1', '1.2']), tags);
  assert.equal((await cache.getImages('s', ['sha256:b'])).size, 0);
  assert.equal(await cache.swapTagListHash('r', 'h'), undefined);
  assert.equal(await before('tag', 'hit'), base.tagHit + 1);
  assert.equal(await before('tag', 'miss'), base.tagMiss + 2);
  assert.equal(await before('image', 'miss'), base.imageMiss + 1);
});

test('startDiscoveryTimer records the histogram by project only and the per-Warehouse gauges; forgetDiscoverySeries drops them', async () => {
  const at = new Date('2026-11-26T12:00:00Z');
  const seconds = startDiscoveryTimer('metrics-p', 'w1', () => at)();
  startDiscoveryTimer('metrics-p', 'w2', () => at)();
  assert.ok(seconds >= 0 && seconds < 5, `duration ${seconds}`);
  const lines = (await registry.metrics()).split('\n');
  assert.ok(lines.includes('ferry_discovery_duration_seconds_count{project="metrics-p"} 2'));
  assert.equal(
    lines.filter((l) => l.startsWith('ferry_discovery_duration_seconds') && l.includes('warehouse=')).length,
    0,
  );
  assert.ok(
    lines.includes(`ferry_discovery_last_duration_seconds{project="metrics-p",warehouse="w1"} ${seconds}`),
  );
  for (const w of ['w1', 'w2']) {
    assert.ok(
      lines.includes(
        `ferry_discovery_last_timestamp_seconds{project="metrics-p",warehouse="${w}"} ${at.getTime() / 1000}`,
      ),
      w,
    );
  }
  forgetDiscoverySeries('metrics-p', 'w1');
  const after = await registry.metrics();
  assert.doesNotMatch(after, /warehouse="w1"/);
  assert.match(after, /ferry_discovery_last_timestamp_seconds\{project="metrics-p",warehouse="w2"\}/);
});
