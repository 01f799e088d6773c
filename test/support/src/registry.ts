import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import {
  type Blob,
  type BuildImageOptions,
  buildImage,
  buildIndex,
  MANIFEST_ACCEPT,
  type Platform,
  sha256Digest,
  writeOciLayout,
} from './oci.ts';
import { nonLoopbackIPv4, type SelfSignedCertificate, selfSignedCertificate } from './tls.ts';
import { closeServer, startTokenServer, type TokenServer } from './token-server.ts';
import { freePort, run, tempDir, waitFor } from './util.ts';

/** How a test registry authenticates clients. */
export const RegistryAuthMode = {
  /** Anonymous pull and push. */
  None: 'none',
  /** htpasswd (bcrypt) basic auth. */
  Basic: 'basic',
  /** Docker token auth through an in-process token service. */
  Token: 'token',
} as const;
/** One of {@link RegistryAuthMode}. */
export type RegistryAuthMode = (typeof RegistryAuthMode)[keyof typeof RegistryAuthMode];

/** Options for {@link startRegistry}. */
export interface StartRegistryOptions {
  /** Authentication mode; `none` when absent. */
  auth?: RegistryAuthMode;
  /** Users for `basic` and `token` auth; `{ ferry: 'ferry-secret' }` when absent. The first one pushes. */
  users?: Record<string, string>;
  /** A webhook that receives the registry's push and pull notifications. */
  notify?: { url: string; headers?: Record<string, string[]> };
  /** `expires_in` of tokens issued in `token` mode; 300 s when absent. */
  tokenExpiresInSeconds?: number;
  /**
   * Serve HTTPS with a self-signed certificate generated for the run (docker-registry's `http.tls`),
   * on this machine's first non-loopback IPv4 address, because registry clients speak plain HTTP to
   * loopback hosts. Seeding still works through {@link TestRegistry.seedURL}. Plain HTTP when absent.
   */
  tls?: boolean;
}

/** A request the counting proxy in front of the registry forwarded. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** Path and query as sent. */
  path: string;
  /** Status the registry answered, 502 when it could not be reached. */
  status: number;
}

/** What {@link TestRegistry.pushImage} pushed. */
export interface PushedImage {
  /** Digest of the image manifest, what a tag resolves to. */
  digest: string;
  /** Digest of the config blob. */
  configDigest: string;
  /** Media type of the manifest (OCI image manifest). */
  mediaType: string;
  /** Platform recorded in the config. */
  platform: Platform;
}

/** What {@link TestRegistry.pushIndex} pushed. */
export interface PushedIndex {
  /** Digest of the image index, what the tag resolves to. */
  digest: string;
  /** Media type of the index (OCI image index). */
  mediaType: string;
  /** The per-platform images the index lists, in order. */
  manifests: PushedImage[];
}

/** A real docker-registry (distribution 2.8) serving from a temp dir, with helpers to fill it. */
export interface TestRegistry {
  /** `127.0.0.1:PORT` (`<non-loopback IPv4>:PORT` with `tls`), the registry part of an image reference. */
  host: string;
  /** `http://127.0.0.1:PORT` (`https://<host>` with `tls`). */
  url: string;
  /**
   * Where fixtures push and seed over plain HTTP: {@link url} itself, or with `tls` a loopback
   * `http://127.0.0.1:PORT` in front of the same registry (e.g. `pushHelmChart({ ...registry, url: seedURL })`).
   */
  seedURL: string;
  /** With `tls`: the self-signed certificate the registry serves (its own CA); undefined otherwise. */
  certificate: SelfSignedCertificate | undefined;
  /** The authentication mode it was started with. */
  auth: RegistryAuthMode;
  /** The pushing user's credentials; undefined for `none`. */
  credentials: { username: string; password: string } | undefined;
  /** Number of HTTP requests the registry has served since start or {@link resetRequests}. */
  readonly requests: number;
  /** Those requests in order. */
  readonly requestLog: readonly RecordedRequest[];
  /** Number of HTTP requests to the token service (`token` mode; 0 otherwise). */
  readonly tokenRequests: number;
  /** Clears the request log and both counters, e.g. after seeding images. */
  resetRequests(): void;
  /** Pushes a new unique single-platform image as `repo:tag` over the registry HTTP API. */
  pushImage(repo: string, tag: string, opts?: BuildImageOptions): Promise<PushedImage>;
  /** Pushes one image per platform (untagged) and an OCI image index over them as `repo:tag`. */
  pushIndex(
    repo: string,
    tag: string,
    platforms: readonly Platform[],
    opts?: { created?: Date },
  ): Promise<PushedIndex>;
  /** Points `newTag` at the manifest `srcTag` points to; resolves with its digest. */
  tagExisting(repo: string, srcTag: string, newTag: string): Promise<{ digest: string }>;
  /** Removes one tag, leaving the manifest and other tags in place. */
  deleteTag(repo: string, tag: string): Promise<void>;
  /** Deletes a manifest by digest; distribution also drops every tag pointing at it. */
  deleteManifest(repo: string, digest: string): Promise<void>;
  /** Stops the registry, the proxy and the token service and removes the temp dir. */
  close(): Promise<void>;
}

