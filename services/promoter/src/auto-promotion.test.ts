import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight, FreightRequest } from '@ferry/contracts';
import { candidateFor, decideAutoPromotion, holdIntent } from './auto-promotion.ts';

const f = (id: string, at: string): Freight =>
  ({ metadata: { name: id.repeat(40), creationTimestamp: at } }) as unknown as Freight;
const A = f('a', '2026-01-01T10:00:00Z');
const B = f('b', '2026-01-01T11:00:00Z');
const C = f('c', '2026-01-01T12:00:00Z');
const id = (x: Freight) => x.metadata.name;
const newest: FreightRequest = {
  origin: { kind: 'Warehouse', name: 'w' },
  sources: { direct: false, stages: ['dev'] },
};
const match: FreightRequest = {
  ...newest,
  sources: { ...newest.sources, autoPromotionOptions: { selectionPolicy: 'MatchUpstream' } },
};

test('the candidate: newest available, or what the one upstream Stage runs (table)', () => {
  const cases: Array<[string, Parameters<typeof candidateFor>[0], string | undefined]> = [
    ['NewestFreight takes the newest available', { request: newest, available: [A, C, B] }, id(C)],
    ['nothing available', { request: newest, available: [] }, undefined],
    [
      'MatchUpstream takes the upstream one, older or not',
      { request: match, available: [A, B, C], upstreamCurrent: id(A) },
      id(A),
    ],
    [
      'MatchUpstream: upstream runs something not available here',
      { request: match, available: [B], upstreamCurrent: id(A) },
      undefined,
    ],
    ['MatchUpstream: upstream runs nothing yet', { request: match, available: [A] }, undefined],
  ];
  for (const [name, input, want] of cases) assert.equal(candidateFor(input), want, name);
});

test('an offered Freight is promoted only as the candidate, unheld, new here or replaced (table)', () => {
  const hold = {
    freight: id(B),
    origin: { kind: 'Warehouse' as const, name: 'w' },
    promotion: 'uat.x.bbbbbbb',
    actor: 'ana',
    createdAt: 'x',
  };
  const cases: Array<
    [string, Parameters<typeof decideAutoPromotion>[0], ReturnType<typeof decideAutoPromotion>]
  > = [
    ['first time', { freight: id(A), candidate: id(A), earlier: [] }, { promote: true, round: 0 }],
    [
      'held',
      { freight: id(A), candidate: id(A), hold, earlier: [] },
      {
        promote: false,
        reason:
          'auto-promotion is held: ana promoted bbbbbbb by hand (Promotion uat.x.bbbbbbb); promote the candidate to release it',
      },
    ],
    [
      'not the candidate',
      { freight: id(B), candidate: id(A), earlier: [] },
      { promote: false, reason: 'bbbbbbb is not the auto-promotion candidate (aaaaaaa is)' },
    ],
    [
      'no candidate',
      { freight: id(B), candidate: undefined, earlier: [] },
      { promote: false, reason: "there is no auto-promotion candidate for bbbbbbb's origin" },
    ],
    [
      'runs it already',
      { freight: id(A), candidate: id(A), current: id(A), earlier: ['Succeeded'] },
      { promote: false, reason: 'the Stage runs aaaaaaa already' },
    ],
    [
      'last one failed: not retried',
      { freight: id(A), candidate: id(A), current: id(B), earlier: ['Failed'] },
      {
        promote: false,
        reason: 'the last Promotion of aaaaaaa here Failed; it is not retried automatically',
      },
    ],
    [
      'in flight',
      { freight: id(A), candidate: id(A), earlier: ['Running'] },
      { promote: false, reason: 'aaaaaaa is being promoted' },
    ],
    [
      'upstream rolled back to it: promoted again, next round',
      { freight: id(A), candidate: id(A), current: id(B), earlier: ['Succeeded'] },
      { promote: true, round: 1 },
    ],
  ];
  for (const [name, input, want] of cases) assert.deepEqual(decideAutoPromotion(input), want, name);
});

test('a Promotion by hand holds the origin unless it promotes the candidate (table)', () => {
  const cases: Array<[string, Parameters<typeof holdIntent>[0], ReturnType<typeof holdIntent>]> = [
    [
      'other Freight by hand',
      { requestedBy: 'ana', autoPromotionEnabled: true, freight: id(A), candidate: id(C) },
      'hold',
    ],
    [
      'the candidate by hand',
      { requestedBy: 'ana', autoPromotionEnabled: true, freight: id(C), candidate: id(C) },
      'release',
    ],
    [
      'no candidate at all',
      { requestedBy: 'ana', autoPromotionEnabled: true, freight: id(A), candidate: undefined },
      'hold',
    ],
    [
      'auto-promotion itself',
      { requestedBy: 'ferry:auto-promotion', autoPromotionEnabled: true, freight: id(A), candidate: id(C) },
      undefined,
    ],
    [
      'auto-promotion off',
      { requestedBy: 'ana', autoPromotionEnabled: false, freight: id(A), candidate: id(C) },
      undefined,
    ],
  ];
  for (const [name, input, want] of cases) assert.equal(holdIntent(input), want, name);
});
