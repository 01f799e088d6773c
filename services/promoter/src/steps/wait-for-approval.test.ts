import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight } from '@ferry/contracts';
import type { StepContext } from './types.ts';
import { type ApprovalDecision, countApprovals, waitForApproval } from './wait-for-approval.ts';

const yes = (by: string, at = '2026-03-01T10:00:00Z'): ApprovalDecision => ({ by, at });
const no = (by: string, reason?: string, at = '2026-03-01T11:00:00Z'): ApprovalDecision => ({
  by,
  at,
  reject: true,
  ...(reason ? { reason } : {}),
});

test('countApprovals: N distinct users approve; any rejection fails', () => {
  // [case, decisions, needed, message, expected]
  const cases: Array<[string, ApprovalDecision[], number, string | undefined, unknown]> = [
    ['nobody yet', [], 1, undefined, { status: 'Running', message: 'waiting for approval (0/1)' }],
    [
      'nobody yet, with the step message',
      [],
      2,
      'needs two SREs',
      { status: 'Running', message: 'needs two SREs; waiting for approval (0/2)' },
    ],
    [
      'one of two',
      [yes('alice')],
      2,
      undefined,
      { status: 'Running', message: 'waiting for approval (1/2: alice)' },
    ],
    [
      'two of two',
      [yes('bob', '2026-03-01T10:05:00Z'), yes('alice')],
      2,
      undefined,
      { status: 'Succeeded', message: 'approved by alice, bob', outputs: { approvedBy: ['alice', 'bob'] } },
    ],
    [
      'the same user twice counts once',
      [yes('alice'), yes('alice', '2026-03-01T10:01:00Z')],
      2,
      undefined,
      { status: 'Running', message: 'waiting for approval (1/2: alice)' },
    ],
    [
      'a rejection with a reason',
      [yes('alice'), no('carol', 'not on a Friday')],
      2,
      undefined,
      { status: 'Failed', message: 'rejected by carol: not on a Friday' },
    ],
    [
      'a rejection without a reason',
      [no('carol')],
      1,
      undefined,
      { status: 'Failed', message: 'rejected by carol' },
    ],
    [
      'a rejection wins even after enough approvals',
      [yes('alice'), no('dave', 'wait', '2026-03-01T10:00:01Z')],
      1,
      undefined,
      { status: 'Failed', message: 'rejected by dave: wait' },
    ],
    [
      'the earliest rejection is named',
      [no('erin', 'late', '2026-03-01T12:00:00Z'), no('carol', 'first')],
      1,
      undefined,
      { status: 'Failed', message: 'rejected by carol: first' },
    ],
  ];
  for (const [name, decisions, needed, message, expected] of cases) {
    assert.deepEqual(countApprovals(decisions, needed, message), expected, name);
  }
});

test('wait-for-approval reads the decisions of its own Promotion and checks its config', async () => {
  const asked: string[] = [];
  const ctx = (config: Record<string, unknown>): StepContext => ({
    project: 'demo',
    stage: 'prod',
    promotion: 'prod.01abc.abc1234',
    stepIndex: 0,
    alias: 'gate',
    freight: {} as Freight,
    config,
    outputs: {},
    workspace: { checkouts: [], edits: [], messages: {} },
    results: {
      gitWrite: async () => undefined,
      argocdOp: async () => undefined,
      approvals: async (name) => {
        asked.push(name);
        return [yes('alice')];
      },
    },
    defaults: { argocdTimeoutSeconds: 300 },
    elapsedMs: 0,
  });
  assert.deepEqual(await waitForApproval.run(ctx({})), {
    status: 'Succeeded',
    message: 'approved by alice',
    outputs: { approvedBy: ['alice'] },
  });
  assert.deepEqual(await waitForApproval.run(ctx({ approvals: 2 })), {
    status: 'Running',
    message: 'waiting for approval (1/2: alice)',
  });
  assert.deepEqual(asked, ['prod.01abc.abc1234', 'prod.01abc.abc1234']);
  await assert.rejects(waitForApproval.run(ctx({ approvals: 0 })), /wait-for-approval config/);
});