const DEFAULT_USERS: Record<string, string> = { ferry: 'ferry-secret' };

/**
 * Starts the Debian `docker-registry` (distribution 2.8.2) with filesystem storage in a temp dir and
 * deletes enabled, behind a small counting proxy, and waits until `/v2/` answers.
 */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const auth = opts.auth ?? RegistryAuthMode.None;
  const users = opts.users ?? DEFAULT_USERS;
  const firstUser = Object.entries(users)[0];
  const credentials =
    auth === RegistryAuthMode.None || firstUser === undefined
      ? undefined
      : { username: firstUser[0], password: firstUser[1] };
  const dir = await tempDir('registry');
  const backendPort = await freePort();
  let frontPort = await freePort();
  // Both probes are released before use, so the kernel may hand out the same port twice.
  while (frontPort === backendPort) frontPort = await freePort();
  let seedPort = frontPort;
  if (opts.tls) {
    while (seedPort === frontPort || seedPort === backendPort) seedPort = await freePort();
  }
  const listenIP = opts.tls ? nonLoopbackIPv4() : '127.0.0.1';
  const host = `${listenIP}:${frontPort}`;
  const url = `${opts.tls ? 'https' : 'http'}://${host}`;
  const seedURL = `http://127.0.0.1:${seedPort}`;

  let tokens: TokenServer | undefined;
  let child: ChildProcess | undefined;
  let proxy: ReturnType<typeof createServer> | undefined;
  let seedProxy: ReturnType<typeof createServer> | undefined;
  let agent: Agent = new Agent({ keepAlive: true });
  let certificate: SelfSignedCertificate | undefined;
  const cleanup = async (): Promise<void> => {
    if (proxy) await closeServer(proxy);
    if (seedProxy) await closeServer(seedProxy);
    agent.destroy();
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await tokens?.close();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const config: Record<string, unknown> = {
      version: '0.1',
      log: { level: 'warn', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
      http: { addr: `127.0.0.1:${backendPort}`, secret: randomBytes(16).toString('hex') },
    };
    if (opts.tls) {
      certificate = await selfSignedCertificate(dir, [listenIP]);
      agent.destroy();
      agent = new HttpsAgent({ keepAlive: true, ca: certificate.cert });
      // Relative upload URLs serve both the HTTPS front and the plain seeding port.
      config.http = {
        ...(config.http as object),
        tls: { certificate: certificate.certPath, key: certificate.keyPath },
        relativeurls: true,
      };
    }
    if (auth === RegistryAuthMode.Basic) {
      const lines: string[] = [];
      for (const [name, password] of Object.entries(users)) {
        lines.push((await run('htpasswd', ['-Bbn', name, password])).stdout.trim());
      }
      const htpasswdPath = join(dir, 'htpasswd');
      await writeFile(htpasswdPath, `${lines.join('\n')}\n`);
      config.auth = { htpasswd: { realm: 'ferry-test-registry', path: htpasswdPath } };
    } else if (auth === RegistryAuthMode.Token) {
      tokens = await startTokenServer({
        dir,
        users,
        expiresInSeconds: opts.tokenExpiresInSeconds ?? 300,
      });
      config.auth = {
        token: {
          realm: tokens.realm,
          service: tokens.service,
          issuer: tokens.issuer,
          rootcertbundle: tokens.certPath,
        },
      };
    }
    if (opts.notify) {
      config.notifications = {
        endpoints: [
          {
            name: 'ferry-test',
            url: opts.notify.url,
            headers: opts.notify.headers ?? {},
            timeout: '2s',
            threshold: 3,
            backoff: '250ms',
          },
        ],
      };
    }
    // JSON is valid YAML, which spares the fixture a YAML writer and any quoting questions.
    const configPath = join(dir, 'config.yml');
    await writeFile(configPath, JSON.stringify(config, null, 2));

    const logTail: string[] = [];
    const keepTail = (chunk: Buffer): void => {
      logTail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      logTail.splice(0, Math.max(0, logTail.length - 40));
    };
    const proc = spawn('docker-registry', ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout.on('data', keepTail);
    proc.stderr.on('data', keepTail);
    const spawnError = new Promise<never>((_, reject) => {
      proc.once('error', reject);
      proc.once('exit', (code, signal) =>
        reject(
          new Error(`docker-registry exited (${code ?? signal}) before it was ready:\n${logTail.join('\n')}`),
        ),
      );
    });
    spawnError.catch(() => {});
    await Promise.race([
      spawnError,
      waitFor(`docker-registry on 127.0.0.1:${backendPort}`, async () => {
        const status = await statusOf(`/v2/`, backendPort, agent, opts.tls === true);
        return status === 200 || status === 401;
      }),
    ]);

    // The counting proxy forwards the Host header unchanged, so the upload URLs the registry builds
    // point back through the proxy.
    const log: RecordedRequest[] = [];
    const forward: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
      const entry: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
      log.push(entry);
      const upstream = (opts.tls ? httpsRequest : httpRequest)(
        {
          host: '127.0.0.1',
          port: backendPort,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (up) => {
          entry.status = up.statusCode ?? 0;
          res.writeHead(entry.status, up.statusMessage, withoutHopByHop(up.rawHeaders));
          up.pipe(res);
        },
      );
      upstream.on('error', (err) => {
        entry.status = 502;
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`ferry test proxy: ${err.message}`);
      });
      req.pipe(upstream);
    };
    proxy = certificate
      ? createHttpsServer({ cert: certificate.cert, key: certificate.key }, forward)
      : createServer(forward);
    await listen(proxy, frontPort, listenIP);
    if (opts.tls) {
      seedProxy = createServer(forward);
      await listen(seedProxy, seedPort, '127.0.0.1');
    }

    const client = new PushClient(seedURL, auth, credentials, tokens);
    let tokenBase = 0;
    const registry: TestRegistry = {
      host,
      url,
      seedURL,
      certificate,
      auth,
      credentials,
      get requests() {
        return log.length;
      },
      get requestLog() {
        return log;
      },
      get tokenRequests() {
        return (tokens?.requests ?? 0) - tokenBase;
      },
      resetRequests() {
        log.length = 0;
        tokenBase = tokens?.requests ?? 0;
      },
      pushImage: (repo, tag, pushOpts) => client.pushImage(repo, tag, pushOpts),
      pushIndex: (repo, tag, platforms, pushOpts) => client.pushIndex(repo, tag, platforms, pushOpts),
      tagExisting: (repo, srcTag, newTag) => client.tagExisting(repo, srcTag, newTag),
      deleteTag: (repo, tag) => client.deleteTag(repo, tag, join(dir, 'data')),
      deleteManifest: (repo, digest) => client.deleteManifest(repo, digest),
      close: cleanup,
    };
    return registry;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Copies a new unique image into the registry with `skopeo copy` from an OCI layout directory, proving
 * that images pushed by a standard tool are read the same way as the fixture's own. Resolves with the
 * manifest digest skopeo reports.
 */
export async function pushWithSkopeo(
  registry: TestRegistry,
  repo: string,
  tag: string,
  opts?: BuildImageOptions,
): Promise<{ digest: string }> {
  const dir = await tempDir('oci-layout');
  try {
    const image = buildImage(opts);
    await writeOciLayout(join(dir, 'layout'), tag, image);
    const digestFile = join(dir, 'digest');
    const args = ['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile];
    if (registry.credentials) {
      args.push('--dest-creds', `${registry.credentials.username}:${registry.credentials.password}`);
    }
    args.push(`oci:${join(dir, 'layout')}:${tag}`, `docker://${registry.host}/${repo}:${tag}`);
    await run('skopeo', args);
    return { digest: (await readFile(digestFile, 'utf8')).trim() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// The fixture's own registry client: only what seeding and pruning test data needs.
class PushClient {
  readonly #url: string;
  readonly #auth: RegistryAuthMode;
  readonly #credentials: { username: string; password: string } | undefined;
  readonly #tokens: TokenServer | undefined;

  constructor(
    url: string,
    auth: RegistryAuthMode,
    credentials: { username: string; password: string } | undefined,
    tokens: TokenServer | undefined,
  ) {
    this.#url = url;
    this.#auth = auth;
    this.#credentials = credentials;
    this.#tokens = tokens;
  }

  async pushImage(repo: string, tag: string, opts?: BuildImageOptions): Promise<PushedImage> {
    const image = buildImage(opts);
    await this.#uploadBlob(repo, image.layer);
    await this.#uploadBlob(repo, image.config);
    await this.#putManifest(repo, tag, image.manifest);
    return {
      digest: image.manifest.digest,
      configDigest: image.config.digest,
      mediaType: image.manifest.mediaType,
      platform: image.platform,
    };
  }

  async pushIndex(
    repo: string,
    tag: string,
    platforms: readonly Platform[],
    opts: { created?: Date } = {},
  ): Promise<PushedIndex> {
    const images = platforms.map((platform) => buildImage({ platform, created: opts.created }));
    for (const image of images) {
      await this.#uploadBlob(repo, image.layer);
      await this.#uploadBlob(repo, image.config);
      await this.#putManifest(repo, image.manifest.digest, image.manifest);
    }
    const index = buildIndex(images);
    await this.#putManifest(repo, tag, index);
    return {
      digest: index.digest,
      mediaType: index.mediaType,
      manifests: images.map((img) => ({
        digest: img.manifest.digest,
        configDigest: img.config.digest,
        mediaType: img.manifest.mediaType,
        platform: img.platform,
      })),
    };
  }

  async tagExisting(repo: string, srcTag: string, newTag: string): Promise<{ digest: string }> {
    const res = await this.#call(repo, 'GET', `/v2/${repo}/manifests/${srcTag}`, {
      headers: { Accept: MANIFEST_ACCEPT },
    });
    await expectStatus(res, 200, `GET manifest ${repo}:${srcTag}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const blob: Blob = { digest: sha256Digest(bytes), size: bytes.length, mediaType, bytes };
    await this.#putManifest(repo, newTag, blob);
    return { digest: blob.digest };
  }

  async deleteTag(repo: string, tag: string, dataDir: string): Promise<void> {
    // distribution 2.8 cannot delete a tag over HTTP (DELETE by tag answers 400 DIGEST_INVALID
    // after checking the tag exists), so the fixture removes the tag link from the storage it owns.
    const res = await this.#call(repo, 'HEAD', `/v2/${repo}/manifests/${tag}`, {
      headers: { Accept: MANIFEST_ACCEPT },
    });
    await expectStatus(res, 200, `HEAD manifest ${repo}:${tag}`);
    const tagDir = join(dataDir, 'docker', 'registry', 'v2', 'repositories', repo, '_manifests', 'tags', tag);
    await rm(tagDir, { recursive: true });
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    const res = await this.#call(repo, 'DELETE', `/v2/${repo}/manifests/${digest}`);
    await expectStatus(res, 202, `DELETE manifest ${repo}@${digest}`);
  }

  async #uploadBlob(repo: string, blob: Blob): Promise<void> {
    const start = await this.#call(repo, 'POST', `/v2/${repo}/blobs/uploads/`);
    await expectStatus(start, 202, `POST blob upload to ${repo}`);
    const location = start.headers.get('location');
    if (!location) throw new Error(`POST blob upload to ${repo}: 202 without a Location header`);
    const target = new URL(location, this.#url);
    target.searchParams.set('digest', blob.digest);
    const put = await this.#call(repo, 'PUT', target.toString(), {
      headers: { 'Content-Type': 'application/octet-stream' },
      body: blob.bytes,
    });
    await expectStatus(put, 201, `PUT blob ${blob.digest} to ${repo}`);
  }

  async #putManifest(repo: string, reference: string, blob: Blob): Promise<void> {
    const res = await this.#call(repo, 'PUT', `/v2/${repo}/manifests/${reference}`, {
      headers: { 'Content-Type': blob.mediaType },
      body: blob.bytes,
    });
    await expectStatus(res, 201, `PUT manifest ${repo}:${reference}`);
    const digest = res.headers.get('docker-content-digest');
    if (digest !== blob.digest) {
      throw new Error(`PUT manifest ${repo}:${reference}: registry says ${digest}, expected ${blob.digest}`);
    }
  }

  async #call(
    repo: string,
    method: string,
    pathOrUrl: string,
    init: { headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.#credentials && this.#auth === RegistryAuthMode.Basic) {
      const { username, password } = this.#credentials;
      headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    } else if (this.#credentials && this.#tokens) {
      // Minted in-process, so seeding data never shows up in the token service's request count.
      const token = this.#tokens.mint(this.#credentials.username, [
        { type: 'repository', name: repo, actions: ['pull', 'push', 'delete'] },
      ]);
      headers.Authorization = `Bearer ${token}`;
    }
    return await fetch(new URL(pathOrUrl, this.#url), { method, headers, body: init.body });
  }
}

async function expectStatus(res: Response, want: number, what: string): Promise<void> {
  if (res.status === want) return;
  const body = await res.text().catch(() => '');
  throw new Error(`${what}: HTTP ${res.status}, want ${want}: ${body.slice(0, 500)}`);
}

async function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

// The status of GET `path` on the loopback backend, over HTTPS (trusting the test CA through `agent`) or HTTP.
async function statusOf(path: string, port: number, agent: Agent, tls: boolean): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(
      { host: '127.0.0.1', port, path, method: 'GET', agent },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive']);

function withoutHopByHop(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
