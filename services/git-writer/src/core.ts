/**
 * The write procedure: one `WriteGit` command to one commit (or none), exactly once.
 *
 * Exactly-once rests on three checks, cheapest first: the write's record in Redis; the
 * `Ferry-Write-Id` trailer in the target branch's recent history (the push landed but the
 * record was not written); and the edits themselves (nothing to change, no commit). One writer
 * per repository and branch holds a Redis lease, and checks its fencing number before pushing.
 * Ports are injected, so the procedure runs against fakes as well as the real git and Redis.
 */
import type { GitEdit, GitEditOf, GitWritten, WriteGit } from '@ferry/contracts';
import { type Logger, withSpan } from '@ferry/observability';
import type { GitWriteRecord, Lease } from '@ferry/store';
import { applyFileEdit, ValueEditError } from './edits/apply.ts';
import { KustomizeEditError, setKustomizeImages } from './edits/kustomize-set-image.ts';
import {
  EditPathError,
  LeaseBusyError,
  LeaseLostError,
  PushRejectedError,
  RepoAccessError,
  WriteFailedError,
} from './errors.ts';
import { branchNameProblem, kustomizationCandidates, normaliseEditPath, repoURLProblem } from './paths.ts';
import type { Author, GitPort, WorkTree, WriteStore } from './ports.ts';
import { redactURL } from './redact.ts';

/** The trailer key every commit made by git-writer carries. */
export const WRITE_ID_TRAILER = 'Ferry-Write-Id';

/** The trailer line that marks a commit as made for `writeId`. */
export const trailerLine = (writeId: string): string => `${WRITE_ID_TRAILER}: ${writeId}`;

/** The lease serialising writers of one branch (credentials stripped: lease names are Redis keys). */
export const leaseName = (repoURL: string, branch: string): string => `git:${redactURL(repoURL)}#${branch}`;

/** The deterministic message id of a write's GitWritten fact. */
export const gitWrittenMsgId = (writeId: string): string => `git-written:${writeId}`;

/** Defaults of the tunables in {@link WriterDeps}. */
export const WriteDefaults = {
  /** Lease time to live; renewed every third of it while the write runs. */
  leaseTtlMs: 30_000,
  /** How long a write waits for a busy branch before giving the message back for later. */
  leaseWaitMs: 60_000,
  /** How many commits of the target branch are searched for the write's trailer. */
  historyDepth: 200,
} as const;

/** What {@link performWrite} needs. */
export interface WriterDeps {
  git: GitPort;
  store: WriteStore;
  /** Publishes the GitWritten fact (with the given deterministic message id). */
  publish(fact: GitWritten, msgId: string): Promise<void>;
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  log: Logger;
  /** Author (and committer) of every commit. */
  author: Author;
  /** Called while waiting and between steps, so the message's ack deadline moves on. */
  heartbeat?: () => void;
  leaseTtlMs?: number;
  leaseWaitMs?: number;
  historyDepth?: number;
  /**
   * Writes waiting for a branch, shared by every replica: a batch that finds the branch busy
   * offers its writes here, and the lease holder takes them into its batch. Absent: batches stay
   * within one replica.
   */
  queue?: BranchQueue;
}

/** The cross-replica queue of writes waiting for a branch (a Redis list per lease name). */
export interface BranchQueue {
  /** Offers writes to whoever holds the branch's lease now. */
  offer(lease: string, cmds: readonly WriteGit[]): Promise<void>;
  /** Takes up to `max` offered writes (oldest first). */
  take(lease: string, max: number): Promise<WriteGit[]>;
}

/** How a write ended, before it is recorded. */
interface Outcome {
  outcome: GitWriteRecord['outcome'];
  commit: string;
  message: string;
}

/** Mutable progress of one write, for the record and the failure message. */
interface Progress {
  attempts: number;
  /** The target branch's head as last seen, so a Failed record can still name it. */
  targetHead: string;
}

