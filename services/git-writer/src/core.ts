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
async function takeLease(name: string, deps: WriterDeps, log: Logger): Promise<HeldLease> {
  const ttl = deps.leaseTtlMs ?? WriteDefaults.leaseTtlMs;
  const wait = deps.leaseWaitMs ?? WriteDefaults.leaseWaitMs;
  const deadline = deps.now() + wait;
  let delay = 50;
  let lease = await deps.store.acquireLease(name, ttl);
  if (!lease) log.info({ waitMs: wait }, 'branch is being written by another writer; waiting');
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
