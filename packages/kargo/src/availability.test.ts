import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Freight, FreightRequest, ProjectConfig, PromotionPolicy, Stage } from '@ferry/contracts';
import { autoPromotionEnabled, freightAvailability, stagesFedBy } from './availability.ts';
import { globRegExp, goRegExp } from './patterns.ts';

const ID = 'abc1234def5678abc1234def5678abc1234def56';

const stage = (
  name: string,
  requestedFreight: FreightRequest[],
  labels: Record<string, string> = {},
): Stage => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Stage',
  metadata: { name, namespace: 'demo', labels },
  spec: { requestedFreight },
});
const from = (warehouse: string, direct: boolean, stages: string[] = []): FreightRequest => ({
  origin: { kind: 'Warehouse', name: warehouse },
  sources: { direct, stages },
});
const freight = (over: Partial<Freight['status']> = {}, warehouse = 'app', namespace = 'demo'): Freight => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name: ID, namespace },
  alias: 'wild-otter',
  origin: { kind: 'Warehouse', name: warehouse },
  images: [],
  commits: [],
  charts: [],
  status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {}, ...over },
});
const at = { verifiedAt: '2024-01-01T00:00:00Z' };

test('freightAvailability follows the Stage’s requests', () => {
  const dev = stage('dev', [from('app', true)]);
  const prod = stage('prod', [from('app', false, ['uat', 'qa'])]);
  const both = stage('mixed', [from('other', true), from('app', false, ['uat'])]);
  const no = (reason: string) => ({ available: false, reason });
  const yes = { available: true };
  // [case, stage, freight, expected]
  const cases: Array<[string, Stage, Freight, unknown]> = [
    ['direct from the Warehouse', dev, freight(), yes],
    [
      'another Warehouse',
      dev,
      freight({}, 'other'),
      no('Stage "dev" does not request Freight from Warehouse "other"'),
    ],
    [
      'not verified upstream',
      prod,
      freight({ verifiedIn: { dev: at } }),
      no(
        'Freight abc1234 (wild-otter) is not verified in any upstream Stage of "prod" (needs one of: uat, qa)',
      ),
    ],
    ['verified in one upstream Stage', prod, freight({ verifiedIn: { qa: at } }), yes],
    ['approved for the Stage', prod, freight({ approvedFor: { prod: { approvedAt: at.verifiedAt } } }), yes],
    [
      'approved for another Stage',
      prod,
      freight({ approvedFor: { uat: { approvedAt: at.verifiedAt } } }),
      no(
        'Freight abc1234 (wild-otter) is not verified in any upstream Stage of "prod" (needs one of: uat, qa)',
      ),
    ],
    ['the matching request decides', both, freight({ verifiedIn: { uat: at } }), yes],
    [
      'direct request of another origin does not count',
      both,
      freight(),
      no('Freight abc1234 (wild-otter) is not verified in any upstream Stage of "mixed" (needs one of: uat)'),
    ],
    [
      'another project',
      dev,
      freight({}, 'app', 'other'),
      no('Freight abc1234 (wild-otter) belongs to project "other", not to "demo" of Stage "dev"'),
    ],
  ];
  for (const [name, s, f, want] of cases) assert.deepEqual(freightAvailability(s, f), want, name);
});

test('stagesFedBy lists the immediate downstream Stages in order', () => {
  const stages = [
    stage('dev', [from('app', true)]),
    stage('uat', [from('app', false, ['dev'])]),
    stage('prod', [from('app', false, ['uat'])]),
    stage('perf', [from('other', true), from('app', false, ['dev', 'uat'])]),
  ];
  const names = (up: string) => stagesFedBy(stages, up).map((s) => s.metadata.name);
  assert.deepEqual(names('dev'), ['uat', 'perf']);
  assert.deepEqual(names('uat'), ['prod', 'perf']);
  assert.deepEqual(names('prod'), []);
});

