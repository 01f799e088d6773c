import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError, type Warehouse } from '@ferry/contracts';
import { parseManifests } from './manifest.ts';

const known = { knownProjects: new Set(['demo']) };
const warehouse = (subs: string) =>
  `apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata:\n  name: tls\n  namespace: demo\nspec:\n  subscriptions:\n${subs}`;

function subscriptionsOf(subs: string): {
  warnings: string[];
  subscriptions: Warehouse['spec']['subscriptions'];
} {
  const parsed = parseManifests(warehouse(subs), known);
  const wh = parsed.resources[0]?.resource as Warehouse;
  return { warnings: parsed.warnings, subscriptions: wh.spec.subscriptions };
}

function problemsOf(subs: string): string[] {
  try {
    parseManifests(warehouse(subs), known);
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('accepted');
}

test('insecureSkipTLSVerify is read on image and chart subscriptions; false and absent leave it out', () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    [
      'image, true',
      `  - image: { repoURL: registry.example.com/app, insecureSkipTLSVerify: true }\n`,
      { image: { insecureSkipTLSVerify: true } },
    ],
    [
      'image, false',
      `  - image: { repoURL: registry.example.com/app, insecureSkipTLSVerify: false }\n`,
      { image: {} },
    ],
    ['image, absent', `  - image: { repoURL: registry.example.com/app }\n`, { image: {} }],
    [
      'https chart, true',
      `  - chart: { repoURL: "https://charts.example.com", name: app, insecureSkipTLSVerify: true }\n`,
      { chart: { insecureSkipTLSVerify: true } },
    ],
    [
      'oci chart, true',
      `  - chart: { repoURL: oci://registry.example.com/charts/app, insecureSkipTLSVerify: true }\n`,
      { chart: { insecureSkipTLSVerify: true } },
    ],
    [
      'chart, false',
      `  - chart: { repoURL: oci://registry.example.com/charts/app, insecureSkipTLSVerify: false }\n`,
      { chart: {} },
    ],
  ];
  for (const [name, subs, want] of cases) {
    const { warnings, subscriptions } = subscriptionsOf(subs);
    assert.deepEqual(warnings, [], name);
    const sub = subscriptions[0] as unknown as Record<string, Record<string, unknown>>;
    const [kind, fields] = Object.entries(want)[0] as [string, Record<string, unknown>];
    assert.equal(sub[kind]?.insecureSkipTLSVerify, fields.insecureSkipTLSVerify, name);
    assert.equal('insecureSkipTLSVerify' in (sub[kind] ?? {}), 'insecureSkipTLSVerify' in fields, name);
  }
});

test('insecureSkipTLSVerify that is not a boolean is a problem named by its path', () => {
  assert.deepEqual(
    problemsOf(
      `  - image: { repoURL: registry.example.com/app, insecureSkipTLSVerify: "yes" }\n` +
        `  - chart: { repoURL: oci://registry.example.com/charts/app, insecureSkipTLSVerify: 1 }\n`,
    ),
    [
      'document 1 (Warehouse "tls", line 8): /spec/subscriptions/0/image/insecureSkipTLSVerify: must be true or false',
      'document 1 (Warehouse "tls", line 9): /spec/subscriptions/1/chart/insecureSkipTLSVerify: must be true or false',
    ],
  );
});
