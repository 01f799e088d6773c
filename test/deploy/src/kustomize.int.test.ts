import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { SERVICES, type ServiceName, serviceRuntime } from '@ferry/launcher';
import { type K8sObject, KUSTOMIZE_ROOT, kustomize, schemaProblem } from './render.ts';

/** Every kustomization shipped under deploy/kubernetes; each must render on kubectl 1.20. */
const DIRS = [
  'base',
  'overlays/bundled',
  'overlays/external',
  'overlays/ha',
  'components/monitoring',
] as const;
const WITH_SERVICES = ['base', 'overlays/bundled', 'overlays/external', 'overlays/ha'] as const;
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

const rendered = new Map<string, K8sObject[]>();
const render = (dir: string): K8sObject[] => {
  let objs = rendered.get(dir);
  if (!objs) {
    objs = kustomize(dir);
    rendered.set(dir, objs);
  }
  return objs;
};
const ofKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const one = (objs: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `no ${kind}/${name}`);
  return found;
};
const configData = (objs: K8sObject[]): Record<string, string> => one(objs, 'ConfigMap', 'ferry-config').data;

test('the validator rejects an object that breaks its schema', async () => {
  const bad: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'broken' },
    spec: {
      selector: {},
      template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: '80' }] }] } },
    },
  };
  assert.equal(
    await schemaProblem(bad),
    'Deployment/broken: data/spec/template/spec/containers/0/ports/0/containerPort must be integer',
  );
  assert.equal(
    await schemaProblem({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    'Widget/w: no schema for example.com/v1 Widget in kubernetes-models or @kubernetes-models/prometheus-operator',
  );
});

for (const dir of DIRS) {
  describe(dir, () => {
    test('renders, and every object passes its schema', async () => {
      const objs = render(dir);
      assert.ok(objs.length > 0, `${dir} rendered nothing`);
      const problems = (await Promise.all(objs.map(schemaProblem))).filter(Boolean);
      assert.deepEqual(problems, []);
    });

    test('puts every namespaced object in the ferry namespace', () => {
      const wrong = render(dir)
        .filter((o) => (CLUSTER_SCOPED.has(o.kind) ? o.metadata.namespace : o.metadata.namespace !== 'ferry'))
        .map((o) => `${o.kind}/${o.metadata.name}: ${o.metadata.namespace}`);
      assert.deepEqual(wrong, []);
    });
  });
}

