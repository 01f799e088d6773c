import { type Problem, ValidationError } from '@ferry/contracts';
import { type AuthMethod, authConfig, type OidcConfig } from './auth.ts';
import { type OtlpExportConfig, otlpExportConfig } from './otlp.ts';

/** Every setting Ferry reads from the environment. One object, validated once, frozen. */
export interface FerryConfig {
  /** NATS server URL(s), comma separated (`FERRY_NATS_URL`, default `nats://127.0.0.1:4222`). */
  natsUrl: string;
  /** Redis URL (`FERRY_REDIS_URL`, default `redis://127.0.0.1:6379`). */
  redisUrl: string;
  /** Address the api listens on (`FERRY_API_HOST`, default `127.0.0.1`). */
  apiHost: string;
  /** Port the api listens on (`FERRY_API_PORT`, default 8080). */
  apiPort: number;
  /** pino level (`FERRY_LOG_LEVEL`, default `info`). */
  logLevel: string;
  /** The general OTLP endpoint as given (`OTEL_EXPORTER_OTLP_ENDPOINT`); see {@link FerryConfig.otlp}. */
  otlpEndpoint: string | undefined;
  /**
   * Where and how traces are exported (the standard `OTEL_EXPORTER_OTLP_*` variables: protocol,
   * endpoint, headers); undefined = no export.
   */
  otlp: OtlpExportConfig | undefined;
  /** Registries reached over plain HTTP besides loopback ones (`FERRY_INSECURE_REGISTRIES`, comma separated). */
  insecureRegistries: readonly string[];
  /** A Docker `config.json` with registry credentials (`FERRY_REGISTRY_AUTH_FILE`); empty = anonymous. */
  registryAuthFile: string | undefined;
  /** Where git-writer keeps its clone cache (`FERRY_GIT_CACHE_DIR`, default `.ferry/git-cache`). */
  gitCacheDir: string;
  /** Commit author (`FERRY_GIT_AUTHOR_NAME`, `FERRY_GIT_AUTHOR_EMAIL`). */
  gitAuthorName: string;
  gitAuthorEmail: string;
  /**
   * How git-writer signs commits (`FERRY_GIT_SIGNING_KEY_TYPE`: `gpg` or `ssh`, like Kargo's
   * `GITCLIENT_SIGNING_KEY_TYPE`); undefined = unsigned. Needs {@link FerryConfig.gitSigningKeyPath}.
   */
  gitSigningKeyType: 'gpg' | 'ssh' | undefined;
  /**
   * The signing key file (`FERRY_GIT_SIGNING_KEY_PATH`): an armored GPG private key or an SSH private
   * key, without a passphrase (mount it from a Secret). Never logged.
   */
  gitSigningKeyPath: string | undefined;
  /** Kubeconfig for argocd-syncer (`KUBECONFIG`); empty = in-cluster or `~/.kube/config`. */
  kubeconfig: string | undefined;
  /** Slow reconcile timer in ms (`FERRY_RECONCILE_INTERVAL_MS`, default 30000). */
  reconcileIntervalMs: number;
  /** Deliveries before a failing message moves to the dead-letter stream (`FERRY_MAX_DELIVER`, default 5). */
  maxDeliver: number;
  /** Default for how long an argocd-update waits for Healthy (`FERRY_ARGOCD_TIMEOUT_SECONDS`, default 300). */
  argocdTimeoutSeconds: number;
  /**
   * Webhook receiver secrets by Secret name, the fallback when no Secret was applied: variable
   * `FERRY_WEBHOOK_SECRET_<NAME>` (NAME upper-cased, `-` and `.` as `_`) holds the Secret's value.
   */
  webhookSecrets: Readonly<Record<string, string>>;
  /**
   * Key that encrypts Secrets stored in Redis with AES-256-GCM (`FERRY_ENCRYPTION_KEY`, 32 bytes in
   * base64, e.g. from `openssl rand -base64 32`); empty = Ferry refuses to store Secrets.
   */
  encryptionKey: string | undefined;
  /**
   * Port of the ops HTTP server every service runs for `/healthz`, `/readyz` and `/metrics`
   * (`FERRY_OPS_PORT`, default 9090); 0 disables it. The launcher gives each service its own.
   */
  opsPort: number;
  /** Address the ops server listens on (`FERRY_OPS_HOST`, default `127.0.0.1`; `0.0.0.0` in a pod). */
  opsHost: string;
  /**
   * Requests per second (and burst) warehouse-poller allows itself per registry host, over all replicas
   * (`FERRY_REGISTRY_RATE_LIMITS`, e.g. `ghcr.io=10,docker.io=5`); hosts not listed get 20.
   */
  registryRateLimits: Readonly<Record<string, number>>;
  /**
   * Discoveries one warehouse-poller replica runs at once (`FERRY_DISCOVERY_CONCURRENCY`, default 16,
   * 1 to 1000). Webhook refreshes do not wait for it. More only helps when registries answer slowly;
   * each in-flight discovery holds its own requests and spans, so it also raises the poller's memory.
   */
  discoveryConcurrency: number;
  /**
   * API token per forge host for the pull-request steps (`FERRY_FORGE_TOKENS`, e.g.
   * `github.com=ghp_…,gitlab.example=glpat-…`); a host not listed cannot be reached. Never logged.
   */
  forgeTokens: Readonly<Record<string, string>>;
  /**
   * API base URL per forge host, overriding the provider's default (`FERRY_FORGE_API_URLS`, e.g.
   * `gitea.example=http://127.0.0.1:3000/api/v1`); empty for the defaults.
   */
  forgeApiUrls: Readonly<Record<string, string>>;
  /**
   * The credentials the api accepts (`FERRY_AUTH`: `token`, the default; `oidc`; both as
   * `token,oidc`; or `none` for local tries, which is the empty list: no checks at all).
   */
  auth: readonly AuthMethod[];
  /** OpenID Connect settings (`FERRY_OIDC_*`); set exactly when {@link FerryConfig.auth} holds `oidc`. */
  oidc: OidcConfig | undefined;
  /** A system admin API token accepted from start-up (`FERRY_BOOTSTRAP_ADMIN_TOKEN`); hashed, never logged. */
  bootstrapAdminToken?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and checks the configuration from the environment. Fails listing every bad setting,
 * each named by its variable, so a start-up error can be fixed in one go.
 */
export function loadConfig(env: Env = process.env): Readonly<FerryConfig> {
  const problems: Problem[] = [];
  const str = (name: string, dflt: string): string => {
    const v = env[name];
    return v === undefined || v === '' ? dflt : v;
  };
  const opt = (name: string): string | undefined => (env[name] ? env[name] : undefined);
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push({ path: name, message: `must be an integer from ${min} to ${max}, got "${raw}"` });
      return dflt;
    }
    return n;
  };
  const url = (name: string, dflt: string, schemes: string[]): string => {
    const v = str(name, dflt);
    for (const part of v.split(',')) {
      try {
        const u = new URL(part.trim());
        if (!schemes.includes(u.protocol)) {
          problems.push({ path: name, message: `must use ${schemes.join(' or ')}, got "${u.protocol}"` });
        }
      } catch {
        problems.push({ path: name, message: `is not a URL: "${part}"` });
      }
    }
    return v;
  };
  const level = str('FERRY_LOG_LEVEL', 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    problems.push({
      path: 'FERRY_LOG_LEVEL',
      message: `must be one of fatal, error, warn, info, debug, trace, silent`,
    });
  }
  const config: FerryConfig = {
    natsUrl: url('FERRY_NATS_URL', 'nats://127.0.0.1:4222', ['nats:', 'tls:']),
    redisUrl: url('FERRY_REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    apiHost: str('FERRY_API_HOST', '127.0.0.1'),
    apiPort: int('FERRY_API_PORT', 8080, 0, 65535),
    logLevel: level,
    otlpEndpoint: opt('OTEL_EXPORTER_OTLP_ENDPOINT'),
    otlp: otlpExportConfig(env, problems),
    insecureRegistries: str('FERRY_INSECURE_REGISTRIES', '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    registryAuthFile: opt('FERRY_REGISTRY_AUTH_FILE'),
    gitCacheDir: str('FERRY_GIT_CACHE_DIR', '.ferry/git-cache'),
    gitAuthorName: str('FERRY_GIT_AUTHOR_NAME', 'Ferry'),
    gitAuthorEmail: str('FERRY_GIT_AUTHOR_EMAIL', 'ferry@localhost'),
    ...gitSigning(env, problems),
    kubeconfig: opt('KUBECONFIG'),
    reconcileIntervalMs: int('FERRY_RECONCILE_INTERVAL_MS', 30_000, 100, 86_400_000),
    maxDeliver: int('FERRY_MAX_DELIVER', 5, 1, 1000),
    argocdTimeoutSeconds: int('FERRY_ARGOCD_TIMEOUT_SECONDS', 300, 1, 86_400),
    encryptionKey: opt('FERRY_ENCRYPTION_KEY'),
    webhookSecrets: Object.freeze(
      Object.fromEntries(
        Object.entries(env)
          .filter(([k, v]) => k.startsWith('FERRY_WEBHOOK_SECRET_') && v)
          .map(([k, v]) => [k.slice('FERRY_WEBHOOK_SECRET_'.length), v as string]),
      ),
    ),
    opsPort: int('FERRY_OPS_PORT', 9090, 0, 65535),
    opsHost: str('FERRY_OPS_HOST', '127.0.0.1'),
    registryRateLimits: Object.freeze(registryRateLimits(env.FERRY_REGISTRY_RATE_LIMITS ?? '', problems)),
    discoveryConcurrency: int('FERRY_DISCOVERY_CONCURRENCY', 16, 1, 1000),
    forgeTokens: Object.freeze(
      hostPairs('FERRY_FORGE_TOKENS', env.FERRY_FORGE_TOKENS ?? '', problems, false),
    ),
    forgeApiUrls: Object.freeze(
      hostPairs('FERRY_FORGE_API_URLS', env.FERRY_FORGE_API_URLS ?? '', problems, true),
    ),
    ...authConfig(env, problems),
    ...(env.FERRY_BOOTSTRAP_ADMIN_TOKEN ? { bootstrapAdminToken: env.FERRY_BOOTSTRAP_ADMIN_TOKEN } : {}),
  };
  const key = env.FERRY_ENCRYPTION_KEY;
  if (key && (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || Buffer.from(key, 'base64').length !== 32)) {
    problems.push({
      path: 'FERRY_ENCRYPTION_KEY',
      message: 'must be 32 bytes in base64 (44 characters); make one with: openssl rand -base64 32',
    });
  }
  if (problems.length > 0) throw new ValidationError('bad configuration', problems);
  return Object.freeze(config);
}

// `host=rate` pairs, comma separated; each bad pair becomes a problem naming it.
function registryRateLimits(raw: string, problems: Problem[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([^=\s]+)=(\d+(?:\.\d+)?)$/.exec(part);
    const rate = m ? Number(m[2]) : 0;
    if (!m || rate <= 0) {
      problems.push({
        path: 'FERRY_REGISTRY_RATE_LIMITS',
        message: `"${part}" is not host=requests-per-second with a positive number, like "ghcr.io=10"`,
      });
      continue;
    }
    out[m[1]!] = rate;
  }
  return out;
}

// `host=value` pairs, comma separated. A bad pair is a problem naming its host only: values may be tokens.
function hostPairs(name: string, raw: string, problems: Problem[], urls: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, part] of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .entries()) {
    const eq = part.indexOf('=');
    const host = eq > 0 ? part.slice(0, eq).trim() : '';
    const value = eq > 0 ? part.slice(eq + 1).trim() : '';
    const badUrl = urls && !/^https?:\/\/[^/]/.test(value);
    if (!host || !value || /\s/.test(host) || badUrl) {
      problems.push({
        path: name,
        message: `entry ${host ? `for host "${host}"` : `#${i + 1}`} is not ${
          urls ? 'host=http(s)://url' : 'host=token'
        }, like "${urls ? 'github.com=https://api.github.com' : 'github.com=<token>'}"`,
      });
      continue;
    }
    out[host] = value;
  }
  return out;
}

// Commit signing: both settings or neither, and a type git-writer knows.
function gitSigning(
  env: Readonly<Record<string, string | undefined>>,
  problems: Problem[],
): Pick<FerryConfig, 'gitSigningKeyType' | 'gitSigningKeyPath'> {
  const type = env.FERRY_GIT_SIGNING_KEY_TYPE?.trim() || undefined;
  const path = env.FERRY_GIT_SIGNING_KEY_PATH?.trim() || undefined;
  if (type !== undefined && type !== 'gpg' && type !== 'ssh') {
    problems.push({ path: 'FERRY_GIT_SIGNING_KEY_TYPE', message: `must be "gpg" or "ssh", got "${type}"` });
    return { gitSigningKeyType: undefined, gitSigningKeyPath: undefined };
  }
  if (type && !path) {
    problems.push({
      path: 'FERRY_GIT_SIGNING_KEY_PATH',
      message: `is required with FERRY_GIT_SIGNING_KEY_TYPE=${type}; give the private key file's path`,
    });
  }
  if (path && !type) {
    problems.push({
      path: 'FERRY_GIT_SIGNING_KEY_TYPE',
      message: 'is required with FERRY_GIT_SIGNING_KEY_PATH; set it to "gpg" or "ssh"',
    });
  }
  return { gitSigningKeyType: type, gitSigningKeyPath: path };
}
