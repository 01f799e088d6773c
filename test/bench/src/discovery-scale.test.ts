import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discoveryScaleArgs } from './discovery-scale.ts';

test('discovery-scale options: interval and poller node flags', () => {
  assert.deepEqual(discoveryScaleArgs([]), {});
  assert.deepEqual(discoveryScaleArgs(['--interval=20s']), { intervalMs: 20_000 });
  assert.deepEqual(discoveryScaleArgs(['--interval=1m0s']), { intervalMs: 60_000 });
  assert.deepEqual(
    discoveryScaleArgs(['--poller-node-options=--max-old-space-size=96  --max-semi-space-size=2']),
    { pollerNodeArgs: ['--max-old-space-size=96', '--max-semi-space-size=2'] },
  );
  assert.deepEqual(discoveryScaleArgs(['--poller-build=source']), { pollerBuild: 'source' });
  assert.deepEqual(discoveryScaleArgs(['--poller-build=bundle']), { pollerBuild: 'bundle' });
});

test('discovery-scale options: each bad one is named with what it takes', () => {
  const cases: [string, string][] = [
    [
      '--interval=1500ms',
      '--interval must be a Go duration of whole seconds, at least 1s (like --interval=20s), got "1500ms"',
    ],
    [
      '--interval=soon',
      '--interval must be a Go duration of whole seconds, at least 1s (like --interval=20s), got "soon"',
    ],
    [
      '--poller-node-options=max-old-space-size=96',
      '--poller-node-options takes node flags, each starting with "--" (like --poller-node-options="--max-old-space-size=96"), got "max-old-space-size=96"',
    ],
    [
      '--fast',
      'unknown option "--fast"; pnpm bench takes --interval=<duration>, --poller-node-options=<flags> and --poller-build=bundle|source (for discovery-scale)',
    ],
    ['--poller-build=fast', '--poller-build must be bundle or source, got "fast"'],
    ['--poller-build', '--poller-build must be bundle or source, got ""'],
  ];
  for (const [arg, message] of cases) assert.throws(() => discoveryScaleArgs([arg]), { message }, arg);
});