for (const dir of WITH_SERVICES) {
  describe(`${dir}: services`, () => {
    test("has one Deployment per service running its bundle with the launcher's Node flags on the ferry image", () => {
      const deployments = ofKind(render(dir), 'Deployment');
      assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), [...SERVICES].sort());
      for (const d of deployments) {
        const containers = d.spec.template.spec.containers;
        assert.equal(containers.length, 1, d.metadata.name);
        assert.equal(containers[0].image, 'ferry:latest');
        assert.deepEqual(containers[0].command, [
          'node',
          ...serviceRuntime(d.metadata.name as ServiceName, 'bundle').nodeArgs,
          `dist/services/${d.metadata.name}.mjs`,
        ]);
      }
    });

    test('probes /healthz and /readyz on the ops port, with resources and a locked-down container', () => {
      const objs = render(dir);
      const opsPort = Number(configData(objs).FERRY_OPS_PORT);
      assert.equal(opsPort, 9090);
      assert.equal(configData(objs).FERRY_OPS_HOST, '0.0.0.0');
      for (const d of ofKind(objs, 'Deployment')) {
        const name = d.metadata.name;
        const pod = d.spec.template.spec;
        const c = pod.containers[0];
        const portOf = (p: string | number) =>
          typeof p === 'number' ? p : c.ports.find((x: { name: string }) => x.name === p)?.containerPort;
        assert.deepEqual(
          [c.livenessProbe.httpGet.path, portOf(c.livenessProbe.httpGet.port)],
          ['/healthz', opsPort],
          `${name} liveness`,
        );
        assert.deepEqual(
          [c.readinessProbe.httpGet.path, portOf(c.readinessProbe.httpGet.port)],
          ['/readyz', opsPort],
          `${name} readiness`,
        );
        for (const k of ['requests', 'limits'] as const) {
          assert.ok(c.resources?.[k]?.cpu && c.resources?.[k]?.memory, `${name} lacks resources.${k}`);
        }
        assert.equal(pod.securityContext.runAsNonRoot, true, name);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, name);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, name);
        assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'ferry-config' } }], name);
        assert.deepEqual(
          c.env.find((e: { name: string }) => e.name === 'FERRY_ENCRYPTION_KEY'),
          {
            name: 'FERRY_ENCRYPTION_KEY',
            valueFrom: { secretKeyRef: { name: 'ferry-secrets', key: 'encryption-key', optional: true } },
          },
          name,
        );
        assert.ok(pod.terminationGracePeriodSeconds > 30, `${name} must outlast the 30 s drain`);
      }
    });

    test("git-writer's cache is an emptyDir at FERRY_GIT_CACHE_DIR", () => {
      const objs = render(dir);
      const pod = one(objs, 'Deployment', 'git-writer').spec.template.spec;
      const mount = pod.containers[0].volumeMounts.find(
        (m: { mountPath: string }) => m.mountPath === configData(objs).FERRY_GIT_CACHE_DIR,
      );
      assert.ok(mount, 'no volume mounted at FERRY_GIT_CACHE_DIR');
      assert.deepEqual(Object.keys(pod.volumes.find((v: { name: string }) => v.name === mount.name)).sort(), [
        'emptyDir',
        'name',
      ]);
    });

    test('argocd-syncer alone may use the Kubernetes API, and only for Argo CD Applications', () => {
      const objs = render(dir);
      const roles = [...ofKind(objs, 'Role'), ...ofKind(objs, 'ClusterRole')];
      assert.deepEqual(
        roles.map((r) => [r.kind, r.metadata.name, r.rules]),
        [
          [
            'ClusterRole',
            'ferry-argocd-syncer',
            [
              {
                apiGroups: ['argoproj.io'],
                resources: ['applications'],
                verbs: ['get', 'list', 'watch', 'patch'],
              },
            ],
          ],
        ],
      );
      const bindings = [...ofKind(objs, 'RoleBinding'), ...ofKind(objs, 'ClusterRoleBinding')];
      assert.deepEqual(
        bindings.map((b) => [b.roleRef.name, b.subjects]),
        [['ferry-argocd-syncer', [{ kind: 'ServiceAccount', name: 'argocd-syncer', namespace: 'ferry' }]]],
      );
      for (const d of ofKind(objs, 'Deployment')) {
        const pod = d.spec.template.spec;
        const expected = d.metadata.name === 'argocd-syncer' ? ['argocd-syncer', true] : ['ferry', false];
        assert.deepEqual(
          [pod.serviceAccountName, pod.automountServiceAccountToken],
          expected,
          d.metadata.name,
        );
      }
      assert.equal(one(objs, 'ServiceAccount', 'ferry').automountServiceAccountToken, false);
    });

    test('every Deployment has a PodDisruptionBudget and the api a Service', () => {
      const objs = render(dir);
      const pdbs = ofKind(objs, 'PodDisruptionBudget');
      for (const d of ofKind(objs, 'Deployment')) {
        const pdb = pdbs.find((p) => p.metadata.name === d.metadata.name);
        assert.deepEqual(pdb?.spec.selector, d.spec.selector, d.metadata.name);
      }
      const api = one(objs, 'Service', 'api');
      assert.deepEqual(api.spec.selector, { 'app.kubernetes.io/name': 'api' });
      assert.deepEqual(api.spec.ports, [{ name: 'http', port: 8080, targetPort: 'http' }]);
    });
  });
}