/** A lease held for the duration of a write, renewed in the background. */
interface HeldLease {
  lease: Lease;
  lost(): boolean;
  release(): Promise<void>;
}

/**
 * Performs one write and publishes its GitWritten fact. Returns the fact. Permanent problems
 * (missing repository or file, bad path, unusable kustomization) end as outcome `Failed`,
 * recorded and published; transient ones (network, busy or lost lease) are thrown, so the
 * command is delivered again.
 */
export async function performWrite(cmd: WriteGit, deps: WriterDeps): Promise<GitWritten> {
  const repo = redactURL(cmd.repoURL);
  const log = deps.log.child({ writeId: cmd.writeId, repo, branch: cmd.targetBranch });
  const attributes = {
    'ferry.write_id': cmd.writeId,
    'vcs.repository.url.full': repo,
    'vcs.ref.head.name': cmd.targetBranch,
  };
  return withSpan('git write', { attributes }, async () => {
    const known = await deps.store.getGitWrite(cmd.writeId);
    if (known) {
      log.info(
        { outcome: known.outcome, commit: known.commit },
        'write already recorded; publishing its outcome again',
      );
      return publishFact(cmd, known, deps);
    }
    const held = await takeLease(leaseName(cmd.repoURL, cmd.targetBranch), deps, log);
    let record: GitWriteRecord;
    try {
      // Another delivery of the same command may have finished while this one waited.
      const finished = await deps.store.getGitWrite(cmd.writeId);
      if (finished) {
        log.info(
          { outcome: finished.outcome },
          'write finished by another delivery; publishing its outcome again',
        );
        record = finished;
      } else {
        const progress: Progress = { attempts: 0, targetHead: '' };
        const out = await writeOrFail(cmd, deps, held, progress, log);
        record = {
          outcome: out.outcome,
          commit: out.commit,
          branch: cmd.targetBranch,
          repoURL: repo,
          message: out.message,
          finishedAt: new Date(deps.now()).toISOString(),
          attempts: progress.attempts,
        };
        await deps.store.putGitWrite(cmd.writeId, record);
      }
    } finally {
      await held.release();
    }
    return publishFact(cmd, record, deps);
  });
}

async function publishFact(cmd: WriteGit, record: GitWriteRecord, deps: WriterDeps): Promise<GitWritten> {
  const fact: GitWritten = {
    project: cmd.project,
    writeId: cmd.writeId,
    repoURL: record.repoURL,
    branch: record.branch,
    commit: record.commit,
    outcome: record.outcome,
  };
  if (record.message) fact.message = record.message;
  await deps.publish(fact, gitWrittenMsgId(cmd.writeId));
  return fact;
}

/** Runs the write; a permanent problem becomes outcome `Failed`, anything else is thrown. */
async function writeOrFail(
  cmd: WriteGit,
  deps: WriterDeps,
  held: HeldLease,
  progress: Progress,
  log: Logger,
): Promise<Outcome> {
  try {
    return await write(cmd, deps, held, progress, log);
  } catch (err) {
    if (!(err instanceof WriteFailedError)) throw err;
    const where = `branch "${cmd.targetBranch}" of ${redactURL(cmd.repoURL)}`;
    const message =
      err instanceof RepoAccessError
        ? `cannot write ${where}: ${err.message}; check that the repository exists and that Ferry's git credentials for it allow reading and pushing`
        : err.message;
    log.warn({ err, attempts: progress.attempts }, 'write failed');
    return { outcome: 'Failed', commit: progress.targetHead, message };
  }
}

