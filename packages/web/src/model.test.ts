import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight, Promotion, Stage, Warehouse } from '@ferry/contracts';
import {
  CARD,
  formatDuration,
  freightTag,
  healthToneOf,
  layoutPipeline,
  newestFirst,
  stagePromotion,
  stagesHolding,
  toneOf,
} from './model.ts';

const warehouse = (name: string): Warehouse => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name, namespace: 'shop' },
  spec: { interval: '5m', freightCreationPolicy: 'Automatic', subscriptions: [] },
});
const stage = (name: string, from: { direct?: string; stages?: string[] }, current?: string): Stage => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Stage',
  metadata: { name, namespace: 'shop' },
  spec: {
    requestedFreight: [
      {
        origin: { kind: 'Warehouse', name: from.direct ?? 'app' },
        sources: { direct: !!from.direct, stages: from.stages ?? [] },
      },
    ],
  },
  ...(current
    ? {
        status: {
          freightHistory: [
            { id: current, origin: { kind: 'Warehouse', name: 'app' }, promotedAt: '', promotion: '' },
          ],
        },
      }
    : {}),
});
const freight = (name: string, alias: string, created: string, tag = '1.0.0'): Freight => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name, namespace: 'shop', creationTimestamp: created },
  alias,
  origin: { kind: 'Warehouse', name: 'app' },
  images: [{ repoURL: 'ghcr.io/acme/app', tag, digest: `sha256:${'a'.repeat(64)}` }],
  commits: [],
  charts: [],
  status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
});
const promotion = (name: string, stageName: string, phase: Promotion['status']['phase'], createdAt: string) =>
  ({
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Promotion',
    metadata: { name, namespace: 'shop' },
    spec: { stage: stageName, freight: 'f1', steps: [] },
    status: { phase, currentStep: 0, stepExecutionMetadata: [], state: {}, revision: 0, createdAt },
  }) as Promotion;

const columns = (l: ReturnType<typeof layoutPipeline>) =>
  l.nodes.map((n) => `${n.key}@${n.column},${n.row}`).join(' ');

test('stages are laid out in columns by depth, with edges from their sources', () => {
  const cases: Array<[string, Warehouse[], Stage[], string, string]> = [
    [
      'a line',
      [warehouse('app')],
      [
        stage('prod', { stages: ['uat'] }),
        stage('dev', { direct: 'app' }),
        stage('uat', { stages: ['dev'] }),
      ],
      'Warehouse/app@0,0 Stage/dev@1,0 Stage/uat@2,0 Stage/prod@3,0',
      'Warehouse/app>Stage/dev Stage/dev>Stage/uat Stage/uat>Stage/prod',
    ],
    [
      'a fan-out and a join',
      [warehouse('app')],
      [
        stage('dev', { direct: 'app' }),
        stage('qa-b', { stages: ['dev'] }),
        stage('qa-a', { stages: ['dev'] }),
        stage('prod', { stages: ['qa-a', 'qa-b'] }),
      ],
      'Warehouse/app@0,0 Stage/dev@1,0 Stage/qa-a@2,0 Stage/qa-b@2,1 Stage/prod@3,0',
      'Warehouse/app>Stage/dev Stage/dev>Stage/qa-a Stage/dev>Stage/qa-b Stage/qa-a>Stage/prod Stage/qa-b>Stage/prod',
    ],
    [
      'a missing upstream and a cycle draw no endless loop',
      [],
      [stage('a', { stages: ['b'] }), stage('b', { stages: ['a'] }), stage('c', { stages: ['gone'] })],
      'Stage/b@1,0 Stage/c@1,1 Stage/a@2,0',
      'Stage/a>Stage/b Stage/b>Stage/a',
    ],
  ];
  for (const [name, whs, stages, nodes, edges] of cases) {
    const l = layoutPipeline(whs, stages);
    assert.equal(columns(l), nodes, name);
    assert.equal(l.edges.map((e) => `${e.from}>${e.to}`).join(' '), edges, name);
  }
});

