import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FreightDiscovered } from '@ferry/contracts';
import { registry } from '@ferry/metrics';
import { createLogger } from '@ferry/observability';
import { startNatsServer, type TestNatsServer } from '@ferry/support';
import { Bus } from './bus.ts';

// The JetStream lag gauges, sampled from consumer info on the bus's interval, against a private
// nats-server: messages waiting show as num_pending, messages held by a slow handler as ack_pending.

let nats: TestNatsServer;
let bus: Bus;

before(async () => {
  nats = await startNatsServer();
  bus = await Bus.connect({
    servers: nats.url,
    name: 'lag-test',
    log: createLogger('lag-test', 'silent'),
    maxDeliver: 3,
    pendingIntervalMs: 50,
  });
});
after(async () => {
  await bus.close();
  await nats.close();
});

const payload = (warehouse: string): FreightDiscovered => ({
  project: 'lag',
  warehouse,
  images: [{ repoURL: 'r/a', tag: '1.0.0', digest: `sha256:${'a'.repeat(64)}` }],
  discoveredAt: '2026-11-26T10:00:00Z',
});

const gauge = async (name: string, durable: string) => {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return m?.values.find((v) => v.labels.durable === durable)?.value;
};

const eventually = async (what: string, check: () => Promise<boolean>) => {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

test('lag gauges show held messages as ack_pending and waiting ones as num_pending, then drain to 0', async () => {
  const durable = 't-lag';
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const handled: string[] = [];
  // Create the consumer first (events consumers start at new messages), then fill it.
  const c = await bus.consume({
    type: 'FreightDiscovered',
    durable,
    concurrency: 2,
    handler: async (p) => {
      await gate;
      handled.push(p.warehouse);
    },
  });
  for (let i = 0; i < 10; i++) await bus.publish('FreightDiscovered', payload(`w${i}`), `lag-${i}`);

  await eventually('both gauges to show the backlog', async () => {
    const ack = await gauge('ferry_consumer_ack_pending', durable);
    const pending = await gauge('ferry_consumer_num_pending', durable);
    const sum = await gauge('ferry_consumer_pending', durable);
    return (
      ack !== undefined &&
      ack > 0 &&
      pending !== undefined &&
      pending > 0 &&
      sum === ack + pending &&
      sum === 10
    );
  });

  release();
  await eventually('all ten handled', async () => handled.length === 10);
  await eventually('the gauges to drain', async () => {
    const values = await Promise.all(
      ['ferry_consumer_ack_pending', 'ferry_consumer_num_pending', 'ferry_consumer_pending'].map((n) =>
        gauge(n, durable),
      ),
    );
    return values.every((v) => v === 0);
  });
  await c.stop();
});