async function write(
  cmd: WriteGit,
  deps: WriterDeps,
  held: HeldLease,
  progress: Progress,
  log: Logger,
): Promise<Outcome> {
  const { git } = deps;
  const repo = redactURL(cmd.repoURL);
  const where = `branch "${cmd.targetBranch}" of ${repo}`;
  const branches = [...new Set([cmd.targetBranch, cmd.sourceBranch].filter((b): b is string => !!b))];
  const trailer = trailerLine(cmd.writeId);
  const urlProblem = repoURLProblem(cmd.repoURL);
  if (urlProblem)
    throw new WriteFailedError(
      `cannot write ${where}: the repository URL ${urlProblem}; fix the Stage's repoURL`,
    );
  for (const b of branches) {
    const problem = branchNameProblem(b);
    if (problem)
      throw new WriteFailedError(
        `cannot write ${where}: branch name "${b}" ${problem}; fix the Stage's branch`,
      );
  }
  const span = <T>(name: string, fn: () => Promise<T>): Promise<T> =>
    withSpan(name, { attributes: { 'ferry.write_id': cmd.writeId, 'ferry.attempt': progress.attempts } }, fn);

  while (progress.attempts < cmd.maxAttempts) {
    progress.attempts++;
    const remote = await span('git fetch', () => git.sync(cmd.repoURL, branches));
    deps.heartbeat?.();
    const targetHead = remote.heads.get(cmd.targetBranch);
    let base: string;
    if (targetHead) {
      progress.targetHead = targetHead;
      const landed = await span('git log', () =>
        git.findCommitWithTrailer(
          cmd.repoURL,
          targetHead,
          trailer,
          deps.historyDepth ?? WriteDefaults.historyDepth,
        ),
      );
      if (landed) {
        log.info({ commit: landed }, 'write had already landed; recording it');
        return {
          outcome: 'Committed',
          commit: landed,
          message: `commit ${landed} (pushed by an earlier delivery)`,
        };
      }
      base = targetHead;
    } else {
      const source = cmd.sourceBranch || remote.defaultBranch;
      const sourceHead = source ? remote.heads.get(source) : undefined;
      if (!source || !sourceHead) {
        throw new WriteFailedError(
          source
            ? `cannot create ${where}: source branch "${source}" does not exist; create it or fix the Stage's source branch`
            : `cannot create ${where}: the repository has no branches yet; push an initial commit first`,
        );
      }
      base = sourceHead;
    }

    const tree = await span('git checkout', () => git.checkout(cmd.repoURL, base, cmd.writeId));
    try {
      const edited = await span('edit', () => applyEdits(tree, cmd.edits, where));
      deps.heartbeat?.();
      let commit = base;
      if (edited.changed) {
        const message = `${cmd.message.trimEnd()}\n\n${trailer}\n`;
        commit = await span('git commit', () => tree.commit(message, deps.author));
      } else if (targetHead) {
        log.info({ commit: base }, 'edits change nothing; no commit');
        return { outcome: 'NoChange', commit: base, message: edited.summaries.join('; ') };
      }
      // Without changes the push only creates the missing target branch at its source.
      await checkFence(held, deps);
      try {
        await span('git push', () => tree.push(commit, cmd.targetBranch));
      } catch (err) {
        if (!(err instanceof PushRejectedError)) throw err;
        log.warn(
          { attempt: progress.attempts, maxAttempts: cmd.maxAttempts },
          'push rejected; redoing the edits on the new head',
        );
        continue;
      }
      if (!edited.changed) {
        log.info({ commit }, 'created the branch; edits change nothing');
        return { outcome: 'NoChange', commit, message: edited.summaries.join('; ') };
      }
      log.info({ commit, attempts: progress.attempts }, 'write committed and pushed');
      return { outcome: 'Committed', commit, message: edited.summaries.join('; ') };
    } finally {
      await tree.dispose();
    }
  }
  throw new WriteFailedError(
    `gave up pushing to ${where} after ${progress.attempts} attempts: the branch moved before every push; promote again later`,
  );
}

interface EditResult {
  changed: boolean;
  summaries: string[];
}

