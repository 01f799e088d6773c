import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FleetOptions, replicaCount, type ServiceName } from './launcher.ts';

test('replicaCount: a number scales every service but the api; a map sets each', () => {
  const cases: [ServiceName, FleetOptions['replicas'], number][] = [
    ['promoter', undefined, 1],
    ['promoter', 3, 3],
    ['api', 3, 1],
    ['api', { api: 2 }, 2],
    ['git-writer', { promoter: 3 }, 1],
    ['git-writer', { 'git-writer': 4 }, 4],
  ];
  for (const [service, replicas, want] of cases)
    assert.equal(replicaCount(service, replicas), want, `${service} ${JSON.stringify(replicas)}`);
});

test('replicaCount rejects counts below one or fractional', () => {
  assert.throws(() => replicaCount('promoter', 0), {
    message: 'replicas of promoter must be a whole number of at least 1, got 0',
  });
  assert.throws(() => replicaCount('promoter', { promoter: 1.5 }), {
    message: 'replicas of promoter must be a whole number of at least 1, got 1.5',
  });
});
