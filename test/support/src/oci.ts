import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** OCI and Docker media types the fixtures write or ask for. */
export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;
/** One of the media types in {@link MediaType}. */
export type MediaType = (typeof MediaType)[keyof typeof MediaType];

/**
 * The Accept list for manifest requests. docker-registry 2.8 answers 404 for an OCI manifest when the
 * request does not accept OCI media types, so every manifest request sends all four.
 */
export const MANIFEST_ACCEPT: string = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
].join(', ');

/** An operating system and CPU architecture, as in an OCI image config or index entry. */
export interface Platform {
  /** Operating system, e.g. `linux`. */
  os: string;
  /** CPU architecture in Go's naming, e.g. `amd64`, `arm64`. */
  architecture: string;
  /** CPU variant, e.g. `v8` for arm64; absent when the architecture has none. */
  variant?: string;
}

/** Content-addressed bytes ready to upload: a blob or a manifest. */
export interface Blob {
  /** `sha256:<hex>` of `bytes`. */
  digest: string;
  /** Length of `bytes`. */
  size: number;
  /** Media type the blob is referenced with. */
  mediaType: string;
  /** The exact bytes; a manifest's digest is over these bytes, so they are never re-serialised. */
  bytes: Buffer;
}

/** What {@link buildImage} produces: the three pieces of a single-platform OCI image. */
export interface BuiltImage {
  /** The image manifest (OCI media type). */
  manifest: Blob;
  /** The image config JSON. */
  config: Blob;
  /** The one gzip'd tar layer. */
  layer: Blob;
  /** The platform written into the config. */
  platform: Platform;
}

/** Options for {@link buildImage}. */
export interface BuildImageOptions {
  /** Platform written into the config; linux/amd64 when absent. */
  platform?: Platform;
  /** The config's `created` time; now when absent. */
  created?: Date;
  /** Written to the config's `config.Labels`. */
  labels?: Record<string, string>;
}

/** Wraps bytes as a {@link Blob}, computing digest and size. */
export function blobOf(bytes: Buffer, mediaType: string): Blob {
  return { digest: sha256Digest(bytes), size: bytes.length, mediaType, bytes };
}

/** `sha256:<hex>` of the bytes. */
export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Builds a unique tiny OCI image: one layer holding one file of random content, so that two calls never
 * produce the same digest (a test that pushes "a new image" must really get a new digest).
 */
export function buildImage(opts: BuildImageOptions = {}): BuiltImage {
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const created = (opts.created ?? new Date()).toISOString();
  const token = randomBytes(16).toString('hex');
  const tar = tarOneFile(`ferry-${token}.txt`, Buffer.from(`ferry test image ${token}\n`));
  const layer = blobOf(gzipSync(tar), MediaType.OciLayerGzip);
  const configJson = {
    created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    config: { Labels: opts.labels ?? {} },
    rootfs: { type: 'layers', diff_ids: [sha256Digest(tar)] },
    history: [{ created, created_by: 'ferry test fixture' }],
  };
  const config = blobOf(Buffer.from(JSON.stringify(configJson)), MediaType.OciConfig);
  const manifestJson = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: descriptor(config),
    layers: [descriptor(layer)],
  };
  const manifest = blobOf(Buffer.from(JSON.stringify(manifestJson)), MediaType.OciManifest);
  return { manifest, config, layer, platform };
}

/** Builds an OCI image index over already-built image manifests, one entry per platform. */
export function buildIndex(images: readonly { manifest: Blob; platform: Platform }[]): Blob {
  const indexJson = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: images.map((img) => ({ ...descriptor(img.manifest), platform: img.platform })),
  };
  return blobOf(Buffer.from(JSON.stringify(indexJson)), MediaType.OciIndex);
}

/**
 * Writes an OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/*`) holding one image
 * under `tag`, the form `skopeo copy oci:<dir>:<tag>` reads.
 */
export async function writeOciLayout(dir: string, tag: string, image: BuiltImage): Promise<void> {
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  for (const blob of [image.manifest, image.config, image.layer]) {
    await writeFile(join(blobDir, blob.digest.slice('sha256:'.length)), blob.bytes);
  }
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index = {
    schemaVersion: 2,
    manifests: [{ ...descriptor(image.manifest), annotations: { 'org.opencontainers.image.ref.name': tag } }],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
}

function descriptor(blob: Blob): { mediaType: string; digest: string; size: number } {
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
}

/** A minimal ustar archive: one regular file `name`, then the two zero blocks that end an archive. */
export function tarOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string): void => {
    header.write(value, offset, length, 'ascii');
  };
  const octal = (value: number, length: number): string => `${value.toString(8).padStart(length - 1, '0')}\0`;
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(content.length, 12));
  field(136, 12, octal(0, 12));
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}