test('autoPromotionEnabled: the first matching policy decides', () => {
  const config = (...promotionPolicies: PromotionPolicy[]): ProjectConfig => ({
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'ProjectConfig',
    metadata: { name: 'demo', namespace: 'demo' },
    spec: { promotionPolicies },
  });
  const on = (stageSelector: PromotionPolicy['stageSelector'], autoPromotionEnabled = true) => ({
    stageSelector,
    autoPromotionEnabled,
  });
  const dev = stage('dev-eu', [from('app', true)], { tier: 'dev', region: 'eu' });
  // [case, config, expected for dev-eu]
  const cases: Array<[string, ProjectConfig | undefined, boolean]> = [
    ['no ProjectConfig', undefined, false],
    ['no policies', config(), false],
    ['exact name', config(on({ name: 'dev-eu' })), true],
    ['exact name of another Stage', config(on({ name: 'dev' })), false],
    ['glob', config(on({ name: 'glob:dev-*' })), true],
    ['glob alternatives', config(on({ name: 'glob:{uat,dev}-e?' })), true],
    ['glob not matching', config(on({ name: 'glob:prod-*' })), false],
    ['regex is unanchored', config(on({ name: 'regex:v-e' })), true],
    ['regexp prefix', config(on({ name: 'regexp:^dev-(eu|us)$' })), true],
    ['labels', config(on({ matchLabels: { tier: 'dev' } })), true],
    ['labels must all match', config(on({ matchLabels: { tier: 'dev', region: 'us' } })), false],
    ['name and labels both', config(on({ name: 'dev-eu', matchLabels: { tier: 'prod' } })), false],
    ['empty selector matches every Stage', config(on({})), true],
    ['first match wins', config(on({ name: 'glob:dev-*' }, false), on({ name: 'dev-eu' })), false],
    [
      'later policy when the first does not match',
      config(on({ name: 'prod' }), on({ name: 'dev-eu' })),
      true,
    ],
    ['a bad pattern selects nothing', config(on({ name: 'regex:(' })), false],
  ];
  for (const [name, c, want] of cases) assert.equal(autoPromotionEnabled(c, dev), want, name);
});

test('globs and Go regular expressions', () => {
  const globs: Array<[string, string, boolean]> = [
    ['dev-*', 'dev-eu', true],
    ['dev-*', 'dev-eu/x', false],
    ['**', 'a/b', true],
    ['dev-?', 'dev-1', true],
    ['dev-[0-9]', 'dev-7', true],
    ['dev-[!0-9]', 'dev-7', false],
    ['dev-[^0-9]', 'dev-x', true],
    ['{a,b}-*', 'b-1', true],
    ['a.b', 'axb', false],
    ['\\*', '*', true],
  ];
  for (const [g, s, want] of globs) assert.equal(globRegExp(g).test(s), want, `${g} ${s}`);
  for (const [bad, message] of [
    ['dev-[', 'bad glob pattern "dev-[": unclosed ['],
    ['{a,b', 'bad glob pattern "{a,b": unclosed {'],
    ['a\\', 'bad glob pattern "a\\\\": trailing \\'],
  ]) {
    assert.throws(() => globRegExp(bad!), { message }, bad);
  }
  assert.equal(goRegExp('(?i)^V').test('v1'), true);
  assert.equal(goRegExp('(?P<major>\\d+)\\.').exec('12.3')?.groups?.major, '12');
  assert.throws(() => goRegExp('a(?=b)'), {
    message: 'Go regular expressions have no lookahead or lookbehind',
  });
  assert.throws(() => goRegExp('(?U)a+'), { message: 'the U (ungreedy) flag is not supported by Ferry' });
  assert.equal(goRegExp('^[[:digit:]]+$').test('123'), true);
  assert.equal(goRegExp('^[[:digit:]]+$').test('12a'), false);
  assert.equal(goRegExp('^v[[:digit:].]+\\z').test('v1.2'), true);
  assert.throws(() => goRegExp('[[:foo:]]'), { message: '[:foo:] is not supported by Ferry' });
  assert.throws(() => goRegExp('\\pL+'), { message: '\\p, \\P and \\Q are not supported by Ferry' });
  assert.throws(() => goRegExp('('), SyntaxError);
});

