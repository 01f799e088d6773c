import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Stage, ValidationError } from '@ferry/contracts';
import { type ParseOptions, parseManifests } from './manifest.ts';

const known: ParseOptions = { knownProjects: new Set(['demo']) };
const head = (kind: string, name: string, ns = 'demo') =>
  `apiVersion: kargo.akuity.io/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n`;
const meta = (name: string, annotations: Record<string, string> = {}) => ({
  name,
  namespace: 'demo',
  labels: {},
  annotations,
});
const api = 'kargo.akuity.io/v1alpha1';
/** A Kargo expression, `${{ e }}`. */
const expr = (e: string) => `\${{ ${e} }}`;

/** The problems of a file as `path: message` lines; fails if the file is accepted. */
function problems(text: string, options: ParseOptions = known): string[] {
  try {
    parseManifests(text, options);
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    assert.equal(e.code, 'FERRY_ERR_BAD_MANIFEST');
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('the file was accepted');
}

test('a current-form pipeline is read with every default filled in', () => {
  const text = `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: shop
---
apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata:
  name: shop
  namespace: shop
spec:
  promotionPolicies:
  - stageSelector:
      name: glob:dev-*
      matchLabels: { tier: dev }
    autoPromotionEnabled: true
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: app
  namespace: shop
  labels: { team: web }
spec:
  interval: 1h30m
  subscriptions:
  - image:
      repoURL: ghcr.io/acme/app
      constraint: ^1.2
  - image:
      repoURL: nginx
      imageSelectionStrategy: Digest
      constraint: stable
      strictSemvers: false
      allowTagsRegexes: ['^stable$']
      platform: linux/arm64/v8
      discoveryLimit: 5
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: uat
  namespace: shop
spec:
  requestedFreight:
  - origin: { kind: Warehouse, name: app }
    sources: { stages: [dev] }
  promotionTemplate:
    spec:
      vars:
      - name: repo
        value: https://github.com/acme/config
      steps:
      - uses: git-clone
        config:
          repoURL: \${{ vars.repo }}
      - uses: argocd-update
        as: sync
        if: \${{ always() }}
        retry: { errorThreshold: 3 }
  verification:
    analysisTemplates: [{ name: smoke }]
`;
  const { resources, warnings } = parseManifests(text, { knownProjects: new Set() });
  assert.deepEqual(warnings, []);
  assert.deepEqual(resources, [
    {
      project: 'shop',
      resource: {
        apiVersion: api,
        kind: 'Project',
        metadata: { name: 'shop', labels: {}, annotations: {} },
        spec: {},
      },
    },
    {
      project: 'shop',
      resource: {
        apiVersion: api,
        kind: 'ProjectConfig',
        metadata: { name: 'shop', namespace: 'shop', labels: {}, annotations: {} },
        spec: {
          promotionPolicies: [
            {
              stageSelector: { name: 'glob:dev-*', matchLabels: { tier: 'dev' } },
              autoPromotionEnabled: true,
            },
          ],
        },
      },
    },
    {
      project: 'shop',
      resource: {
        apiVersion: api,
        kind: 'Warehouse',
        metadata: { name: 'app', namespace: 'shop', labels: { team: 'web' }, annotations: {} },
        spec: {
          interval: '1h30m0s',
          freightCreationPolicy: 'Automatic',
          subscriptions: [
            {
              image: {
                repoURL: 'ghcr.io/acme/app',
                imageSelectionStrategy: 'SemVer',
                constraint: '^1.2',
                strictSemvers: true,
                allowTagsRegexes: [],
                ignoreTagsRegexes: [],
                discoveryLimit: 20,
              },
            },
            {
              image: {
                repoURL: 'nginx',
                imageSelectionStrategy: 'Digest',
                constraint: 'stable',
                strictSemvers: false,
                allowTagsRegexes: ['^stable$'],
                ignoreTagsRegexes: [],
                platform: 'linux/arm64/v8',
                discoveryLimit: 5,
              },
            },
          ],
        },
      },
    },
    {
      project: 'shop',
      resource: {
        apiVersion: api,
        kind: 'Stage',
        metadata: { name: 'uat', namespace: 'shop', labels: {}, annotations: {} },
        spec: {
          requestedFreight: [
            { origin: { kind: 'Warehouse', name: 'app' }, sources: { direct: false, stages: ['dev'] } },
          ],
          promotionTemplate: {
            spec: {
              steps: [
                { uses: 'git-clone', config: { repoURL: expr('vars.repo') } },
                { uses: 'argocd-update', as: 'sync', if: expr('always()'), retry: { errorThreshold: 3 } },
              ],
              vars: [{ name: 'repo', value: 'https://github.com/acme/config' }],
            },
          },
          verification: { analysisTemplates: [{ name: 'smoke' }] },
        } as Stage['spec'],
      },
    },
  ]);
});

test('older spellings are accepted with warnings, and other objects are skipped', () => {
  const text = `apiVersion: v1
kind: Namespace
metadata:
  name: legacy
  labels:
    kargo.akuity.io/project: "true"
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: old
spec:
  promotionPolicies:
  - stage: dev
    autoPromotionEnabled: true
---
${head('Warehouse', 'app', 'old')}spec:
  subscriptions:
  - image:
      repoURL: ghcr.io/acme/app
      tagSelectionStrategy: SemVer
      semverConstraint: ">=1.0.0"
      allowTags: ^v?1\\.
      ignoreTags: [1.0.1+bad]
  - git:
      repoURL: https://github.com/acme/config
  - chart:
      repoURL: oci://ghcr.io/acme/charts/app
---
apiVersion: v1
kind: Secret
metadata: { name: creds, namespace: old }
stringData: { password: hunter2 }
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: smoke
---
apiVersion: v1
kind: Namespace
metadata:
  name: plain
---
# just a comment
`;
  const { resources, warnings, secrets } = parseManifests(text, { knownProjects: new Set() });
  assert.deepEqual(secrets, [{ project: 'old', name: 'creds', data: { password: 'hunter2' } }]);
  assert.deepEqual(warnings, [
    'document 2 (Project "old", line 14): /spec/promotionPolicies/0/stage: is deprecated: use stageSelector.name',
    'document 2 (Project "old", line 13): /spec/promotionPolicies: is deprecated: Ferry makes ProjectConfig "old" from it',
    'document 3 (Warehouse "app", line 26): /spec/subscriptions/0/image/tagSelectionStrategy: is deprecated: use imageSelectionStrategy',
    'document 3 (Warehouse "app", line 27): /spec/subscriptions/0/image/semverConstraint: is deprecated: use constraint',
    'document 3 (Warehouse "app", line 28): /spec/subscriptions/0/image/allowTags: is deprecated: use allowTagsRegexes',
    'document 3 (Warehouse "app", line 29): /spec/subscriptions/0/image/ignoreTags: is deprecated: use ignoreTagsRegexes',
    'document 5 (Application "smoke", line 40): argoproj.io/v1alpha1 Application is not a Kargo resource; skipped',
    'document 6 (Namespace "plain", line 45): a Namespace without the label kargo.akuity.io/project: "true" is not a Project; skipped',
  ]);
  assert.deepEqual(
    resources.map((r) => [r.project, r.resource.kind, r.resource.metadata.name]),
    [
      ['legacy', 'Project', 'legacy'],
      ['old', 'Project', 'old'],
      ['old', 'ProjectConfig', 'old'],
      ['old', 'Warehouse', 'app'],
    ],
  );
  assert.deepEqual(resources[0]?.resource.metadata.labels, { 'kargo.akuity.io/project': 'true' });
  assert.deepEqual(resources[2]?.resource.spec, {
    promotionPolicies: [{ stageSelector: { name: 'dev' }, autoPromotionEnabled: true }],
  });
  assert.deepEqual(resources[3]?.resource.spec, {
    interval: '5m0s',
    freightCreationPolicy: 'Automatic',
    subscriptions: [
      {
        image: {
          repoURL: 'ghcr.io/acme/app',
          imageSelectionStrategy: 'SemVer',
          constraint: '>=1.0.0',
          strictSemvers: true,
          allowTagsRegexes: ['^v?1\\.'],
          ignoreTagsRegexes: ['^1\\.0\\.1\\+bad$'],
          discoveryLimit: 20,
        },
      },
      {
        git: {
          repoURL: 'https://github.com/acme/config',
          commitSelectionStrategy: 'NewestFromBranch',
          strictSemvers: true,
          allowTagsRegexes: [],
          ignoreTagsRegexes: [],
          includePaths: [],
          excludePaths: [],
          discoveryLimit: 20,
        },
      },
      { chart: { repoURL: 'oci://ghcr.io/acme/charts/app', discoveryLimit: 20 } },
    ],
  });
});

test('Kargo v0.3 Stages are translated to requestedFreight and steps', () => {
  const stored: Stage = {
    apiVersion: api,
    kind: 'Stage',
    metadata: meta('edge'),
    spec: {
      requestedFreight: [
        { origin: { kind: 'Warehouse', name: 'other' }, sources: { direct: true, stages: [] } },
      ],
    },
  };
  const text = `${head('Stage', 'prod')}spec:
  subscriptions:
    upstreamStages: [{ name: uat }, { name: edge }]
---
${head('Stage', 'uat')}spec:
  subscriptions:
    upstreamStages:
    - name: dev
---
${head('Stage', 'dev')}spec:
  subscriptions:
    warehouse: app
  promotionMechanisms:
    gitRepoUpdates:
    - repoURL: https://github.com/acme/config
      writeBranch: stage/dev
      readBranch: main
      kustomize:
        images:
        - image: ghcr.io/acme/app
          path: stages/dev
        - image: ghcr.io/acme/web
          path: .
    - repoURL: https://github.com/acme/other
      writeBranch: main
      kustomize:
        images: [{ image: ghcr.io/acme/app, path: env/dev }]
    argoCDAppUpdates:
    - appName: app-dev
    - appName: web-dev
      appNamespace: apps
  verification:
    analysisTemplates: [{ name: smoke }]
`;
  const { resources, warnings } = parseManifests(text, {
    ...known,
    lookupStage: (project, name) => (project === 'demo' && name === 'edge' ? stored : undefined),
  });
  const translated = { 'ferry.dev/translated-from': 'promotionMechanisms' };
  assert.deepEqual(warnings, [
    'document 1 (Stage "prod", line 6): /spec: Kargo v0.3 form (subscriptions, promotionMechanisms) translated to requestedFreight and steps',
    'document 2 (Stage "uat", line 15): /spec: Kargo v0.3 form (subscriptions, promotionMechanisms) translated to requestedFreight and steps',
    'document 3 (Stage "dev", line 25): /spec: Kargo v0.3 form (subscriptions, promotionMechanisms) translated to requestedFreight and steps',
  ]);
  assert.deepEqual(
    resources.map((r) => r.resource),
    [
      {
        apiVersion: api,
        kind: 'Stage',
        metadata: meta('prod', translated),
        spec: {
          requestedFreight: [
            { origin: { kind: 'Warehouse', name: 'app' }, sources: { direct: false, stages: ['uat'] } },
            { origin: { kind: 'Warehouse', name: 'other' }, sources: { direct: false, stages: ['edge'] } },
          ],
        },
      },
      {
        apiVersion: api,
        kind: 'Stage',
        metadata: meta('uat', translated),
        spec: {
          requestedFreight: [
            { origin: { kind: 'Warehouse', name: 'app' }, sources: { direct: false, stages: ['dev'] } },
          ],
        },
      },
      {
        apiVersion: api,
        kind: 'Stage',
        metadata: meta('dev', translated),
        spec: {
          requestedFreight: [
            { origin: { kind: 'Warehouse', name: 'app' }, sources: { direct: true, stages: [] } },
          ],
          promotionTemplate: {
            spec: {
              steps: [
                {
                  uses: 'git-clone',
                  as: 'clone-0',
                  config: {
                    repoURL: 'https://github.com/acme/config',
                    checkout: [{ branch: 'main', path: './repo-0' }],
                  },
                },
                {
                  uses: 'kustomize-set-image',
                  as: 'update-image-0-0',
                  config: { path: './repo-0/stages/dev', images: [{ image: 'ghcr.io/acme/app' }] },
                },
                {
                  uses: 'kustomize-set-image',
                  as: 'update-image-0-1',
                  config: { path: './repo-0', images: [{ image: 'ghcr.io/acme/web' }] },
                },
                {
                  uses: 'git-commit',
                  as: 'commit-0',
                  config: { path: './repo-0', messageFromSteps: ['update-image-0-0', 'update-image-0-1'] },
                },
                { uses: 'git-push', as: 'push-0', config: { path: './repo-0', targetBranch: 'stage/dev' } },
                {
                  uses: 'git-clone',
                  as: 'clone-1',
                  config: {
                    repoURL: 'https://github.com/acme/other',
                    checkout: [{ branch: 'main', path: './repo-1' }],
                  },
                },
                {
                  uses: 'kustomize-set-image',
                  as: 'update-image-1-0',
                  config: { path: './repo-1/env/dev', images: [{ image: 'ghcr.io/acme/app' }] },
                },
                {
                  uses: 'git-commit',
                  as: 'commit-1',
                  config: { path: './repo-1', messageFromSteps: ['update-image-1-0'] },
                },
                { uses: 'git-push', as: 'push-1', config: { path: './repo-1', targetBranch: 'main' } },
                {
                  uses: 'argocd-update',
                  as: 'argocd-update',
                  config: {
                    apps: [
                      { name: 'app-dev', namespace: 'argocd' },
                      { name: 'web-dev', namespace: 'apps' },
                    ],
                  },
                },
              ],
            },
          },
          verification: { analysisTemplates: [{ name: 'smoke' }] },
        } as Stage['spec'],
      },
    ],
  );
});

test('the project comes from metadata.namespace or the default project', () => {
  const wh = (ns?: string) =>
    `apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata:\n  name: app\n${ns ? `  namespace: ${ns}\n` : ''}spec:\n  subscriptions: [{ image: { repoURL: nginx } }]\n`;
  const projectOf = (text: string, options: ParseOptions) =>
    parseManifests(text, options).resources[0]?.project;
  assert.equal(projectOf(wh(), { ...known, defaultProject: 'demo' }), 'demo');
  assert.equal(projectOf(wh('demo'), { ...known, defaultProject: 'demo' }), 'demo');
  assert.equal(projectOf(wh('demo'), known), 'demo');
  assert.deepEqual(problems(wh()), [
    'document 1 (Warehouse "app", line 3): /metadata/namespace: required: the Project this Warehouse belongs to',
  ]);
  assert.deepEqual(problems(wh('demo'), { knownProjects: new Set(['demo', 'x']), defaultProject: 'x' }), [
    'document 1 (Warehouse "app", line 5): /metadata/namespace: is "demo" but the project given is "x"',
  ]);
  assert.deepEqual(problems(wh(), { knownProjects: new Set(), defaultProject: 'nope' }), [
    'document 1 (Warehouse "app", line 1): project "nope" does not exist: apply its Project first or in the same file',
  ]);
});

test('every problem of a file is reported, each with its document, line and field', () => {
  // [case, file, options, expected problems]
  const cases: Array<[string, string, string[]]> = [
    [
      'Stage without a Warehouse name, project unknown',
      `${head('Stage', 'uat', 'nope')}spec:\n  requestedFreight:\n  - origin: { kind: Warehouse }\n    sources: { direct: true }\n`,
      [
        'document 1 (Stage "uat", line 8): /spec/requestedFreight/0/origin/name: required: the Warehouse this Stage takes Freight from',
        'document 1 (Stage "uat", line 5): /metadata/namespace: project "nope" does not exist: apply its Project first or in the same file',
      ],
    ],
    [
      'Stage requests',
      `${head('Stage', 'uat')}spec:
  requestedFreight:
  - origin: { kind: Git, name: app }
    sources: {}
  - origin: { kind: Warehouse, name: app }
    sources: { direct: "yes", requiredSoakTime: 1d, availabilityStrategy: Every }
  - origin: { kind: Warehouse, name: app }
    sources: { direct: true, stages: [dev, qa], autoPromotionOptions: { selectionPolicy: MatchUpstream } }
  - {}
`,
      [
        'document 1 (Stage "uat", line 8): /spec/requestedFreight/0/origin/kind: must be Warehouse',
        'document 1 (Stage "uat", line 9): /spec/requestedFreight/0/sources: needs direct: true or at least one upstream Stage in stages',
        'document 1 (Stage "uat", line 11): /spec/requestedFreight/1/sources/availabilityStrategy: must be OneOf or All',
        'document 1 (Stage "uat", line 11): /spec/requestedFreight/1/sources/requiredSoakTime: must be a duration like 30m, 1h or 1h30m',
        'document 1 (Stage "uat", line 11): /spec/requestedFreight/1/sources/direct: must be true or false',
        'document 1 (Stage "uat", line 11): /spec/requestedFreight/1/sources: needs direct: true or at least one upstream Stage in stages',
        'document 1 (Stage "uat", line 10): /spec/requestedFreight/1/origin: Freight from Warehouse "app" is requested more than once',
        'document 1 (Stage "uat", line 13): /spec/requestedFreight/2/sources/autoPromotionOptions/selectionPolicy: MatchUpstream cannot be used with direct: true (Freight straight from the Warehouse)',
        'document 1 (Stage "uat", line 13): /spec/requestedFreight/2/sources/autoPromotionOptions/selectionPolicy: MatchUpstream needs exactly one upstream Stage in stages (found 2)',
        'document 1 (Stage "uat", line 12): /spec/requestedFreight/2/origin: Freight from Warehouse "app" is requested more than once',
        'document 1 (Stage "uat", line 14): /spec/requestedFreight/3/origin: required: where the Freight comes from',
        'document 1 (Stage "uat", line 14): /spec/requestedFreight/3/sources: needs direct: true or at least one upstream Stage in stages',
      ],
    ],
    [
      'Stage steps',
      `${head('Stage', 'dev')}spec:
  requestedFreight: [{ origin: { kind: Warehouse, name: app }, sources: { direct: true } }]
  promotionTemplate:
    spec:
      steps:
      - uses: git-clone
        as: clone
      - uses: ""
        as: " clone "
      - as: step-3
        config: [1]
      - task: { name: deploy, kind: Other }
      - uses: x
        onError: stop
`,
      [
        'document 1 (Stage "dev", line 13): /spec/promotionTemplate/spec/steps/1/uses: required: the step to run, such as git-clone',
        'document 1 (Stage "dev", line 14): /spec/promotionTemplate/spec/steps/1/as: step alias duplicates that of /spec/promotionTemplate/spec/steps/0',
        'document 1 (Stage "dev", line 15): /spec/promotionTemplate/spec/steps/2/uses: required: the step to run, such as git-clone',
        'document 1 (Stage "dev", line 15): /spec/promotionTemplate/spec/steps/2/as: step alias is reserved',
        'document 1 (Stage "dev", line 16): /spec/promotionTemplate/spec/steps/2/config: must be a mapping',
        'document 1 (Stage "dev", line 17): /spec/promotionTemplate/spec/steps/3/task/kind: must be PromotionTask or ClusterPromotionTask',
        'document 1 (Stage "dev", line 19): /spec/promotionTemplate/spec/steps/4/onError: unknown field',
      ],
    ],
    [
      'Stage in both forms, and a Stage with no spec',
      `${head('Stage', 'dev')}spec:\n  requestedFreight: []\n  subscriptions: { warehouse: app }\n---\n${head('Stage', 'uat')}`,
      [
        'document 1 (Stage "dev", line 6): /spec: mixes the current form (requestedFreight, promotionTemplate) with the Kargo v0.3 form (subscriptions, promotionMechanisms): use one',
        'document 2 (Stage "uat", line 10): /spec: required: where the Stage takes Freight from and how it is promoted',
      ],
    ],
    [
      'v0.3 Stages that cannot be translated',
      `${head('Stage', 'dev')}spec:
  subscriptions: { warehouse: app, upstreamStages: [{ name: x }] }
  promotionMechanisms:
    gitRepoUpdates:
    - repoURL: https://github.com/acme/config
      render: {}
    - writeBranch: main
      pullRequest: { github: {} }
      kustomize:
        images: [{ image: app, path: ../up, useDigest: true }, { path: x }]
    argoCDAppUpdates:
    - appNamespace: argocd
      sourceUpdates: []
---
${head('Stage', 'uat')}spec:
  subscriptions: { upstreamStages: [{ name: ghost }, { name: prod }] }
---
${head('Stage', 'prod')}spec:
  subscriptions: { upstreamStages: [{ name: uat }] }
---
${head('Stage', 'qa')}spec:
  subscriptions: {}
`,
      [
        'document 1 (Stage "dev", line 7): /spec/subscriptions: give either warehouse or upstreamStages, not both',
        'document 1 (Stage "dev", line 11): /spec/promotionMechanisms/gitRepoUpdates/0/render: not supported yet by Ferry',
        'document 1 (Stage "dev", line 10): /spec/promotionMechanisms/gitRepoUpdates/0/writeBranch: required: the branch to commit to',
        'document 1 (Stage "dev", line 13): /spec/promotionMechanisms/gitRepoUpdates/1/pullRequest: not supported yet by Ferry',
        'document 1 (Stage "dev", line 12): /spec/promotionMechanisms/gitRepoUpdates/1/repoURL: required: the Git repository to update',
        'document 1 (Stage "dev", line 15): /spec/promotionMechanisms/gitRepoUpdates/1/kustomize/images/0/useDigest: not supported yet by Ferry',
        'document 1 (Stage "dev", line 15): /spec/promotionMechanisms/gitRepoUpdates/1/kustomize/images/0/path: must be a relative path inside the repository',
        'document 1 (Stage "dev", line 15): /spec/promotionMechanisms/gitRepoUpdates/1/kustomize/images/1/image: required: the image to set',
        'document 1 (Stage "dev", line 18): /spec/promotionMechanisms/argoCDAppUpdates/0/sourceUpdates: not supported yet by Ferry',
        'document 1 (Stage "dev", line 17): /spec/promotionMechanisms/argoCDAppUpdates/0/appName: required: the Argo CD Application to sync',
        'document 2 (Stage "uat", line 26): /spec/subscriptions/upstreamStages/0/name: upstream Stage "ghost" not found: define it in this file or apply it first to project "demo"',
        'document 3 (Stage "prod", line 34): /spec/subscriptions/upstreamStages/0/name: upstream Stage "uat" leads back to Stage "prod": Stages must not form a cycle',
        'document 4 (Stage "qa", line 42): /spec/subscriptions: required: warehouse or upstreamStages',
      ],
    ],
    [
      'Warehouse fields',
      `${head('Warehouse', 'app')}spec:
  interval: 300ms
  freightCreationPolicy: Sometimes
  freightCreationCriteria: { expression: "true" }
  subscriptions:
  - image:
      repoURL: ghcr.io/acme/app:1.0
      imageSelectionStrategy: Newest
      constraint: ^1
      semverConstraint: ^2
      strictSemvers: "no"
      allowTagsRegexes: ["(", "a(?=b)"]
      ignoreTagsRegexes: [ok]
      platform: linux
      discoveryLimit: 101
      constriant: 1.2
  - image:
      repoURL: ghcr.io/acme/lexical
      imageSelectionStrategy: Digest
  - image:
      repoURL: GHCR.io/acme/App
      constraint: ">= nope"
  - image: { repoURL: ghcr.io/acme/app }
  - git: {}
    image: {}
  - helm: {}
`,
      [
        'document 1 (Warehouse "app", line 9): /spec/freightCreationCriteria: not supported yet by Ferry',
        'document 1 (Warehouse "app", line 7): /spec/interval: must be a duration in hours, minutes and seconds, like "5m0s" or "1h30m"',
        'document 1 (Warehouse "app", line 8): /spec/freightCreationPolicy: must be Automatic or Manual',
        'document 1 (Warehouse "app", line 21): /spec/subscriptions/0/image/constriant: unknown field',
        'document 1 (Warehouse "app", line 12): /spec/subscriptions/0/image/repoURL: must be an image repository without a tag or digest, like "ghcr.io/acme/app"',
        'document 1 (Warehouse "app", line 13): /spec/subscriptions/0/image/imageSelectionStrategy: must be one of SemVer, Lexical, Digest, NewestBuild',
        'document 1 (Warehouse "app", line 15): /spec/subscriptions/0/image/semverConstraint: differs from constraint ("^1"): give only constraint',
        'document 1 (Warehouse "app", line 17): /spec/subscriptions/0/image/allowTagsRegexes/0: invalid regular expression: Invalid regular expression: /(/: Unterminated group',
        'document 1 (Warehouse "app", line 17): /spec/subscriptions/0/image/allowTagsRegexes/1: invalid regular expression: Go regular expressions have no lookahead or lookbehind',
        'document 1 (Warehouse "app", line 19): /spec/subscriptions/0/image/platform: must be os/arch or os/arch/variant, like "linux/amd64"',
        'document 1 (Warehouse "app", line 20): /spec/subscriptions/0/image/discoveryLimit: must be a whole number from 1 to 100',
        'document 1 (Warehouse "app", line 16): /spec/subscriptions/0/image/strictSemvers: must be true or false',
        'document 1 (Warehouse "app", line 22): /spec/subscriptions/1/image/constraint: required: the tag to follow when imageSelectionStrategy is Digest',
        'document 1 (Warehouse "app", line 27): /spec/subscriptions/2/image/constraint: invalid SemVer constraint: improper constraint: ">= nope"',
        'document 1 (Warehouse "app", line 26): /spec/subscriptions/2/image/repoURL: subscription for image repository already exists at /spec/subscriptions/0',
        'document 1 (Warehouse "app", line 28): /spec/subscriptions/3/image/repoURL: subscription for image repository already exists at /spec/subscriptions/0',
        'document 1 (Warehouse "app", line 29): /spec/subscriptions/4: must have exactly one of image, git or chart (besides an optional name)',
        'document 1 (Warehouse "app", line 31): /spec/subscriptions/5/helm: subscription type "helm" is not supported by Ferry',
      ],
    ],
    [
      'Warehouse with a chart subscription lacking its name, and an empty one',
      `${head('Warehouse', 'chart')}spec:\n  subscriptions:\n  - chart: { repoURL: https://charts.example.com }\n---\n${head('Warehouse', 'none')}spec: {}\n`,
      [
        'document 1 (Warehouse "chart", line 8): /spec/subscriptions/0/chart/name: required when repoURL is an http(s):// chart repository: the name of the chart in its index.yaml',
        'document 2 (Warehouse "none", line 15): /spec/subscriptions: required: at least one subscription',
      ],
    ],
    [
      'ProjectConfig and policies',
      `${head('ProjectConfig', 'other')}spec:
  promotionPolicies:
  - stageSelector: { name: dev }
  - stage: dev
    autoPromotionEnabled: yes
  - stage: Dev_1
  - stage: x
    stageSelector: { name: x }
  - stageSelector: { name: "glob:[x" }
  - stageSelector: { name: "wild:x*", matchExpressions: [] }
  - autoPromotionEnabled: true
  webhookReceivers: []
`,
      [
        'document 1 (ProjectConfig "other", line 4): /metadata/name: must be the name of its Project ("demo")',
        'document 1 (ProjectConfig "other", line 10): /spec/promotionPolicies/1/autoPromotionEnabled: must be true or false',
        'document 1 (ProjectConfig "other", line 9): /spec/promotionPolicies/1: stage name already defined at /spec/promotionPolicies/0',
        'document 1 (ProjectConfig "other", line 11): /spec/promotionPolicies/2/stage: must be a Stage name',
        'document 1 (ProjectConfig "other", line 12): /spec/promotionPolicies/3: give either stageSelector or the older stage, not both',
        'document 1 (ProjectConfig "other", line 14): /spec/promotionPolicies/4/stageSelector/name: invalid glob pattern: bad glob pattern "[x": unclosed [',
        'document 1 (ProjectConfig "other", line 15): /spec/promotionPolicies/5/stageSelector/matchExpressions: not supported yet by Ferry: use matchLabels',
        'document 1 (ProjectConfig "other", line 15): /spec/promotionPolicies/5/stageSelector/name: invalid pattern identifier "wild": must be "regex", "regexp" or "glob"',
        'document 1 (ProjectConfig "other", line 16): /spec/promotionPolicies/6/stageSelector: required: the Stages this policy applies to (or the older stage: NAME)',
      ],
    ],
    [
      'documents that are not resources Ferry takes',
      `a: [1\n---\n- just a list\n---\nkind: Stage\n---\napiVersion: kargo.akuity.io/v1beta1\nkind: Stage\n---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Freight\n---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Stag\n---\napiVersion: v1\nkind: List\nitems: []\n`,
      [
        'document 1 (line 2, column 1): YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
        'document 2 (line 3): must be a mapping with apiVersion, kind and metadata',
        'document 3 (Stage, line 5): /apiVersion: required: the API version, such as kargo.akuity.io/v1alpha1',
        'document 4 (Stage, line 7): /apiVersion: must be kargo.akuity.io/v1alpha1',
        'document 5 (Freight, line 11): /kind: Freight is not supported yet by Ferry',
        'document 6 (Stag, line 14): /kind: unknown kind "Stag" in kargo.akuity.io/v1alpha1',
        'document 7 (List, line 17): /kind: List is not supported: write one resource per document',
      ],
    ],
    [
      'names, labels, duplicates',
      `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: Demo.Shop
  labels: { a: 1 }
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: demo
spec:
  promotionPolicies: []
---
${head('ProjectConfig', 'demo')}---
${head('Warehouse', 'app')}spec: { subscriptions: [{ image: { repoURL: nginx } }] }
extra: 1
---
${head('Warehouse', 'app')}spec: { subscriptions: [{ image: { repoURL: nginx } }] }
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: { generateName: app- }
spec: { subscriptions: [{ image: { repoURL: nginx } }] }
`,
      [
        'document 1 (Project "Demo.Shop", line 4): /metadata/name: must be at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit',
        'document 1 (Project "Demo.Shop", line 5): /metadata/labels/a: must be a string (put it in quotes: "1")',
        'document 3 (ProjectConfig "demo", line 17): /metadata/name: ProjectConfig "demo" of project "demo" is defined twice: also in document 2 (its spec.promotionPolicies)',
        'document 4 (Warehouse "app", line 26): /extra: unknown field',
        'document 5 (Warehouse "app", line 31): /metadata/name: Warehouse "app" of project "demo" is defined twice: also in document 4',
        'document 6 (Warehouse, line 37): /metadata/name: required: the name of the Warehouse',
        'document 6 (Warehouse, line 37): /metadata/generateName: not supported: give metadata.name',
        'document 6 (Warehouse, line 37): /metadata/namespace: required: the Project this Warehouse belongs to',
      ],
    ],
  ];
  for (const [name, text, want] of cases) assert.deepEqual(problems(text), want, name);
});

test('the error lists every problem in its message and carries the code and status', () => {
  const text = `${head('Stage', 'uat')}spec:\n  requestedFreight:\n  - origin: { kind: Warehouse }\n    sources: { direct: true }\n`;
  assert.throws(
    () => parseManifests(text, known),
    (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.equal(e.status, 400);
      assert.equal(
        e.message,
        'the manifests are invalid: document 1 (Stage "uat", line 8): /spec/requestedFreight/0/origin/name: ' +
          'required: the Warehouse this Stage takes Freight from',
      );
      return true;
    },
  );
});
