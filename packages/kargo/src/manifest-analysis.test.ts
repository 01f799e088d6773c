import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseManifests } from './manifest.ts';

const TEMPLATE = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: smoke
  namespace: shop
spec:
  args:
    - name: url
  metrics:
    - name: up
      successCondition: result == true
      provider:
        web:
          url: "{{args.url}}"
          jsonPath: "{$.ok}"
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterAnalysisTemplate
metadata:
  name: error-rate
spec:
  metrics:
    - name: errors
      successCondition: result[0] < 0.01
      provider:
        prometheus:
          address: http://prometheus:9090
          query: sum(rate(errors[5m]))
`;

test('AnalysisTemplates and ClusterAnalysisTemplates are read for verification', () => {
  const r = parseManifests(TEMPLATE, { knownProjects: new Set(['shop']) });
  assert.deepEqual(
    r.analysisTemplates.map((a) => `${a.template.kind}/${a.template.name}@${a.project}`),
    ['AnalysisTemplate/smoke@shop', 'ClusterAnalysisTemplate/error-rate@'],
  );
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.resources, []);
});

test('a bad AnalysisTemplate is a problem of the file, with its document and field', () => {
  assert.throws(
    () =>
      parseManifests(TEMPLATE.replace('web:', 'datadog:').replace('namespace: shop', 'namespace: nope'), {
        knownProjects: new Set(['shop']),
      }),
    (err: Error & { problems: Array<{ path: string; message: string }> }) => {
      assert.deepEqual(
        err.problems.map((p) => `${p.path}: ${p.message}`),
        [
          'document 1 (AnalysisTemplate "smoke", line 13): /spec/metrics/0/provider/datadog: provider datadog is not supported yet; supported: web, prometheus',
        ],
      );
      return true;
    },
  );
});