/** Applies the edits in order in a work tree; permanent problems become {@link WriteFailedError}. */
async function applyEdits(tree: WorkTree, edits: readonly GitEdit[], where: string): Promise<EditResult> {
  const result: EditResult = { changed: false, summaries: [] };
  for (const edit of edits) {
    switch (edit.kind) {
      case 'kustomize-set-image': {
        const r = await setImages(tree, edit, where);
        result.changed ||= r.changed;
        result.summaries.push(r.summary);
        break;
      }
      default: {
        const r = await applyFileEdit(tree, edit).catch((err: unknown) => {
          if (err instanceof ValueEditError || err instanceof EditPathError) {
            throw new WriteFailedError(`cannot edit ${where}: ${err.message}`);
          }
          throw err;
        });
        result.changed ||= r.changed;
        result.summaries.push(r.summary);
      }
    }
  }
  return result;
}

async function setImages(tree: WorkTree, edit: GitEditOf<'kustomize-set-image'>, where: string) {
  try {
    const dir = normaliseEditPath(edit.path);
    let found: { file: string; text: string } | undefined;
    for (const file of kustomizationCandidates(dir)) {
      const text = await tree.readFile(file);
      if (text === undefined) continue;
      if (found) throw new EditPathError(`"${dir || '.'}" has both ${found.file} and ${file}; keep one`);
      found = { file, text };
    }
    if (!found) {
      throw new EditPathError(
        `no kustomization file in "${dir || '.'}" (looked for kustomization.yaml, kustomization.yml, Kustomization); check the step's path or add the file`,
      );
    }
    const r = setKustomizeImages(found.text, edit.images, found.file);
    if (r.changed) await tree.writeFile(found.file, r.text);
    return r;
  } catch (err) {
    if (err instanceof KustomizeEditError) {
      throw new WriteFailedError(
        `cannot edit ${where}: ${err.message}; fix the file in the repository or the step's images`,
      );
    }
    if (err instanceof EditPathError) throw new WriteFailedError(`cannot edit ${where}: ${err.message}`);
    throw err;
  }
}

/** Waits (bounded) for the branch's lease, then keeps renewing it until released. */
async function takeLease(
  name: string,
  deps: WriterDeps,
  log: Logger,
  onBusy?: () => Promise<void>,
): Promise<HeldLease> {
  const ttl = deps.leaseTtlMs ?? WriteDefaults.leaseTtlMs;
  const wait = deps.leaseWaitMs ?? WriteDefaults.leaseWaitMs;
  const deadline = deps.now() + wait;
  let delay = 50;
  let lease = await deps.store.acquireLease(name, ttl);
  if (!lease) {
    log.info({ waitMs: wait }, 'branch is being written by another writer; waiting');
    // The holder may take these writes into its batch; the record check after the wait tells.
    await onBusy?.().catch((err: unknown) => log.warn({ err }, 'could not offer writes to the lease holder'));
  }
  while (!lease) {
    if (deps.now() >= deadline) {
      throw new LeaseBusyError(
        `branch lease "${name}" still held by another writer after ${wait} ms; will retry`,
      );
    }
    deps.heartbeat?.();
    await deps.sleep(delay);
    delay = Math.min(delay * 2, 250);
    lease = await deps.store.acquireLease(name, ttl);
  }
  const held = lease;
  let lost = false;
  const timer = setInterval(() => {
    deps.store.renewLease(held, ttl).then(
      (ok) => {
        if (!ok) lost = true;
      },
      (err: unknown) => log.warn({ err }, 'lease renewal failed'),
    );
  }, ttl / 3);
  timer.unref();
  return {
    lease: held,
    lost: () => lost,
    release: async () => {
      clearInterval(timer);
      await deps.store.releaseLease(held).catch((err: unknown) => log.warn({ err }, 'lease release failed'));
    },
  };
}

/** Refuses to push unless this writer still holds the newest lease of the branch. */
async function checkFence(held: HeldLease, deps: WriterDeps): Promise<void> {
  const current = await deps.store.currentFence(held.lease.name);
  if (held.lost() || current !== held.lease.fence) {
    throw new LeaseLostError(
      `lost the branch lease "${held.lease.name}" (fence ${held.lease.fence}, now ${current}) before pushing; will retry`,
    );
  }
}

