// The CLI as `pnpm kube-sim` runs it: a child process that loads manifests, prints where it listens and
// stops cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { tempDir } from '@ferry/support';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { Obj } from './testing.ts';

const MANIFESTS = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: one, namespace: argocd}
spec: {project: default, destination: {server: https://kubernetes.default.svc, namespace: dev}}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: two, namespace: argocd}
spec: {project: default, destination: {server: https://kubernetes.default.svc, namespace: prod}}
`;

describe('kube-sim CLI', () => {
  it('loads -f manifests, prints the kubeconfig path and exits 0 on SIGTERM', async () => {
    const dir = await tempDir('kube-sim-cli');
    const file = join(dir, 'apps.yaml');
    await writeFile(file, MANIFESTS);
    const child = spawn(process.execPath, [join(import.meta.dirname, 'main.ts'), '--no-argocd', '-f', file], {
      env: { ...process.env, KUBE_SIM_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let kubeconfigPath = '';
      for await (const line of createInterface(child.stdout)) {
        const found = /kubeconfig written to (\S+)/.exec(line);
        if (found?.[1]) kubeconfigPath = found[1];
        if (line.includes('loaded 2 manifest(s)')) break;
      }
      assert.notEqual(kubeconfigPath, '');
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      const list: Obj = await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
        group: 'argoproj.io',
        version: 'v1alpha1',
        plural: 'applications',
        namespace: 'argocd',
      });
      assert.deepEqual(
        list.items.map((a: Obj) => a.metadata.name),
        ['one', 'two'],
      );
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