test('availabilityStrategy All and OneOf, and requiredSoakTime measured from verifiedAt', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const v = (iso: string) => ({ verifiedAt: iso });
  const req = (sources: Partial<FreightRequest['sources']>): FreightRequest => ({
    origin: { kind: 'Warehouse', name: 'app' },
    sources: { direct: false, stages: ['uat', 'qa'], ...sources },
  });
  const yes = { available: true };
  const no = (reason: string) => ({ available: false, reason: `Freight abc1234 (wild-otter) ${reason}` });
  // [case, request sources, verifiedIn, expected]
  const cases: Array<[string, Partial<FreightRequest['sources']>, Freight['status']['verifiedIn'], unknown]> =
    [
      ['OneOf (default): one upstream Stage is enough', {}, { qa: v('2026-03-01T11:59:00Z') }, yes],
      ['OneOf spelled out', { availabilityStrategy: 'OneOf' }, { uat: at }, yes],
      [
        'All: one upstream Stage is not enough',
        { availabilityStrategy: 'All' },
        { uat: at },
        no('is not verified in every upstream Stage of "prod" (still missing: qa)'),
      ],
      ['All: verified in both', { availabilityStrategy: 'All' }, { uat: at, qa: at }, yes],
      [
        'All: nowhere yet',
        { availabilityStrategy: 'All' },
        {},
        no('is not verified in every upstream Stage of "prod" (still missing: uat, qa)'),
      ],
      [
        'soak: verified 30m ago, 1h required',
        { requiredSoakTime: '1h' },
        { uat: v('2026-03-01T11:30:00Z') },
        no(
          'is soaking in the upstream Stages of "prod" until 2026-03-01T12:30:00.000Z (requiredSoakTime 1h)',
        ),
      ],
      ['soak: exactly 1h ago counts', { requiredSoakTime: '1h' }, { uat: v('2026-03-01T11:00:00Z') }, yes],
      [
        'soak with OneOf: the earliest soaked Stage says until when',
        { requiredSoakTime: '1h' },
        { uat: v('2026-03-01T11:50:00Z'), qa: v('2026-03-01T11:20:00Z') },
        no(
          'is soaking in the upstream Stages of "prod" until 2026-03-01T12:20:00.000Z (requiredSoakTime 1h)',
        ),
      ],
      [
        'soak with OneOf: one soaked Stage is enough',
        { requiredSoakTime: '1h' },
        { uat: v('2026-03-01T11:50:00Z'), qa: v('2026-03-01T10:00:00Z') },
        yes,
      ],
      [
        'soak with All: the last to soak says until when',
        { availabilityStrategy: 'All', requiredSoakTime: '30m' },
        { uat: v('2026-03-01T11:50:00Z'), qa: v('2026-03-01T10:00:00Z') },
        no(
          'is soaking in the upstream Stages of "prod" until 2026-03-01T12:20:00.000Z (requiredSoakTime 30m)',
        ),
      ],
      [
        'soak with All: both soaked',
        { availabilityStrategy: 'All', requiredSoakTime: '30m' },
        { uat: v('2026-03-01T11:30:00Z'), qa: v('2026-03-01T10:00:00Z') },
        yes,
      ],
    ];
  for (const [name, sources, verifiedIn, expected] of cases) {
    const prod = stage('prod', [req(sources)]);
    assert.deepEqual(freightAvailability(prod, freight({ verifiedIn }), now), expected, name);
  }
  // Approval bypasses both the strategy and the soak, as in Kargo.
  const approved = freight({ approvedFor: { prod: { approvedAt: at.verifiedAt } } });
  assert.deepEqual(
    freightAvailability(
      stage('prod', [req({ availabilityStrategy: 'All', requiredSoakTime: '1h' })]),
      approved,
      now,
    ),
    yes,
  );
});