/**
 * Writes to one branch taken together: one work tree, one commit per write (each with its own
 * `Ferry-Write-Id` trailer, so a write's exactly-once check is the same as alone), one push, one
 * record and one GitWritten fact per write. Edits are applied in the given order; two writes that
 * set the same key to different values both commit, and the later one wins. A write whose edits
 * fail for good ends `Failed` by itself: the round is redone without it on a fresh work tree, so
 * none of its edits leak into its neighbours' commits. A transient error (network, lost lease) is
 * thrown for every write of the batch, so each command is delivered again.
 *
 * Every command must name the same repository and target branch; a batch of one is exactly
 * {@link performWrite}.
 */
export async function performWriteBatch(cmds: readonly WriteGit[], deps: WriterDeps): Promise<GitWritten[]> {
  const first = cmds[0];
  if (!first) return [];
  if (cmds.length === 1 && !deps.queue) return [await performWrite(first, deps)];
  const name = leaseName(first.repoURL, first.targetBranch);
  for (const c of cmds) {
    if (leaseName(c.repoURL, c.targetBranch) !== name)
      throw new Error(`performWriteBatch: write ${c.writeId} is for another branch than ${name}`);
  }
  const repo = redactURL(first.repoURL);
  const log = deps.log.child({ repo, branch: first.targetBranch, batch: cmds.length });
  const attributes = {
    'vcs.repository.url.full': repo,
    'vcs.ref.head.name': first.targetBranch,
    'ferry.batch_size': cmds.length,
  };
  return withSpan('git write batch', { attributes }, async () => {
    const records = new Map<string, GitWriteRecord>();
    const pending: WriteGit[] = [];
    for (const c of cmds) {
      const known = await deps.store.getGitWrite(c.writeId);
      if (known) records.set(c.writeId, known);
      else if (!pending.some((p) => p.writeId === c.writeId)) pending.push(c);
    }
    const offered: WriteGit[] = [];
    if (pending.length > 0) {
      const held = await takeLease(name, deps, log, async () => deps.queue?.offer(name, pending));
      try {
        // Writes other replicas offered while they waited for this branch join the batch.
        const taken = (await deps.queue?.take(name, MAX_TAKEN)) ?? [];
        for (const c of taken) {
          if (leaseName(c.repoURL, c.targetBranch) !== name) continue;
          if (pending.some((p) => p.writeId === c.writeId) || offered.some((p) => p.writeId === c.writeId))
            continue;
          offered.push(c);
        }
        const todo: WriteGit[] = [];
        for (const c of [...pending, ...offered]) {
          const finished = await deps.store.getGitWrite(c.writeId);
          if (finished) records.set(c.writeId, finished);
          else todo.push(c);
        }
        const outcomes = await writeBatch(todo, deps, held, log);
        for (const c of todo) {
          const out = outcomes.get(c.writeId);
          if (!out) continue;
          const record: GitWriteRecord = {
            outcome: out.outcome,
            commit: out.commit,
            branch: c.targetBranch,
            repoURL: repo,
            message: out.message,
            finishedAt: new Date(deps.now()).toISOString(),
            attempts: out.attempts,
          };
          await deps.store.putGitWrite(c.writeId, record);
          records.set(c.writeId, record);
        }
      } finally {
        await held.release();
      }
    }
    const facts: GitWritten[] = [];
    for (const c of cmds) {
      const record = records.get(c.writeId);
      if (record) facts.push(await publishFact(c, record, deps));
    }
    // Offered writes are answered too; the offering replica answers again with the same message id.
    for (const c of offered) {
      const record = records.get(c.writeId);
      if (record) await publishFact(c, record, deps);
    }
    return facts;
  });
}

/** How one write of a batch ended, with the attempts it took part in. */
interface BatchOutcome extends Outcome {
  attempts: number;
}

