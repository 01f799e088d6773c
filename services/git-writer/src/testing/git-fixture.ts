/**
 * Test helpers: bare repositories on disk made with the git CLI, and a quiet logger.
 * Used by the integration tests only.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger, type Logger } from '@ferry/observability';
import type { Store } from '@ferry/store';

const run = promisify(execFile);

/** Runs git in `cwd` with a fixed identity; returns stdout. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Someone Else',
      GIT_AUTHOR_EMAIL: 'else@example.com',
      GIT_COMMITTER_NAME: 'Someone Else',
      GIT_COMMITTER_EMAIL: 'else@example.com',
      LC_ALL: 'C',
    },
  });
  return stdout;
}

/** The kustomization the fixture repository starts with: comments of every kind. */
export const DEV_KUSTOMIZATION = `# dev overlay (managed by Ferry)
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base   # shared manifests
images:
# the application
- name: 127.0.0.1:5000/demo/app
  newTag: 1.1.0 # set by promotion

# the proxy
- name: nginx
  newTag: "1.25"
`;

/** A bare repository with a `main` branch, and a scratch directory for clones. */
export interface FixtureRepo {
  /** Scratch root; removed by `cleanup()`. */
  root: string;
  /** Path of the bare repository. */
  bare: string;
  /** Its file:// URL. */
  url: string;
  /** Commits on a branch, newest first, as `sha subject`. */
  log(branch: string): Promise<string[]>;
  /** Full message of a commit. */
  message(rev: string): Promise<string>;
  /** A file's text at a branch. */
  show(branch: string, path: string): Promise<string>;
  /** Head sha of a branch, or '' when it does not exist. */
  head(branch: string): Promise<string>;
  /** Commits and pushes files to a branch from another clone (another writer). */
  pushFromElsewhere(branch: string, files: Record<string, string>, message: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** Makes a bare repository whose `main` has `apps/dev/kustomization.yaml` and `files`. */
export async function makeRepo(files: Record<string, string> = {}): Promise<FixtureRepo> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-git-writer-'));
  const bare = join(root, 'remote.git');
  await git(root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  const seed = join(root, 'seed');
  await git(root, 'clone', '--quiet', bare, seed);
  await git(seed, 'checkout', '--quiet', '-b', 'main');
  const all = {
    'apps/dev/kustomization.yaml': DEV_KUSTOMIZATION,
    'base/kustomization.yaml': 'resources: []\n',
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    await mkdir(dirname(join(seed, path)), { recursive: true });
    await writeFile(join(seed, path), text);
  }
  await git(seed, 'add', '-A');
  await git(seed, 'commit', '--quiet', '-m', 'initial layout');
  await git(seed, 'push', '--quiet', 'origin', 'main');
  let clones = 0;
  const repo: FixtureRepo = {
    root,
    bare,
    url: `file://${bare}`,
    log: async (branch) => (await git(bare, 'log', '--format=%H %s', branch)).trim().split('\n'),
    message: async (rev) => git(bare, 'log', '-1', '--format=%B', rev),
    show: (branch, path) => git(bare, 'show', `${branch}:${path}`),
    head: async (branch) => {
      try {
        return (await git(bare, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`)).trim();
      } catch {
        return '';
      }
    },
    pushFromElsewhere: async (branch, changes, message) => {
      const dir = join(root, `elsewhere-${++clones}`);
      await git(root, 'clone', '--quiet', '--branch', branch, bare, dir);
      for (const [path, text] of Object.entries(changes)) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), text);
      }
      await git(dir, 'add', '-A');
      await git(dir, 'commit', '--quiet', '-m', message);
      await git(dir, 'push', '--quiet', 'origin', branch);
      return (await git(dir, 'rev-parse', 'HEAD')).trim();
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  return repo;
}

/** A logger for tests (silent; pass a level to see the lines while debugging). */
export function testLogger(level = 'silent'): Logger {
  return createLogger('git-writer-test', level);
}

/** A unique suffix for names shared across test runs (write ids, projects). */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Deletes the lease and fence keys tests left for repositories whose URL starts with `prefix` (fences never expire). */
export async function forgetLeases(store: Store, prefix: string): Promise<void> {
  const glob = prefix.replace(/[*?[\]\\]/g, '\\$&');
  for (const family of ['ferry:lease:git:', 'ferry:fence:git:']) {
    const keys = await store.redis.keys(`${family}${glob}*`);
    if (keys.length > 0) await store.redis.del(...keys);
  }
}
