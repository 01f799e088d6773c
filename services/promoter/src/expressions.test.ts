/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Kargo expressions, evaluated by Ferry */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ExpressionScope,
  evaluate,
  evaluateCondition,
  evaluateVars,
  secretNames,
} from './expressions.ts';

const scope: ExpressionScope = {
  ctx: { project: 'demo', stage: 'prod', targetFreight: { alias: 'wild-otter' } },
  vars: { x: 'app', n: 2 },
  outputs: { 'update-image': { commitMessage: 'Updated images' }, push: { commit: 'abc' } },
  images: [{ repoURL: 'registry.example/app', tag: 'v1.2.3', digest: 'sha256:d' }],
  commits: [{ repoURL: 'https://git.example/acme/config.git', id: 'c0ffee', tag: 'v2.0.0', message: 'bump' }],
  charts: [
    { repoURL: 'https://charts.example', name: 'app', version: '1.4.0' },
    { repoURL: 'oci://registry.example/charts/db', name: '', version: '2.1.0' },
  ],
  steps: [
    { alias: 'a', status: 'Succeeded', continueOnError: false },
    { alias: 'b', status: 'Errored', continueOnError: true },
  ],
};

test('evaluate: values and types', () => {
  const cases: Array<[unknown, unknown]> = [
    ["${{ outputs['update-image'].commitMessage }}", 'Updated images'],
    ['${{ outputs["update-image"].commitMessage }}', 'Updated images'],
    ["${{ ctx.stage == 'prod' }}", true],
    ["${{ vars.x + '-suffix' }}", 'app-suffix'],
    ['${{ vars.n * 2 }}', 4],
    ["${{ ctx.stage == 'prod' ? 'big' : 'small' }}", 'big'],
    ['${{ quote(vars.x) }}', '"app"'],
    ["${{ imageFrom('registry.example/app').Tag }}", 'v1.2.3'],
    ["${{ imageFrom('registry.example/app').digest }}", 'sha256:d'],
    ["${{ commitFrom('https://git.example/acme/config.git').ID }}", 'c0ffee'],
    ["${{ commitFrom('https://GIT.example/acme/config/').Tag }}", 'v2.0.0'],
    ["${{ commitFrom('https://git.example/acme/config').Branch }}", ''],
    ["${{ commitFrom('https://git.example/acme/config').message }}", 'bump'],
    ["${{ chartFrom('https://charts.example', 'app').Version }}", '1.4.0'],
    ["${{ chartFrom('https://Charts.example', 'app').version }}", '1.4.0'],
    ["${{ chartFrom('oci://registry.example/charts/db').Version }}", '2.1.0'],
    ["${{ chartFrom('oci://registry.example/charts/db', warehouse('app')).Name }}", ''],
    ["${{ chartFrom('oci://registry.example/charts', 'db').RepoURL }}", 'oci://registry.example/charts/db'],
    ["${{ warehouse('app') }}", { kind: 'Warehouse', name: 'app' }],
    ["${{ semverParse('v1.2.3-rc.1+b5').Minor }}", 2],
    ["${{ semverParse('1.2.3-rc.1+b5').Prerelease }}", 'rc.1'],
    ["${{ semverDiff('1.2.3', '2.0.0') }}", 'Major'],
    ["${{ semverDiff('1.2.3', '1.3.0') }}", 'Minor'],
    ["${{ semverDiff('1.2.3', '1.2.4') }}", 'Patch'],
    ["${{ semverDiff('1.2.3+a', '1.2.3+b') }}", 'Metadata'],
    ["${{ semverDiff('1.2.3', 'v1.2.3') }}", 'None'],
    ["${{ semverDiff('1.2.3', 'latest') }}", 'Incomparable'],
    ["${{ status('b') }}", 'Errored'],
    ["${{ status('zzz') }}", ''],
    ['${{ success() && !failure() && always() }}', true],
    ['${{ outputs.missing.deep }}', undefined],
    ['tag ${{ vars.x }}:${{ vars.n }} in ${{ ctx.stage }}', 'tag app:2 in prod'],
    [{ list: ['${{ vars.n }}', 'plain'] }, { list: [2, 'plain'] }],
  ];
  for (const [input, want] of cases) assert.deepEqual(evaluate(input, scope), want, JSON.stringify(input));
});

