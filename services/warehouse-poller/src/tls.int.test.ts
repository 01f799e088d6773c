import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Warehouse } from '@ferry/contracts';
import { RegistryClient } from '@ferry/registry';
import {
  pushHelmChart,
  type SelfSignedCertificate,
  selfSignedCertificate,
  startRegistry,
  type TestRegistry,
  tempDir,
} from '@ferry/support';
import { type CredentialSource, projectRegistry } from './credentials.ts';
import { discoverWarehouse } from './discover.ts';
import { HelmDiscoveryErrorCodes, helmDiscoverer } from './helm.ts';

const warehouse = (subscriptions: Warehouse['spec']['subscriptions']): Warehouse => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'tls', namespace: 'demo' },
  spec: { interval: '5m0s', freightCreationPolicy: 'Automatic', subscriptions },
});

const ADVICE =
  "if it is signed by a private CA, trust that CA by pointing NODE_EXTRA_CA_CERTS of the warehouse-poller at the CA's " +
  'PEM file; or set insecureSkipTLSVerify: true on the subscription to skip verification';

// The Project has no credential Secrets: the registries here are anonymous.
const noSecrets: CredentialSource = { credentialsFor: async () => undefined };

/** A classic Helm repository over HTTPS with a self-signed certificate: `/charts/index.yaml` lists app 1.0.0 and 1.1.0. */
async function startHttpsChartRepo(cert: SelfSignedCertificate) {
  const index =
    'apiVersion: v1\nentries:\n  app:\n' +
    ['1.0.0', '1.1.0'].map((v) => `  - name: app\n    version: ${v}\n    urls: [app-${v}.tgz]\n`).join('');
  let requests = 0;
  const server: Server = createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    requests++;
    if (req.url !== '/charts/index.yaml') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-yaml' }).end(index);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/charts`,
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('discovery from registries and chart repositories with self-signed certificates', () => {
  let registry: TestRegistry;
  let image: { digest: string };
  let certDir: string;
  let charts: Awaited<ReturnType<typeof startHttpsChartRepo>>;

  before(async () => {
    registry = await startRegistry({ tls: true });
    image = await registry.pushImage('team/app', '1.0.0');
    await pushHelmChart({ ...registry, url: registry.seedURL }, 'charts/app', 'app', '0.3.0');
    certDir = await tempDir('helm-tls');
    charts = await startHttpsChartRepo(await selfSignedCertificate(certDir));
  });
  after(async () => {
    await registry?.close();
    await charts?.close();
    if (certDir) await rm(certDir, { recursive: true, force: true });
  });

  const discover = (wh: Warehouse) => {
    const client = new RegistryClient();
    const images = projectRegistry(client, noSecrets, 'demo');
    const chartRegistry = projectRegistry(client, noSecrets, 'demo', 'helm');
    return discoverWarehouse(wh, images, new Date(), {
      charts: helmDiscoverer({ registry: chartRegistry }),
    });
  };

  it('fails every subscription without insecureSkipTLSVerify, saying which host and what to do', async () => {
    const oci = `oci://${registry.host}/charts/app`;
    const r = await discover(
      warehouse([
        {
          image: {
            repoURL: `${registry.host}/team/app`,
            imageSelectionStrategy: 'SemVer',
            strictSemvers: true,
            allowTagsRegexes: [],
            ignoreTagsRegexes: [],
            discoveryLimit: 20,
          },
        },
        { chart: { repoURL: oci, discoveryLimit: 20 } },
        { chart: { repoURL: charts.url, name: 'app', discoveryLimit: 20 } },
      ]),
    );
    assert.equal(r.images, undefined);
    assert.deepEqual(r.errors, [
      `subscription 0 (${registry.host}/team/app): repository "team/app" on registry ${registry.host}: the TLS ` +
        `certificate of ${registry.url} could not be verified while listing tags (DEPTH_ZERO_SELF_SIGNED_CERT: ` +
        `self-signed certificate); ${ADVICE}`,
      `subscription 1 (${oci}): repository "charts/app" on registry ${registry.host}: the TLS certificate of ` +
        `${registry.url} could not be verified while listing tags (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed ` +
        `certificate); ${ADVICE}`,
      `subscription 2 (${charts.url}): the TLS certificate of ${new URL(charts.url).origin} could not be verified ` +
        `while fetching ${charts.url}/index.yaml (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate); ${ADVICE}`,
    ]);
    assert.equal(r.status.health?.status, 'Unhealthy');
    assert.equal(charts.requests, 0);
  });

  it('a chart index that fails verification carries its own code', async () => {
    const discoverChart = helmDiscoverer({ registry: new RegistryClient() });
    await assert.rejects(discoverChart({ repoURL: charts.url, name: 'app', discoveryLimit: 20 }), {
      name: 'HelmDiscoveryError',
      code: HelmDiscoveryErrorCodes.tlsUnverified,
    });
  });

  it('finds the image, the OCI chart and the index chart with insecureSkipTLSVerify', async () => {
    const oci = `oci://${registry.host}/charts/app`;
    const r = await discover(
      warehouse([
        {
          image: {
            repoURL: `${registry.host}/team/app`,
            imageSelectionStrategy: 'SemVer',
            strictSemvers: true,
            allowTagsRegexes: [],
            ignoreTagsRegexes: [],
            discoveryLimit: 20,
            insecureSkipTLSVerify: true,
          },
        },
        { chart: { repoURL: oci, discoveryLimit: 20, insecureSkipTLSVerify: true } },
        { chart: { repoURL: charts.url, name: 'app', discoveryLimit: 20, insecureSkipTLSVerify: true } },
      ]),
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.images, [
      { repoURL: `${registry.host}/team/app`, tag: '1.0.0', digest: image.digest },
    ]);
    assert.deepEqual(r.charts, [
      { repoURL: oci, name: '', version: '0.3.0' },
      { repoURL: charts.url, name: 'app', version: '1.1.0' },
    ]);
    assert.equal(charts.requests, 1);
  });
});