test('cards sit on a grid and edges join the right edge of one card to the left edge of the next', () => {
  const l = layoutPipeline([warehouse('app')], [stage('dev', { direct: 'app' })]);
  assert.deepEqual(
    l.nodes.map((n) => [n.x, n.y]),
    [
      [0, 0],
      [CARD.width + CARD.gapX, 0],
    ],
  );
  assert.equal(l.edges[0]!.path, 'M232,64 C264,64 264,64 296,64');
  assert.equal(l.width, 2 * CARD.width + CARD.gapX);
  assert.equal(l.height, CARD.height);
});

test('Freight is in the Stages whose newest history entry it is; currentlyIn only for unlisted Stages', () => {
  const f = freight('f1', 'brave-lynx', '2026-01-01T00:00:00Z');
  // qa is not listed (yet): its currentlyIn counts; uat is listed and holds other Freight: stale.
  f.status.currentlyIn = { qa: { since: '' }, uat: { since: '' } };
  const stages = [stage('dev', { direct: 'app' }, 'f1'), stage('uat', { stages: ['dev'] }, 'f0')];
  assert.deepEqual(stagesHolding(f, stages), ['dev', 'qa']);
});

test('the timeline is newest first; tags and tones read as shown', () => {
  const list = [
    freight('b', 'old', '2026-01-01T00:00:00Z', '1.0.0'),
    freight('a', 'new', '2026-01-02T00:00:00Z', '1.1.0'),
  ];
  assert.deepEqual(
    newestFirst(list).map((f) => `${f.alias}:${freightTag(f)}`),
    ['new:1.1.0', 'old:1.0.0'],
  );
  const charted = (repoURL: string, name: string): Freight => ({
    ...freight('c', 'charted', '2026-01-03T00:00:00Z'),
    images: [],
    charts: [{ repoURL, name, version: '2.0.0' }],
  });
  assert.equal(freightTag(charted('https://charts.example.com', 'app')), 'app@2.0.0');
  assert.equal(
    freightTag(charted('oci://ghcr.io/acme/db', '')),
    'db@2.0.0',
    'an OCI chart is named by its URL',
  );
  assert.deepEqual(
    ['Succeeded', 'Running', 'Pending', 'Failed', 'Errored', 'Aborted', undefined].map(toneOf),
    ['ok', 'running', 'waiting', 'bad', 'bad', 'neutral', 'neutral'],
  );
  assert.deepEqual(
    ['Healthy', 'Progressing', 'Unknown', 'Unhealthy', 'NotApplicable', undefined].map(healthToneOf),
    ['ok', 'running', 'waiting', 'bad', 'neutral', 'neutral'],
  );
});

test('a Stage card shows its newest Promotion, else its own record', () => {
  const dev = stage('dev', { direct: 'app' });
  const list = [
    promotion('dev.2', 'dev', 'Running', '2026-01-02T00:00:00Z'),
    promotion('dev.1', 'dev', 'Succeeded', '2026-01-01T00:00:00Z'),
    promotion('uat.1', 'uat', 'Failed', '2026-01-03T00:00:00Z'),
  ];
  assert.equal(stagePromotion(dev, list)?.name, 'dev.2');
  assert.equal(stagePromotion(dev, []), undefined);
  dev.status = { lastPromotion: { name: 'dev.0', phase: 'Failed', freight: 'f0' } };
  assert.deepEqual(stagePromotion(dev, []), { name: 'dev.0', phase: 'Failed', freight: 'f0' });
});

test('durations read as people say them', () => {
  const now = new Date('2026-01-01T01:00:00Z');
  const cases: Array<[string | undefined, string | undefined, string]> = [
    [undefined, undefined, ''],
    ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.850Z', '850ms'],
    ['2026-01-01T00:00:00Z', '2026-01-01T00:00:04.2Z', '4.2s'],
    ['2026-01-01T00:00:00Z', '2026-01-01T00:03:05Z', '3m 05s'],
    ['2026-01-01T00:00:00Z', undefined, '1h 00m'],
    ['2026-01-01T02:00:00Z', undefined, ''],
  ];
  for (const [start, end, want] of cases)
    assert.equal(formatDuration(start, end, now), want, `${start}..${end}`);
});
