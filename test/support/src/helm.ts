/**
 * Helm charts in an OCI registry, pushed the way `helm push` stores them: an OCI image manifest whose
 * config is the chart's metadata (`application/vnd.cncf.helm.config.v1+json`) and whose one layer is the
 * packaged chart (`application/vnd.cncf.helm.chart.content.v1.tar+gzip`), tagged with the version
 * (`+` written as `_`, since OCI tags cannot hold `+`).
 */
import { gzipSync } from 'node:zlib';
import { blobOf, MediaType, tarOneFile } from './oci.ts';
import { RegistryAuthMode, type TestRegistry } from './registry.ts';

/** The media types of a Helm chart stored in an OCI registry. */
export const HelmMediaType = {
  Config: 'application/vnd.cncf.helm.config.v1+json',
  ChartContent: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
} as const;

/** What {@link pushHelmChart} pushed. */
export interface PushedChart {
  /** The tag it was pushed under: the version with `+` written as `_`. */
  tag: string;
  /** Digest of the manifest. */
  digest: string;
}

/**
 * Pushes chart `name` at `version` to `<registry>/<repo>` over the registry HTTP API, so that
 * `oci://<registry.host>/<repo>` names it. Works with `none` and `basic` registries.
 */
export async function pushHelmChart(
  registry: Pick<TestRegistry, 'url' | 'auth' | 'credentials'>,
  repo: string,
  name: string,
  version: string,
): Promise<PushedChart> {
  if (registry.auth === RegistryAuthMode.Token) {
    throw new Error(
      'pushHelmChart: token-auth registries are not supported; start the registry with auth none or basic',
    );
  }
  const headers: Record<string, string> = {};
  if (registry.credentials) {
    const { username, password } = registry.credentials;
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  const chartYaml = `apiVersion: v2\nname: ${name}\nversion: ${version}\ntype: application\n`;
  const layer = blobOf(
    gzipSync(tarOneFile(`${name}/Chart.yaml`, Buffer.from(chartYaml))),
    HelmMediaType.ChartContent,
  );
  const config = blobOf(
    Buffer.from(JSON.stringify({ name, version, apiVersion: 'v2', type: 'application' })),
    HelmMediaType.Config,
  );
  const manifest = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
        annotations: {
          'org.opencontainers.image.title': name,
          'org.opencontainers.image.version': version,
        },
      }),
    ),
    MediaType.OciManifest,
  );
  for (const blob of [layer, config]) {
    const start = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
    await expect(start, 202, `POST blob upload to ${repo}`);
    const target = new URL(start.headers.get('location') ?? '', registry.url);
    target.searchParams.set('digest', blob.digest);
    const put = await fetch(target, {
      method: 'PUT',
      headers: { ...headers, 'Content-Type': 'application/octet-stream' },
      body: blob.bytes,
    });
    await expect(put, 201, `PUT blob ${blob.digest} to ${repo}`);
  }
  const tag = version.replaceAll('+', '_');
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...headers, 'Content-Type': manifest.mediaType },
    body: manifest.bytes,
  });
  await expect(res, 201, `PUT manifest ${repo}:${tag}`);
  return { tag, digest: manifest.digest };
}

async function expect(res: Response, want: number, what: string): Promise<void> {
  if (res.status === want) return;
  const body = await res.text().catch(() => '');
  throw new Error(`${what}: HTTP ${res.status}, want ${want}: ${body.slice(0, 500)}`);
}