test('evaluate: errors name the place and the problem', () => {
  const cases: Array<[string, string]> = [
    ['${{ nope.x }}', 'config: unknown name "nope" in expression (known: ctx, vars, outputs)'],
    [
      '${{ env("HOME") }}',
      'config: unknown function "env" in expression (known: quote, imageFrom, commitFrom, chartFrom, warehouse, secret, semverParse, semverDiff, success, failure, always, status)',
    ],
    ['${{ 1 + }}', 'config: expression "1 +" is not valid: Unexpected end of expression: 1 +'],
    [
      '${{ vars.x | upper }}',
      'config: expression "vars.x | upper" uses a transform (|), which Ferry does not support',
    ],
    [
      "${{ imageFrom('other/app') }}",
      'config: expression "imageFrom(\'other/app\')" failed: imageFrom: the Freight has no image other/app (it has: registry.example/app)',
    ],
    [
      "${{ commitFrom('https://git.example/other') }}",
      'config: expression "commitFrom(\'https://git.example/other\')" failed: commitFrom: the Freight has no commit from https://git.example/other (it has: https://git.example/acme/config.git)',
    ],
    [
      "${{ chartFrom('https://charts.example', 'web') }}",
      "config: expression \"chartFrom('https://charts.example', 'web')\" failed: chartFrom: the Freight has no chart web from https://charts.example (it has: https://charts.example app, oci://registry.example/charts/db)",
    ],
    [
      "${{ chartFrom('https://charts.example') }}",
      'config: expression "chartFrom(\'https://charts.example\')" failed: chartFrom: the Freight has no chart https://charts.example (it has: https://charts.example app, oci://registry.example/charts/db)',
    ],
    [
      "${{ semverParse('latest') }}",
      'config: expression "semverParse(\'latest\')" failed: semverParse: "latest" is not a semantic version',
    ],
  ];
  for (const [input, message] of cases) assert.throws(() => evaluate(input, scope), { message }, input);
});

test('evaluateCondition: default is success(), result must be a boolean', () => {
  const failedBefore: ExpressionScope = {
    ...scope,
    steps: [{ alias: 'a', status: 'Failed', continueOnError: false }],
  };
  const cases: Array<[string | undefined, ExpressionScope, boolean]> = [
    [undefined, scope, true],
    ['', failedBefore, false],
    ['${{ failure() }}', failedBefore, true],
    ['${{ always() }}', failedBefore, true],
    ["ctx.stage == 'dev'", scope, false],
  ];
  for (const [cond, s, want] of cases)
    assert.equal(evaluateCondition(cond, s, 'steps[1].if'), want, String(cond));
  assert.throws(() => evaluateCondition('${{ vars.x }}', scope, 'steps[1].if'), {
    message: 'steps[1].if: "${{ vars.x }}" must be true or false; it came out "app"',
  });
});

test('evaluateVars: in order, later ones see earlier ones, inner ones shadow', () => {
  const vars = evaluateVars(
    [
      { name: 'repo', value: 'registry.example/${{ vars.x }}' },
      { name: 'x', value: 'shadowed' },
      { name: 'full', value: '${{ vars.repo }}:${{ imageFrom(vars.repo).Tag }}' },
    ],
    { ...scope, vars: { x: 'app' } },
    'vars',
  );
  assert.deepEqual(vars, {
    x: 'shadowed',
    repo: 'registry.example/app',
    full: 'registry.example/app:v1.2.3',
  });
});

test('secret(): the data of a generic Secret the Promotion names; clear errors otherwise', () => {
  const withSecrets: ExpressionScope = {
    ...scope,
    secrets: { 'slack-token': { token: 's3cret' }, 'git-creds': 'not-generic' },
  };
  assert.equal(evaluate("${{ secret('slack-token').token }}", withSecrets), 's3cret');
  assert.throws(() => evaluate("${{ secret('git-creds').password }}", withSecrets), {
    message:
      'config: expression "secret(\'git-creds\').password" failed: secret: Secret "git-creds" is not labelled kargo.akuity.io/cred-type: generic; only such Secrets are readable by expressions',
  });
  assert.throws(() => evaluate("${{ secret('nope').x }}", withSecrets), {
    message:
      'config: expression "secret(\'nope\').x" failed: secret: no Secret "nope" in this Project; apply one labelled kargo.akuity.io/cred-type: generic with ferry apply (the name must be a quoted string)',
  });
});

test('secretNames: quoted names in any config, once each, sorted', () => {
  assert.deepEqual(
    secretNames({
      steps: [
        { config: { headers: [{ value: "Bearer ${{ secret('b').token }}" }] } },
        { config: { url: '${{ secret("a").url }}', again: "${{ secret( 'b' ).token }}" } },
        { config: { dynamic: '${{ secret(vars.name).x }}' } },
      ],
    }),
    ['a', 'b'],
  );
});
