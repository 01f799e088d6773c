/**
 * Wiring of git-writer: the `WriteGit` consumer around {@link performWrite} with the real
 * clone cache, store and bus.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus } from '@ferry/bus';
import type { FerryConfig } from '@ferry/config';
import type { Logger } from '@ferry/observability';
import type { Store } from '@ferry/store';
import { CloneCache } from './clone-cache.ts';
import { performWrite, WriteDefaults } from './core.ts';

/** What {@link startGitWriter} runs on; the caller owns (and closes) the connections. */
export interface GitWriterDeps {
  config: Readonly<FerryConfig>;
  log: Logger;
  store: Store;
  bus: Bus;
}

/** Tunables of {@link startGitWriter}; the defaults suit production. */
export interface GitWriterOptions {
  /** Writes handled at once by this process (default 8); writes to one branch queue on its lease. */
  concurrency?: number;
  /** Branch lease time to live (default 30 s). */
  leaseTtlMs?: number;
  /** How long a write waits for a busy branch before the command is retried later (default 60 s). */
  leaseWaitMs?: number;
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
  const git = await CloneCache.open({ dir: config.gitCacheDir, log });
  const consumer = await bus.consume({
    type: 'WriteGit',
    durable: 'git-writer',
    concurrency: options.concurrency ?? 8,
    ackWaitMs: ACK_WAIT_MS,
    handler: async (cmd, ctx) => {
      // A clone of a large repository can outlast the ack deadline; keep telling JetStream.
      const keepAlive = setInterval(() => ctx.working(), ACK_WAIT_MS / 3);
      try {
        await performWrite(cmd, {
          git,
          store,
          log: ctx.log,
          author: { name: config.gitAuthorName, email: config.gitAuthorEmail },
          publish: (fact, msgId) => bus.publish('GitWritten', fact, msgId),
          now: () => Date.now(),
          sleep: (ms) => sleep(ms),
          heartbeat: () => ctx.working(),
          leaseTtlMs: options.leaseTtlMs ?? WriteDefaults.leaseTtlMs,
          leaseWaitMs: options.leaseWaitMs ?? WriteDefaults.leaseWaitMs,
        });
      } finally {
        clearInterval(keepAlive);
      }
    },
  });
  log.info({ cacheDir: git.root }, 'git-writer consuming WriteGit commands');
  return {
    stop: async () => {
      await consumer.stop();
      log.info('git-writer stopped');
    },
  };
}
