import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ProjectConfig, ValidationError } from '@ferry/contracts';
import { parseManifests } from './manifest.ts';

const known = { knownProjects: new Set(['demo']) };
const config = (receivers: string) =>
  `apiVersion: kargo.akuity.io/v1alpha1\nkind: ProjectConfig\nmetadata:\n  name: demo\n  namespace: demo\nspec:\n  webhookReceivers:\n${receivers}`;

test('webhook receivers are read in Kargo form, every Kargo provider included', () => {
  const parsed = parseManifests(
    config(`  - name: gh
    github:
      secretRef: { name: gh-secret }
  - name: any
    generic:
      secretRef: { name: any-secret }
      signatureHeader: X-Signature
  - name: reg
    distribution:
      secretRef: { name: reg-token }
  - name: tea
    gitea:
      secretRef: { name: tea }
  - name: bb
    bitbucket:
      secretRef: { name: bb }
  - name: frog
    artifactory:
      secretRef: { name: frog }
      virtualRepoName: proj-virtual
  - name: acr
    azure:
      secretRef: { name: acr }
`),
    known,
  );
  const cfg = parsed.resources[0]?.resource as ProjectConfig;
  assert.deepEqual(cfg.spec.webhookReceivers, [
    { name: 'gh', github: { secretRef: { name: 'gh-secret' } } },
    { name: 'any', generic: { secretRef: { name: 'any-secret' }, signatureHeader: 'X-Signature' } },
    { name: 'reg', distribution: { secretRef: { name: 'reg-token' } } },
    { name: 'tea', gitea: { secretRef: { name: 'tea' } } },
    { name: 'bb', bitbucket: { secretRef: { name: 'bb' } } },
    { name: 'frog', artifactory: { secretRef: { name: 'frog' }, virtualRepoName: 'proj-virtual' } },
    { name: 'acr', azure: { secretRef: { name: 'acr' } } },
  ]);
  assert.deepEqual(parsed.warnings, []);
});

test('an empty list leaves spec.webhookReceivers out', () => {
  const cfg = parseManifests(config('    []\n'), known).resources[0]?.resource as ProjectConfig;
  assert.deepEqual(cfg.spec, { promotionPolicies: [] });
});

test('bad webhook receivers name every problem', () => {
  let problems: string[] = [];
  try {
    parseManifests(
      config(`  - name: gh
    github: { secretRef: { name: s } }
  - name: gh
    gitlab: { secretRef: { name: s } }
  - name: Two
    quay: { secretRef: { name: s } }
    harbor: { secretRef: { name: s } }
  - name: none
  - name: nosecret
    dockerhub: {}
  - name: hdr
    generic: { secretRef: { name: s }, signatureHeader: "bad header" }
  - just-a-string
  - name: frog
    artifactory: { secretRef: { name: s }, virtualRepoName: "proj/virtual" }
  - name: tea
    gitea: { secretRef: { name: s }, virtualRepoName: x }
`),
      known,
    );
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    problems = e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.deepEqual(problems, [
    'document 1 (ProjectConfig "demo", line 10): /spec/webhookReceivers/1/name: receiver name already defined at /spec/webhookReceivers/0',
    'document 1 (ProjectConfig "demo", line 12): /spec/webhookReceivers/2/name: must be at most 253 lowercase letters, digits, "-" or ".", starting and ending with a letter or digit',
    'document 1 (ProjectConfig "demo", line 12): /spec/webhookReceivers/2: give only one provider block, not quay and harbor',
    'document 1 (ProjectConfig "demo", line 15): /spec/webhookReceivers/3: give one provider block: github, gitlab, quay, dockerhub, harbor, generic, distribution, gitea, bitbucket, artifactory, azure',
    'document 1 (ProjectConfig "demo", line 17): /spec/webhookReceivers/4/dockerhub/secretRef: required: the Secret holding the shared secret',
    'document 1 (ProjectConfig "demo", line 19): /spec/webhookReceivers/5/generic/signatureHeader: must be an HTTP header name',
    'document 1 (ProjectConfig "demo", line 20): /spec/webhookReceivers/6: must be a mapping with name and one provider block',
    'document 1 (ProjectConfig "demo", line 22): /spec/webhookReceivers/7/artifactory/virtualRepoName: must be an Artifactory repository key (letters, digits, "-", "_" or ".")',
    'document 1 (ProjectConfig "demo", line 24): /spec/webhookReceivers/8/gitea/virtualRepoName: unknown field',
  ]);
});