test('overlays/bundled runs NATS with JetStream and append-only Redis, and points Ferry at them', () => {
  const objs = render('overlays/bundled');
  const nats = one(objs, 'StatefulSet', 'nats').spec.template.spec.containers[0];
  assert.ok(nats.args.includes('--jetstream'));
  const redis = one(objs, 'StatefulSet', 'redis').spec.template.spec.containers[0];
  assert.deepEqual(redis.command.slice(0, 3), ['redis-server', '--appendonly', 'yes']);
  const data = configData(objs);
  for (const [variable, url, service] of [
    ['FERRY_NATS_URL', 'nats://nats:4222', 'nats'],
    ['FERRY_REDIS_URL', 'redis://redis:6379', 'redis'],
  ] as const) {
    assert.equal(data[variable], url);
    const svc = one(objs, 'Service', service);
    assert.ok(
      svc.spec.ports.some((p: { port: number }) => p.port === Number(new URL(url).port)),
      `Service ${service} lacks the port of ${variable}`,
    );
  }
});

test('overlays/external and overlays/ha replace the placeholder server URLs', () => {
  for (const dir of ['overlays/external', 'overlays/ha']) {
    const data = configData(render(dir));
    assert.equal(data.FERRY_REDIS_URL, 'rediss://redis.example.com:6380', dir);
    assert.ok(!(data.FERRY_NATS_URL ?? '.invalid').includes('.invalid'), dir);
    assert.equal(ofKind(render(dir), 'StatefulSet').length, 0, dir);
  }
  assert.match(configData(render('base')).FERRY_NATS_URL ?? '', /\.invalid:/);
});

test('overlays/ha runs three replicas and autoscales api, promoter and git-writer', () => {
  const objs = render('overlays/ha');
  assert.deepEqual(
    ofKind(objs, 'Deployment').map((d) => [d.metadata.name, d.spec.replicas]),
    ofKind(objs, 'Deployment').map((d) => [d.metadata.name, 3]),
  );
  assert.deepEqual(
    ofKind(objs, 'HorizontalPodAutoscaler')
      .map((h) => [
        h.metadata.name,
        h.spec.scaleTargetRef.kind,
        h.spec.scaleTargetRef.name,
        h.spec.minReplicas,
      ])
      .sort(),
    [
      ['api', 'Deployment', 'api', 3],
      ['git-writer', 'Deployment', 'git-writer', 3],
      ['promoter', 'Deployment', 'promoter', 3],
    ],
  );
});

test('components/monitoring scrapes /metrics on the ops port of every Ferry pod', () => {
  const objs = render('components/monitoring');
  const sm = one(objs, 'ServiceMonitor', 'ferry');
  const svc = one(objs, 'Service', 'ferry-ops');
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels as Record<string, string>)) {
    assert.equal(svc.metadata.labels?.[k], v, `ServiceMonitor selects ${k}=${v}`);
  }
  assert.deepEqual(
    sm.spec.endpoints.map((e: { port: string; path: string }) => [e.port, e.path]),
    [['ops', '/metrics']],
  );
  assert.deepEqual(svc.spec.ports, [{ name: 'ops', port: 9090, targetPort: 'ops' }]);
  // The Service selects the pods of every Deployment.
  for (const d of ofKind(render('base'), 'Deployment')) {
    assert.equal(
      d.spec.template.metadata.labels['app.kubernetes.io/part-of'],
      svc.spec.selector['app.kubernetes.io/part-of'],
    );
  }
});

test('components/monitoring combines with an overlay the way docs/operations.md shows', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-kustomize-'));
  try {
    // kustomize v2.0.3 refuses absolute bases, so they are relative, as a user's would be.
    const base = (d: string) => relative(dir, join(KUSTOMIZE_ROOT, d));
    await writeFile(
      join(dir, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nbases:\n  - ${base('overlays/ha')}\n  - ${base('components/monitoring')}\n`,
    );
    const objs = kustomize(dir);
    assert.equal(objs.length, render('overlays/ha').length + render('components/monitoring').length);
    assert.equal(one(objs, 'ServiceMonitor', 'ferry').metadata.namespace, 'ferry');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
