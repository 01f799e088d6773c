/** Manifest media types this client reads. */
export const ManifestMediaType = {
  /** OCI image manifest. */
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  /** OCI image index (multi-platform). */
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  /** Docker image manifest, schema 2. */
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  /** Docker manifest list (multi-platform). */
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;
/** One of {@link ManifestMediaType}. */
export type ManifestMediaType = (typeof ManifestMediaType)[keyof typeof ManifestMediaType];

/**
 * The `Accept` value of every manifest request. Registries pick the manifest format from it, and
 * docker-registry 2.8 answers 404 for an OCI image when the OCI types are missing, so all four are always
 * sent.
 */
export const MANIFEST_ACCEPT: string = Object.values(ManifestMediaType).join(', ');

/** Whether the media type is a multi-platform index (OCI index or Docker manifest list). */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === ManifestMediaType.OciIndex || mediaType === ManifestMediaType.DockerManifestList;
}

/** Whether the media type is one of {@link ManifestMediaType}. */
export function isManifestMediaType(mediaType: string): mediaType is ManifestMediaType {
  return (Object.values(ManifestMediaType) as string[]).includes(mediaType);
}