async function writeBatch(
  cmds: readonly WriteGit[],
  deps: WriterDeps,
  held: HeldLease,
  log: Logger,
): Promise<Map<string, BatchOutcome>> {
  const { git } = deps;
  const done = new Map<string, BatchOutcome>();
  const first = cmds[0];
  if (!first) return done;
  const where = `branch "${first.targetBranch}" of ${redactURL(first.repoURL)}`;
  let targetHead = '';
  const attemptsOf = new Map<string, number>();
  const fail = (c: WriteGit, message: string): void => {
    done.set(c.writeId, {
      outcome: 'Failed',
      commit: targetHead,
      message,
      attempts: attemptsOf.get(c.writeId) ?? 0,
    });
  };
  // Problems of the command itself end it before any git work, as alone.
  let live: WriteGit[] = [];
  for (const c of cmds) {
    const urlProblem = repoURLProblem(c.repoURL);
    const branchProblem = [c.targetBranch, c.sourceBranch]
      .filter((b): b is string => !!b)
      .map((b) => ({ b, p: branchNameProblem(b) }))
      .find((x) => x.p);
    if (urlProblem)
      fail(c, `cannot write ${where}: the repository URL ${urlProblem}; fix the Stage's repoURL`);
    else if (branchProblem)
      fail(
        c,
        `cannot write ${where}: branch name "${branchProblem.b}" ${branchProblem.p}; fix the Stage's branch`,
      );
    else live.push(c);
  }
  let pushes = 0;
  while (live.length > 0) {
    // Each write gives up once it took part in its own maxAttempts rounds.
    for (const c of live) attemptsOf.set(c.writeId, (attemptsOf.get(c.writeId) ?? 0) + 1);
    const branches = [
      ...new Set([first.targetBranch, ...live.map((c) => c.sourceBranch)].filter((b): b is string => !!b)),
    ];
    let remote: Awaited<ReturnType<GitPort['sync']>>;
    try {
      remote = await withSpan('git fetch', {}, () => git.sync(first.repoURL, branches));
    } catch (err) {
      if (!(err instanceof RepoAccessError)) throw err;
      const message = `cannot write ${where}: ${err.message}; check that the repository exists and that Ferry's git credentials for it allow reading and pushing`;
      for (const c of live) fail(c, message);
      break;
    }
    deps.heartbeat?.();
    const head = remote.heads.get(first.targetBranch);
    let base: string;
    const round: WriteGit[] = [];
    if (head) {
      targetHead = head;
      base = head;
      for (const c of live) {
        const landed = await git.findCommitWithTrailer(
          c.repoURL,
          head,
          trailerLine(c.writeId),
          deps.historyDepth ?? WriteDefaults.historyDepth,
        );
        if (landed) {
          done.set(c.writeId, {
            outcome: 'Committed',
            commit: landed,
            message: `commit ${landed} (pushed by an earlier delivery)`,
            attempts: attemptsOf.get(c.writeId) ?? 1,
          });
        } else round.push(c);
      }
    } else {
      // A branch that does not exist yet: created from the first write's source, as alone.
      const source = first.sourceBranch || remote.defaultBranch;
      const sourceHead = source ? remote.heads.get(source) : undefined;
      if (!source || !sourceHead) {
        const message = source
          ? `cannot create ${where}: source branch "${source}" does not exist; create it or fix the Stage's source branch`
          : `cannot create ${where}: the repository has no branches yet; push an initial commit first`;
        for (const c of live) fail(c, message);
        break;
      }
      base = sourceHead;
      round.push(...live);
    }
    if (round.length === 0) break;

    const tree = await withSpan('git checkout', {}, () =>
      git.checkout(first.repoURL, base, `batch-${round[0]?.writeId}`),
    );
    const made: Array<{ c: WriteGit; commit: string; changed: boolean; summary: string }> = [];
    let redo = false;
    let editFailed = false;
    try {
      let commit = base;
      for (const c of round) {
        let edited: EditResult;
        try {
          edited = await applyEdits(tree, c.edits, where);
        } catch (err) {
          if (!(err instanceof WriteFailedError)) throw err;
          log.warn({ err, writeId: c.writeId }, 'write of a batch failed; redoing the batch without it');
          fail(c, err.message);
          redo = true;
          editFailed = true;
          break;
        }
        deps.heartbeat?.();
        if (edited.changed) {
          const message = `${c.message.trimEnd()}\n\n${trailerLine(c.writeId)}\n`;
          commit = await tree.commit(message, deps.author);
        }
        made.push({ c, commit, changed: edited.changed, summary: edited.summaries.join('; ') });
      }
      if (!redo) {
        const anyChange = made.some((m) => m.changed);
        if (anyChange || !head) {
          await checkFence(held, deps);
          try {
            pushes++;
            await withSpan('git push', {}, () => tree.push(commit, first.targetBranch));
          } catch (err) {
            if (!(err instanceof PushRejectedError)) throw err;
            log.warn({ pushes }, 'batch push rejected; redoing the edits on the new head');
            redo = true;
          }
        }
        if (!redo) {
          for (const m of made) {
            done.set(m.c.writeId, {
              outcome: m.changed ? 'Committed' : 'NoChange',
              commit: m.commit,
              message: m.summary,
              attempts: attemptsOf.get(m.c.writeId) ?? 1,
            });
          }
          log.info({ commit, writes: made.length, pushes }, 'batch committed and pushed');
        }
      }
    } finally {
      await tree.dispose();
    }
    live = live.filter((c) => !done.has(c.writeId));
    // A round redone for another write's broken edits pushed nothing: it is no attempt.
    if (editFailed) for (const c of live) attemptsOf.set(c.writeId, (attemptsOf.get(c.writeId) ?? 1) - 1);
    for (const c of live) {
      if ((attemptsOf.get(c.writeId) ?? 0) >= c.maxAttempts) {
        fail(
          c,
          `gave up pushing to ${where} after ${attemptsOf.get(c.writeId)} attempts: the branch moved before every push; promote again later`,
        );
      }
    }
    live = live.filter((c) => !done.has(c.writeId));
  }
  return done;
}

