import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight, Promotion, PromotionStatus, StepExecution } from '@ferry/contracts';
import { approvalGateOf, freightStandings, hasRole, type Identity, rejectionsOf } from './gates.ts';

const gated = (
  status: Partial<PromotionStatus>,
  exec: StepExecution[],
  config: Record<string, unknown> = { approvals: 2, message: 'change window is Tuesday' },
): Promotion => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Promotion',
  metadata: { name: 'prod.01.ccccccc', namespace: 'shop' },
  spec: {
    stage: 'prod',
    freight: 'c'.repeat(40),
    steps: [{ uses: 'git-clone' }, { uses: 'wait-for-approval', as: 'gate', config }, { uses: 'git-push' }],
  },
  status: {
    phase: 'Running',
    currentStep: 1,
    stepExecutionMetadata: exec,
    state: {},
    revision: 3,
    ...status,
  },
});
const done: StepExecution = { alias: 'step-0', uses: 'git-clone', status: 'Succeeded' };
const waiting = (message: string): StepExecution => ({
  alias: 'gate',
  uses: 'wait-for-approval',
  status: 'Running',
  message,
});

test('approvalGateOf reads the gate a Promotion waits at, with approvals so far and how many are needed', () => {
  const cases: Array<[string, Promotion, ReturnType<typeof approvalGateOf>]> = [
    [
      'one of two approved',
      gated({}, [done, waiting('change window is Tuesday; waiting for approval (1/2: alice)')]),
      { step: 'gate', index: 1, needed: 2, approvedBy: ['alice'], prompt: 'change window is Tuesday' },
    ],
    [
      'two of three',
      gated({}, [done, waiting('waiting for approval (2/3: alice, bob)')], { approvals: 3 }),
      { step: 'gate', index: 1, needed: 3, approvedBy: ['alice', 'bob'] },
    ],
    [
      'the step has not reported yet: the config decides',
      gated({}, [done], { approvals: 2 }),
      { step: 'gate', index: 1, needed: 2, approvedBy: [] },
    ],
    [
      'no approvals config: one',
      gated({ phase: 'Pending' }, [done], {}),
      { step: 'gate', index: 1, needed: 1, approvedBy: [] },
    ],
    [
      'none yet',
      gated({}, [done, waiting('waiting for approval (0/1)')], {}),
      { step: 'gate', index: 1, needed: 1, approvedBy: [] },
    ],
    ['at another step', gated({ currentStep: 0 }, []), undefined],
    ['finished', gated({ phase: 'Failed' }, [done, waiting('waiting for approval (0/1)')]), undefined],
    [
      'the gate step already succeeded',
      gated({}, [
        done,
        { alias: 'gate', uses: 'wait-for-approval', status: 'Succeeded', message: 'approved by a' },
      ]),
      undefined,
    ],
  ];
  for (const [name, p, want] of cases) assert.deepEqual(approvalGateOf(p), want, name);
});

test('hasRole follows the api: ranks within a Project, the system admin everywhere, nothing unknown', () => {
  const who = (roles: Identity['roles']): Identity => ({ name: 't', subject: 's', roles });
  const cases: Array<[string, Identity | undefined, 'viewer' | 'promoter' | 'admin', boolean]> = [
    ['viewer cannot promote', who([{ project: 'shop', role: 'viewer' }]), 'promoter', false],
    ['viewer may view', who([{ project: 'shop', role: 'viewer' }]), 'viewer', true],
    ['promoter may promote', who([{ project: 'shop', role: 'promoter' }]), 'promoter', true],
    ['admin includes promoter', who([{ project: 'shop', role: 'admin' }]), 'promoter', true],
    ['another Project does not count', who([{ project: 'other', role: 'admin' }]), 'viewer', false],
    ['system admin', who([{ role: 'admin' }]), 'admin', true],
    ['whoami not answered', undefined, 'viewer', false],
  ];
  for (const [name, id, role, want] of cases) assert.equal(hasRole(id, 'shop', role), want, name);
});

const F: Freight = {
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name: 'c'.repeat(40), namespace: 'shop' },
  alias: 'calm-otter',
  origin: { kind: 'Warehouse', name: 'app' },
  images: [],
  commits: [],
  charts: [],
  status: {
    verifiedIn: { dev: { verifiedAt: '2026-01-01T00:00:00Z' } },
    approvedFor: { prod: { approvedAt: '2026-01-02T00:00:00Z', by: 'alice' } },
    rejected: {
      uat: { rejectedAt: '2026-01-03T00:00:00Z', by: 'bob', reason: 'broken login' },
      '*': { rejectedAt: '2026-01-04T00:00:00Z', by: 'carol', reason: 'CVE' },
    },
    currentlyIn: { dev: { since: '2026-01-01T00:00:00Z' } },
  },
};

test('freightStandings says per Stage where the Freight is, verified, approved and rejected', () => {
  assert.deepEqual(freightStandings(F, ['dev', 'uat', 'prod']), [
    {
      stage: 'dev',
      current: true,
      verifiedAt: '2026-01-01T00:00:00Z',
      rejected: { at: '2026-01-04T00:00:00Z', by: 'carol', reason: 'CVE', everywhere: true },
    },
    {
      stage: 'uat',
      current: false,
      rejected: { at: '2026-01-03T00:00:00Z', by: 'bob', reason: 'broken login', everywhere: false },
    },
    {
      stage: 'prod',
      current: false,
      approved: { at: '2026-01-02T00:00:00Z', by: 'alice' },
      rejected: { at: '2026-01-04T00:00:00Z', by: 'carol', reason: 'CVE', everywhere: true },
    },
  ]);
  assert.deepEqual(
    rejectionsOf(F).map((r) => r.stage),
    ['uat', '*'],
  );
  assert.deepEqual(
    rejectionsOf({ ...F, status: { ...F.status, rejected: undefined } as Freight['status'] }),
    [],
  );
});
