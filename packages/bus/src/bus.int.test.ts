import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FreightDiscovered } from '@ferry/contracts';
import { createLogger } from '@ferry/observability';
import { startNatsServer, type TestNatsServer } from '@ferry/support';
import { Bus } from './bus.ts';
import { PermanentError, RetryLater } from './errors.ts';

let nats: TestNatsServer;
let bus: Bus;

before(async () => {
  nats = await startNatsServer();
  bus = await Bus.connect({
    servers: nats.url,
    name: 'bus-test',
    log: createLogger('bus-test', 'silent'),
    maxDeliver: 3,
  });
});
after(async () => {
  await bus.close();
  await nats.close();
});

const payload = (warehouse: string): FreightDiscovered => ({
  project: 'p1',
  warehouse,
  images: [{ repoURL: 'r/a', tag: '1.0.0', digest: `sha256:${'a'.repeat(64)}` }],
  discoveredAt: '2026-11-26T10:00:00Z',
});

const deadLetters = async () => {
  const info = await bus.jsm.streams.info('FERRY_DEAD_LETTER');
  return info.state.messages;
};

test('a message published twice with one id is delivered once', async () => {
  const seen: string[] = [];
  const c = await bus.consume({
    type: 'FreightDiscovered',
    durable: 't-dedupe',
    handler: async (p) => void seen.push(p.warehouse),
  });
  await bus.publish('FreightDiscovered', payload('w1'), 'id-1');
  await bus.publish('FreightDiscovered', payload('w1'), 'id-1');
  await bus.publish('FreightDiscovered', payload('w2'), 'id-2');
  for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  await c.stop();
  assert.deepEqual(seen.sort(), ['w1', 'w2']);
});

test('a failing handler is retried, then its message moves to dead letters and the next one flows', async () => {
  const before = await deadLetters();
  const attempts = new Map<string, number>();
  const c = await bus.consume({
    type: 'RefreshWarehouse',
    durable: 't-retry',
    handler: async (p, ctx) => {
      attempts.set(p.warehouse, ctx.deliveryCount);
      if (p.warehouse === 'poison') throw new Error('registry said no');
    },
  });
  await bus.publish('RefreshWarehouse', { project: 'p1', warehouse: 'poison' }, 'r-poison');
  await bus.publish('RefreshWarehouse', { project: 'p1', warehouse: 'fine' }, 'r-fine');
  for (let i = 0; i < 200 && (await deadLetters()) === before; i++)
    await new Promise((r) => setTimeout(r, 25));
  await c.stop();
  assert.equal(attempts.get('poison'), 3, 'three deliveries (FERRY_MAX_DELIVER)');
  assert.equal(attempts.get('fine'), 1, 'the next message was not blocked');
  assert.equal(await deadLetters(), before + 1);
  const dead = await bus.jsm.streams.getMessage('FERRY_DEAD_LETTER', {
    last_by_subj: 'ferry.v1.dead.cmd.poller.refresh.p1',
  });
  assert.equal(dead!.header.get('Ferry-Dead-Reason'), 'registry said no');
  assert.equal(dead!.header.get('Ferry-Original-Subject'), 'ferry.v1.cmd.poller.refresh.p1');
  assert.deepEqual(dead!.json(), { project: 'p1', warehouse: 'poison' });
});

test('RetryLater redelivers after its delay and is acknowledged, not dead-lettered, after the last delivery', async () => {
  // A work-queue stream takes one consumer per subject filter: the earlier test's must go first. Its
  // dead-lettered message must be gone from the stream, or this consumer would get it.
  await bus.jsm.consumers.delete('FERRY_COMMANDS', 't-retry');
  const before = await deadLetters();
  const seen: Array<{ n: number; at: number }> = [];
  const c = await bus.consume({
    type: 'RefreshWarehouse',
    durable: 't-later',
    handler: async (_p, ctx) => {
      seen.push({ n: ctx.deliveryCount, at: Date.now() });
      throw new RetryLater('nothing new yet', 300);
    },
  });
  await bus.publish('RefreshWarehouse', { project: 'p1', warehouse: 'later' }, 'r-later');
  for (let i = 0; i < 200 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 25));
  // Time for a fourth delivery, were the third not acknowledged.
  await new Promise((r) => setTimeout(r, 600));
  await c.stop();
  assert.deepEqual(
    seen.map((s) => s.n),
    [1, 2, 3],
  );
  // A lower bound: JetStream waits at least the delay asked before redelivering.
  assert.ok(seen[1]!.at - seen[0]!.at >= 250, `redelivered after ${seen[1]!.at - seen[0]!.at} ms`);
  assert.equal(await deadLetters(), before, 'not dead-lettered');
});

test('a payload that fails its schema, or a PermanentError, goes to dead letters at once', async () => {
  const before = await deadLetters();
  let calls = 0;
  const c = await bus.consume({
    type: 'MarkFreightVerified',
    durable: 't-bad',
    handler: async () => {
      calls++;
      throw new PermanentError('never going to work');
    },
  });
  await bus.js.publish(
    'ferry.v1.cmd.freight.verify.p1',
    JSON.stringify({ project: 'p1', freight: 'not-a-sha' }),
    { msgID: 'bad-1' },
  );
  await bus.publish(
    'MarkFreightVerified',
    { project: 'p1', freight: 'a'.repeat(40), stage: 'dev', verifiedAt: '2026-11-26T10:00:00Z' },
    'perm-1',
  );
  for (let i = 0; i < 200 && (await deadLetters()) < before + 2; i++)
    await new Promise((r) => setTimeout(r, 25));
  await c.stop();
  assert.equal(calls, 1, 'the bad payload never reached the handler; the permanent error was not retried');
  const dead = await bus.jsm.streams.getMessage('FERRY_DEAD_LETTER', {
    seq: (await bus.jsm.streams.info('FERRY_DEAD_LETTER')).state.first_seq + before,
  });
  assert.match(
    dead!.header.get('Ferry-Dead-Reason'),
    /^MarkFreightVerified message: \/stage: Expected required property; \/verifiedAt: Expected required property; \/freight: Expected string to match/,
  );
});