/** Most offered writes a lease holder takes into one batch. */
const MAX_TAKEN = 50;

/** One command waiting in a {@link WriteBatcher}. */
interface Queued {
  cmd: WriteGit;
  resolve(fact: GitWritten): void;
  reject(err: unknown): void;
}

/**
 * Gathers the writes handed to this process for one repository and branch: while a batch is
 * being written, newly arrived writes for the same branch queue, and the next batch takes them
 * all at once (at most `maxBatch`). Writes to other branches run side by side.
 */
export class WriteBatcher {
  readonly #deps: (cmd: WriteGit) => WriterDeps;
  readonly #maxBatch: number;
  readonly #queues = new Map<string, Queued[]>();
  readonly #running = new Set<string>();
  /** Batches written so far, by size (for logs and benchmarks). */
  readonly batchSizes: number[] = [];

  /** `deps` gives the dependencies per command (its logger and heartbeat). */
  constructor(deps: (cmd: WriteGit) => WriterDeps, maxBatch = 50) {
    this.#deps = deps;
    this.#maxBatch = maxBatch;
  }

  /** Queues a write; settles with its GitWritten fact once its batch is written. */
  submit(cmd: WriteGit): Promise<GitWritten> {
    // Per Project as well: a batch pushes with its first write's Project credentials.
    const key = `${cmd.project}|${leaseName(cmd.repoURL, cmd.targetBranch)}`;
    return new Promise<GitWritten>((resolve, reject) => {
      const q = this.#queues.get(key) ?? [];
      q.push({ cmd, resolve, reject });
      this.#queues.set(key, q);
      if (!this.#running.has(key)) void this.#drain(key);
    });
  }

  async #drain(key: string): Promise<void> {
    this.#running.add(key);
    try {
      for (;;) {
        const q = this.#queues.get(key) ?? [];
        if (q.length === 0) break;
        const batch = q.splice(0, this.#maxBatch);
        const head = batch[0] as Queued;
        // Heartbeats of every write in the batch, so none of the messages times out.
        const base = this.#deps(head.cmd);
        const beats = batch.map((b) => this.#deps(b.cmd).heartbeat).filter((h) => !!h);
        const deps: WriterDeps = {
          ...base,
          heartbeat: () => {
            for (const h of beats) h();
          },
        };
        this.batchSizes.push(batch.length);
        try {
          const facts = await performWriteBatch(
            batch.map((b) => b.cmd),
            deps,
          );
          const byId = new Map(facts.map((f) => [f.writeId, f]));
          for (const b of batch) {
            const fact = byId.get(b.cmd.writeId);
            if (fact) b.resolve(fact);
            else b.reject(new Error(`write ${b.cmd.writeId} ended without an outcome; will retry`));
          }
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.#running.delete(key);
      this.#queues.delete(key);
    }
  }
}

/** The NATS core subject (request/reply, no stream) on which git-writer answers dry runs. */
export const gitDiffSubject = (project: string): string => `ferry.v1.req.git.diff.${project}`;

/** What a dry run of one write would push. */
export interface WriteDiff {
  writeId: string;
  repoURL: string;
  branch: string;
  /** The commit the edits were applied on (the target branch's head, or its source's when missing). */
  base: string;
  /** True when the write would make a commit. */
  changed: boolean;
  /** The unified diff the commit would carry ('' when nothing changes). */
  diff: string;
  /** What each edit did, as the write's outcome message would say. */
  message: string;
  /** Set instead of a diff when the write would end Failed (bad path, missing file or repository). */
  error?: string;
}

/**
 * A dry run of one write: the same fetch, checkout and edits as {@link performWrite}, then the diff
 * of the work tree instead of a commit. Takes no lease, records nothing, publishes nothing and
 * pushes nothing. Permanent problems come back in `error`; transient ones are thrown.
 */
export async function diffWrite(cmd: WriteGit, deps: Pick<WriterDeps, 'git' | 'log'>): Promise<WriteDiff> {
  const repo = redactURL(cmd.repoURL);
  const where = `branch "${cmd.targetBranch}" of ${repo}`;
  const answer: WriteDiff = {
    writeId: cmd.writeId,
    repoURL: repo,
    branch: cmd.targetBranch,
    base: '',
    changed: false,
    diff: '',
    message: '',
  };
  try {
    const urlProblem = repoURLProblem(cmd.repoURL);
    if (urlProblem)
      throw new WriteFailedError(
        `cannot write ${where}: the repository URL ${urlProblem}; fix the Stage's repoURL`,
      );
    const branches = [...new Set([cmd.targetBranch, cmd.sourceBranch].filter((b): b is string => !!b))];
    for (const b of branches) {
      const problem = branchNameProblem(b);
      if (problem)
        throw new WriteFailedError(
          `cannot write ${where}: branch name "${b}" ${problem}; fix the Stage's branch`,
        );
    }
    const remote = await deps.git.sync(cmd.repoURL, branches).catch((err: unknown) => {
      if (err instanceof RepoAccessError)
        throw new WriteFailedError(
          `cannot write ${where}: ${err.message}; check that the repository exists and that Ferry's git credentials for it allow reading and pushing`,
        );
      throw err;
    });
    const source = cmd.sourceBranch || remote.defaultBranch;
    const base = remote.heads.get(cmd.targetBranch) ?? (source ? remote.heads.get(source) : undefined);
    if (!base)
      throw new WriteFailedError(
        `cannot create ${where}: ${source ? `source branch "${source}" does not exist` : 'the repository has no branches yet'}`,
      );
    answer.base = base;
    const tree = await deps.git.checkout(cmd.repoURL, base, `dry-run-${cmd.writeId}`);
    try {
      const edited = await applyEdits(tree, cmd.edits, where);
      answer.changed = edited.changed;
      answer.message = edited.summaries.join('; ');
      answer.diff = edited.changed ? await tree.diff() : '';
    } finally {
      await tree.dispose();
    }
  } catch (err) {
    if (!(err instanceof WriteFailedError)) throw err;
    answer.error = err.message;
  }
  return answer;
}
