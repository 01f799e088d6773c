import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageSubscription, Warehouse } from '@ferry/contracts';
import { insecureTlsDispatcher, type RegistryCallOptions } from '@ferry/registry';
import { projectRegistry, type RegistryCalls } from './credentials.ts';
import {
  discoverWarehouse,
  type PlatformSpec,
  type RegistryPort,
  type RegistryPortOptions,
} from './discover.ts';
import { helmDiscoverer } from './helm.ts';

const D = `sha256:${'a'.repeat(64)}`;

/** A registry fake that records the options of every call. */
class RecordingRegistry implements RegistryPort {
  calls: Array<[string, RegistryPortOptions | undefined]> = [];
  async listTags(_repoURL: string, opts?: RegistryPortOptions) {
    this.calls.push(['list', opts]);
    return ['1.0.0'];
  }
  async resolveTag(_repoURL: string, _tag: string, opts?: RegistryPortOptions) {
    this.calls.push(['resolve', opts]);
    return { digest: D };
  }
  async getImageInfo(
    _repoURL: string,
    reference: string,
    _platform?: PlatformSpec,
    opts?: RegistryPortOptions,
  ) {
    this.calls.push(['info', opts]);
    return { digest: reference, created: '2026-01-01T00:00:00Z' };
  }
}

const imageSub = (extra: Partial<ImageSubscription>): ImageSubscription => ({
  repoURL: 'registry.example.com/app',
  imageSelectionStrategy: 'SemVer',
  strictSemvers: true,
  allowTagsRegexes: [],
  ignoreTagsRegexes: [],
  discoveryLimit: 20,
  platform: 'linux/amd64',
  ...extra,
});

const warehouse = (subscriptions: Warehouse['spec']['subscriptions']): Warehouse => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'tls', namespace: 'demo' },
  spec: { interval: '5m0s', freightCreationPolicy: 'Automatic', subscriptions },
});

test('an image subscription passes insecureSkipTLSVerify to every registry call, and only when set', async () => {
  for (const [flag, want] of [
    [true, { insecureSkipTLSVerify: true }],
    [false, {}],
    [undefined, {}],
  ] as const) {
    const registry = new RecordingRegistry();
    const sub = imageSub(flag === undefined ? {} : { insecureSkipTLSVerify: flag });
    const r = await discoverWarehouse(
      warehouse([{ image: sub }]),
      registry,
      new Date('2026-02-01T00:00:00Z'),
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(registry.calls, [
      ['list', want],
      ['resolve', want],
      ['info', want],
    ]);
  }
});

test('projectRegistry hands the flag to the client with the Project credentials', async () => {
  const seen: Array<RegistryCallOptions | undefined> = [];
  const client: RegistryCalls = {
    listTags: async (_repoURL, call) => {
      seen.push(call);
      return [];
    },
    resolveTag: async (_repoURL, _tag, call) => {
      seen.push(call);
      return { digest: D };
    },
    getImageInfo: async (_repoURL, reference, _platform, call) => {
      seen.push(call);
      return { digest: reference };
    },
  };
  const port = projectRegistry(client, { credentialsFor: async () => undefined }, 'demo');
  await port.listTags('registry.example.com/app', { insecureSkipTLSVerify: true });
  await port.resolveTag('registry.example.com/app', '1.0.0', { insecureSkipTLSVerify: true });
  await port.getImageInfo('registry.example.com/app', D, undefined, { insecureSkipTLSVerify: true });
  await port.listTags('registry.example.com/app');
  assert.deepEqual(
    seen.map((c) => c?.insecureSkipTLSVerify),
    [true, true, true, undefined],
  );
  assert.ok(seen.every((c) => typeof c?.credentials === 'function'));
});

test('chart discovery uses the non-verifying dispatcher and registry option only for a subscription that asks', async () => {
  const dispatchers: unknown[] = [];
  const registry = new RecordingRegistry();
  const discover = helmDiscoverer({
    registry,
    fetch: async (_url, init) => {
      dispatchers.push(init?.dispatcher);
      return new Response('apiVersion: v1\nentries:\n  app:\n  - version: 1.0.0\n', { status: 200 });
    },
  });
  const repoURL = 'https://charts.example.com';
  // Started together, so a verified fetch could have joined an unverified one for the same index.
  const [a, b] = await Promise.all([
    discover({ repoURL, name: 'app', discoveryLimit: 20, insecureSkipTLSVerify: true }),
    discover({ repoURL, name: 'app', discoveryLimit: 20 }),
  ]);
  assert.deepEqual([a, b], [['1.0.0'], ['1.0.0']]);
  // One fetch each, in either order (the non-verifying dispatcher is made on first use).
  const insecure = await insecureTlsDispatcher();
  assert.equal(dispatchers.length, 2);
  assert.deepEqual(
    [dispatchers.filter((d) => d === insecure).length, dispatchers.filter((d) => d === undefined).length],
    [1, 1],
  );

  await discover({
    repoURL: 'oci://registry.example.com/charts/app',
    discoveryLimit: 20,
    insecureSkipTLSVerify: true,
  });
  await discover({ repoURL: 'oci://registry.example.com/charts/app', discoveryLimit: 20 });
  assert.deepEqual(registry.calls, [
    ['list', { insecureSkipTLSVerify: true }],
    ['list', {}],
  ]);
});
