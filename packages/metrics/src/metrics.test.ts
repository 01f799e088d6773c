import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leaseAcquire, leaseKind, registry, startDefaultMetrics } from './metrics.ts';

test('leaseKind is the prefix before the first colon', () => {
  const cases: [string, string][] = [
    ['stage:p1/dev', 'stage'],
    ['git:https://example/repo.git', 'git'],
    ['reconcile', 'reconcile'],
    [':odd', ''],
  ];
  for (const [name, kind] of cases) assert.equal(leaseKind(name), kind, name);
});

test('the registry serves Ferry metrics and default process metrics with the ferry_ prefix', async () => {
  startDefaultMetrics();
  startDefaultMetrics();
  leaseAcquire.inc({ kind: 'stage', outcome: 'busy' });
  const text = await registry.metrics();
  assert.match(text, /^ferry_lease_acquire_total\{kind="stage",outcome="busy"\} 1$/m);
  assert.match(text, /^# TYPE ferry_process_cpu_seconds_total counter$/m);
  assert.match(text, /^# TYPE ferry_consumer_pending gauge$/m);
});
