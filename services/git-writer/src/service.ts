/**
 * Wiring of git-writer: the `WriteGit` consumer around {@link WriteBatcher} (writes to one
 * branch pushed together) with the real clone cache, store and bus, and the dry-run responder.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus } from '@ferry/bus';
import type { FerryConfig } from '@ferry/config';
import { MessageSchemas, validate, type WriteGit } from '@ferry/contracts';
import type { Logger } from '@ferry/observability';
import { SecretStore, type Store } from '@ferry/store';
import { CloneCache } from './clone-cache.ts';
import {
  type BranchQueue,
  diffWrite,
  gitDiffSubject,
  WriteBatcher,
  WriteDefaults,
  type WriterDeps,
} from './core.ts';
import { projectGitCredentials } from './credentials.ts';
import { redactText } from './redact.ts';

/** What {@link startGitWriter} runs on; the caller owns (and closes) the connections. */
export interface GitWriterDeps {
  config: Readonly<FerryConfig>;
  log: Logger;
  store: Store;
  bus: Bus;
}

/** Tunables of {@link startGitWriter}; the defaults suit production. */
export interface GitWriterOptions {
  /**
   * Writes in hand at once in this process (default 32). Writes to one branch wait for the batch
   * being written and go out together in the next, so this also bounds a batch's size; git work
   * runs at most once per branch at a time.
   */
  concurrency?: number;
  /** Branch lease time to live (default 30 s). */
  leaseTtlMs?: number;
  /** How long a write waits for a busy branch before the command is retried later (default 60 s). */
  leaseWaitMs?: number;
  /** Most writes to one branch pushed together in one push (default 50). */
  maxBatch?: number;
}

/** A running git-writer. */
export interface GitWriter {
  /** Stops taking commands and waits for the writes in hand; leaves the connections open. */
  stop(): Promise<void>;
}

const ACK_WAIT_MS = 60_000;

/**
 * Starts consuming `WriteGit` commands (durable consumer `git-writer`, shared by every
 * replica). Each command is performed exactly once and answered with a `GitWritten` fact.
 */
export async function startGitWriter(
  deps: GitWriterDeps,
  options: GitWriterOptions = {},
): Promise<GitWriter> {
  const { config, log, store, bus } = deps;
  const git = await CloneCache.open({
    dir: config.gitCacheDir,
    log,
    // Commits are signed when a key is configured (loaded once; a bad key stops start-up).
    ...(config.gitSigningKeyType && config.gitSigningKeyPath
      ? { signing: { type: config.gitSigningKeyType, keyPath: config.gitSigningKeyPath } }
      : {}),
  });
  const queue = redisBranchQueue(store);
  // Clone, fetch and push carry the credentials of the command's Project (`kargo.akuity.io/cred-type: git`).
  const secrets = new SecretStore(store.redis, config.encryptionKey);
  const gitFor = (project: string) => git.withCredentials(projectGitCredentials(secrets, project));
  // Dependencies per command: its own logger and ack heartbeat, its Project's git credentials, shared store.
  const hearts = new Map<string, { log: Logger; heartbeat: () => void }>();
  const depsFor = (cmd: WriteGit): WriterDeps => ({
    git: gitFor(cmd.project),
    store,
    log: hearts.get(cmd.writeId)?.log ?? log,
    author: { name: config.gitAuthorName, email: config.gitAuthorEmail },
    publish: (fact, msgId) => bus.publish('GitWritten', fact, msgId),
    now: () => Date.now(),
    sleep: (ms) => sleep(ms),
    heartbeat: hearts.get(cmd.writeId)?.heartbeat,
    leaseTtlMs: options.leaseTtlMs ?? WriteDefaults.leaseTtlMs,
    leaseWaitMs: options.leaseWaitMs ?? WriteDefaults.leaseWaitMs,
    // Writes another replica offers for this branch join the batch only from the same Project, so they
    // never push with another Project's credentials; the others are written by the replica that offered them.
    queue: {
      offer: (lease, cmds) => queue.offer(lease, cmds),
      take: async (lease, max) => (await queue.take(lease, max)).filter((c) => c.project === cmd.project),
    },
  });
  const batcher = new WriteBatcher(depsFor, options.maxBatch);
  const consumer = await bus.consume({
    type: 'WriteGit',
    durable: 'git-writer',
    concurrency: options.concurrency ?? 32,
    ackWaitMs: ACK_WAIT_MS,
    handler: async (cmd, ctx) => {
      // A clone of a large repository can outlast the ack deadline; keep telling JetStream.
      const keepAlive = setInterval(() => ctx.working(), ACK_WAIT_MS / 3);
      try {
        hearts.set(cmd.writeId, { log: ctx.log, heartbeat: () => ctx.working() });
        // Writes for a branch that is being written queue and go out together in one push.
        await batcher.submit(cmd);
      } finally {
        clearInterval(keepAlive);
        hearts.delete(cmd.writeId);
      }
    },
  });
  // Dry runs: request/reply on NATS core (no stream: an answer nobody waits for is worth nothing).
  const dryRuns = bus.nc.subscribe(gitDiffSubject('*'), {
    queue: 'git-writer',
    callback: (err, msg) => {
      if (err) {
        log.warn({ err }, 'dry-run subscription failed');
        return;
      }
      void (async () => {
        try {
          const cmd = validate(MessageSchemas.WriteGit, msg.json(), 'dry-run WriteGit');
          const diff = await diffWrite(cmd, {
            git: gitFor(cmd.project),
            log: log.child({ writeId: cmd.writeId, dryRun: true }),
          });
          msg.respond(JSON.stringify({ diff }));
        } catch (e) {
          log.warn({ err: e }, 'dry run failed');
          msg.respond(JSON.stringify({ error: redactText((e as Error).message) }));
        }
      })();
    },
  });
  log.info({ cacheDir: git.root }, 'git-writer consuming WriteGit commands');
  return {
    stop: async () => {
      dryRuns.unsubscribe();
      await consumer.stop();
      log.info('git-writer stopped');
    },
  };
}

/** How long offered writes wait in Redis for a lease holder before they are dropped. */
const QUEUE_TTL_MS = 10 * 60_000;

/**
 * The cross-replica queue of waiting writes: a Redis list `ferry:git:queue:<lease name>` of
 * `WriteGit` payloads. An entry is only a hint: the offering replica still holds its message and
 * writes it itself when it finds no record after the wait, so a lost or stale entry costs nothing.
 */
export function redisBranchQueue(store: Store): BranchQueue {
  const key = (lease: string) => `ferry:git:queue:${lease}`;
  return {
    offer: async (lease, cmds) => {
      if (cmds.length === 0) return;
      await store.redis
        .multi()
        .rpush(key(lease), ...cmds.map((c) => JSON.stringify(c)))
        .pexpire(key(lease), QUEUE_TTL_MS)
        .exec();
    },
    take: async (lease, max) => {
      const raw = (await store.redis.lpop(key(lease), max)) ?? [];
      const out: WriteGit[] = [];
      for (const text of raw) {
        try {
          out.push(validate(MessageSchemas.WriteGit, JSON.parse(text), 'queued WriteGit'));
        } catch {
          // Not ours to judge further: the replica that offered it still holds the message.
        }
      }
      return out;
    },
  };
}
