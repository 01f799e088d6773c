import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ValidationError, type Warehouse } from '@ferry/contracts';
import { freightId } from './freight.ts';
import { parseManifests } from './manifest.ts';

const known = { knownProjects: new Set(['demo']) };
const warehouse = (subs: string) =>
  `apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata:\n  name: charts\n  namespace: demo\nspec:\n  subscriptions:\n${subs}`;

/** The problems `parseManifests` reports for `text`, as `path: message`; fails when it accepts it. */
function problemsOf(text: string): string[] {
  try {
    parseManifests(text, known);
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('accepted');
}

test('chart subscriptions are read with Kargo defaults; a Warehouse may have only charts', () => {
  const parsed = parseManifests(
    warehouse(`  - chart:
      repoURL: https://charts.example.com/stable
      name: nginx
      semverConstraint: ^1.2.0
  - chart:
      repoURL: oci://ghcr.io/acme/charts/app
      discoveryLimit: 5
  - chart:
      repoURL: https://charts.example.com/stable
      name: redis
`),
    known,
  );
  assert.deepEqual(parsed.warnings, []);
  const wh = parsed.resources[0]?.resource as Warehouse;
  assert.deepEqual(wh.spec.subscriptions, [
    {
      chart: {
        repoURL: 'https://charts.example.com/stable',
        name: 'nginx',
        semverConstraint: '^1.2.0',
        discoveryLimit: 20,
      },
    },
    { chart: { repoURL: 'oci://ghcr.io/acme/charts/app', discoveryLimit: 5 } },
    { chart: { repoURL: 'https://charts.example.com/stable', name: 'redis', discoveryLimit: 20 } },
  ]);
});

test('insecureSkipTLSVerify on a chart subscription is read without a warning', () => {
  const parsed = parseManifests(
    warehouse(`  - chart: { repoURL: oci://ghcr.io/acme/app, insecureSkipTLSVerify: true }\n`),
    known,
  );
  assert.deepEqual(parsed.warnings, []);
  const wh = parsed.resources[0]?.resource as Warehouse;
  assert.deepEqual(wh.spec.subscriptions, [
    { chart: { repoURL: 'oci://ghcr.io/acme/app', discoveryLimit: 20, insecureSkipTLSVerify: true } },
  ]);
});

test('bad chart subscriptions name every problem with its path', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'repoURL missing',
      `  - chart: { name: nginx }\n`,
      [
        'document 1 (Warehouse "charts", line 8): /spec/subscriptions/0/chart/repoURL: required: the chart repository to watch, like https://charts.example.com or oci://ghcr.io/acme/charts/app',
      ],
    ],
    [
      'repoURL of another scheme',
      `  - chart: { repoURL: "git@github.com:acme/charts", name: app }\n`,
      [
        'document 1 (Warehouse "charts", line 8): /spec/subscriptions/0/chart/repoURL: must be an http(s):// chart repository or an oci:// chart, like "https://charts.example.com" or "oci://ghcr.io/acme/charts/app"',
      ],
    ],
    [
      'name missing for an HTTP repository',
      `  - chart: { repoURL: "http://charts.example.com" }\n`,
      [
        'document 1 (Warehouse "charts", line 8): /spec/subscriptions/0/chart/name: required when repoURL is an http(s):// chart repository: the name of the chart in its index.yaml',
      ],
    ],
    [
      'name given for an OCI chart',
      `  - chart: { repoURL: "oci://ghcr.io/acme/charts", name: app }\n`,
      [
        'document 1 (Warehouse "charts", line 8): /spec/subscriptions/0/chart/name: must be empty when repoURL starts with oci://: the URL already names the chart',
      ],
    ],
    [
      'bad constraint and limit, unknown field',
      `  - chart: { repoURL: "oci://ghcr.io/acme/app", semverConstraint: ">= nope", discoveryLimit: 0, version: 1.0.0 }\n`,
      [
        'document 1 (Warehouse "charts", line 8): /spec/subscriptions/0/chart/version: unknown field',
        'document 1 (Warehouse "charts", line 8): /spec/subscriptions/0/chart/semverConstraint: invalid SemVer constraint: improper constraint: ">= nope"',
        'document 1 (Warehouse "charts", line 8): /spec/subscriptions/0/chart/discoveryLimit: must be a whole number from 1 to 100',
      ],
    ],
    [
      'duplicates: the same chart of a repository (URL case aside), the same OCI chart',
      `  - chart: { repoURL: "https://charts.example.com", name: app }
  - chart: { repoURL: "https://Charts.Example.com", name: app }
  - chart: { repoURL: "https://charts.example.com", name: db }
  - chart: { repoURL: "oci://ghcr.io/acme/app" }
  - chart: { repoURL: "oci://GHCR.io/acme/app" }
  - image: { repoURL: "ghcr.io/acme/app" }
`,
      [
        'document 1 (Warehouse "charts", line 9): /spec/subscriptions/1/chart/repoURL: subscription for chart "app" already exists at /spec/subscriptions/0',
        'document 1 (Warehouse "charts", line 12): /spec/subscriptions/4/chart/repoURL: subscription for chart already exists at /spec/subscriptions/3',
      ],
    ],
  ];
  for (const [name, subs, want] of cases) {
    assert.deepEqual(problemsOf(warehouse(subs)), want, name);
  }
});

test('charts count in the Freight id as Kargo counts them', () => {
  const origin = { kind: 'Warehouse' as const, name: 'charts' };
  const http = { repoURL: 'https://charts.example.com', name: 'app', version: '1.0.0' };
  const oci = { repoURL: 'oci://ghcr.io/acme/app', name: '', version: '2.0.0' };
  const id = freightId({ origin, charts: [http, oci] });
  assert.equal(id, freightId({ origin, charts: [oci, http] }), 'order does not matter');
  assert.notEqual(id, freightId({ origin, charts: [{ ...http, version: '1.0.1' }, oci] }));
  assert.notEqual(id, freightId({ origin, charts: [http] }));
  // Kargo hashes `Warehouse/charts:` + sorted `path.Join(normalized repo, name):version` joined by `|`
  // (Go's path.Join folds the `//` of the scheme).
  const kargo = createHash('sha1')
    .update('Warehouse/charts:ghcr.io/acme/app:2.0.0|https:/charts.example.com/app:1.0.0')
    .digest('hex');
  assert.equal(id, kargo);
});
