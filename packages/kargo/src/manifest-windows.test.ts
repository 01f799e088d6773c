import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ProjectConfig, type Stage, ValidationError } from '@ferry/contracts';
import { parseManifests } from './manifest.ts';

const known = { knownProjects: new Set(['demo']) };
const config = (windows: string) =>
  `apiVersion: kargo.akuity.io/v1alpha1\nkind: ProjectConfig\nmetadata:\n  name: demo\n  namespace: demo\nspec:\n  promotionWindows:\n${windows}`;

test('promotion windows are read with their selector (absent = every Stage)', () => {
  const parsed = parseManifests(
    config(`  - name: nightly
    kind: Allow
    schedule: "DTSTART:20260101T220000Z\\nRRULE:FREQ=DAILY"
    duration: 2h
    stageSelector: { name: "glob:prod-*" }
  - name: freeze
    kind: Deny
    schedule: "DTSTART:20261224T000000Z"
    duration: 48h
`),
    known,
  );
  const cfg = parsed.resources[0]?.resource as ProjectConfig;
  assert.deepEqual(cfg.spec.promotionWindows, [
    {
      name: 'nightly',
      kind: 'Allow',
      schedule: 'DTSTART:20260101T220000Z\nRRULE:FREQ=DAILY',
      duration: '2h',
      stageSelector: { name: 'glob:prod-*' },
    },
    {
      name: 'freeze',
      kind: 'Deny',
      schedule: 'DTSTART:20261224T000000Z',
      duration: '48h',
      stageSelector: {},
    },
  ]);
  assert.deepEqual(parsed.warnings, []);
});

test('bad promotion windows name every problem', () => {
  let problems: string[] = [];
  try {
    parseManifests(
      config(`  - name: a
    kind: Maybe
    schedule: "RRULE:FREQ=DAILY"
    duration: 1d
  - name: a
    kind: Deny
    schedule: "DTSTART:20260101T000000Z\\nRRULE:FREQ=SOMETIMES"
    duration: 0s
  - name: b
`),
      known,
    );
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    problems = e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  const doc = (line: number, rest: string) =>
    `document 1 (ProjectConfig "demo", line ${line}): /spec/promotionWindows/${rest}`;
  assert.deepEqual(problems, [
    doc(9, '0/kind: must be Allow or Deny'),
    doc(10, '0/schedule: needs a DTSTART line, e.g. "DTSTART:20260101T220000Z\\nRRULE:FREQ=DAILY"'),
    doc(11, '0/duration: must be a positive duration like 30m, 2h or 1h30m'),
    doc(12, '1/name: window name already defined at /spec/promotionWindows/0'),
    doc(
      14,
      '1/schedule: RRULE FREQ "SOMETIMES" must be one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY',
    ),
    doc(15, '1/duration: must be a positive duration like 30m, 2h or 1h30m'),
    doc(16, '2/kind: required: Allow or Deny'),
    doc(16, '2/schedule: required: an RFC 5545 DTSTART and RRULE'),
    doc(16, '2/duration: required: how long each occurrence stays open'),
  ]);
});

test('availabilityStrategy All and requiredSoakTime are kept on upstream requests', () => {
  const stage = parseManifests(
    `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: { name: prod, namespace: demo }
spec:
  requestedFreight:
  - origin: { kind: Warehouse, name: app }
    sources: { stages: [uat, qa], availabilityStrategy: All, requiredSoakTime: 1h30m }
  - origin: { kind: Warehouse, name: other }
    sources: { stages: [uat], availabilityStrategy: OneOf, requiredSoakTime: 0s }
`,
    known,
  ).resources[0]?.resource as Stage;
  assert.deepEqual(
    stage.spec.requestedFreight.map((r) => r.sources),
    [
      { direct: false, stages: ['uat', 'qa'], availabilityStrategy: 'All', requiredSoakTime: '1h30m' },
      { direct: false, stages: ['uat'] },
    ],
  );
});
