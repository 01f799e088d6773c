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
    }
    const start = chooseBase(cmd, remote, where);
    const base = start.kind === 'commit' ? start.sha : '';

    const tree = await span('git checkout', () =>
      start.kind === 'commit'
        ? git.checkout(cmd.repoURL, start.sha, cmd.writeId)
        : git.checkoutEmpty(cmd.repoURL, cmd.writeId),
    );
    try {
      const edited = await span('edit', () => applyWrite(tree, cmd, where, git));
      deps.heartbeat?.();
      let commit = base;
      if (edited.changed) {
        const message = `${cmd.message.trimEnd()}\n\n${trailer}\n`;
        commit = await span('git commit', () => tree.commit(message, deps.author));
      } else if (targetHead && (!cmd.force || targetHead === base)) {
        log.info({ commit: targetHead }, 'edits change nothing; no commit');
        return { outcome: 'NoChange', commit: targetHead, message: edited.summaries.join('; ') };
      } else if (start.kind === 'orphan') {
        log.info('edits change nothing on a new orphan branch; not creating it');
        return {
          outcome: 'NoChange',
          commit: '',
          message: `nothing to write; branch "${cmd.targetBranch}" was not created`,
        };
      }
      // Without changes the push only creates the missing target branch at its source (or, forced, resets it there).
      await checkFence(held, deps);
      try {
        await span('git push', () => tree.push(commit, cmd.targetBranch, cmd.force === true));
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

/** Where a write starts: a commit, or nothing at all (a new orphan branch). */
type Base = { kind: 'commit'; sha: string } | { kind: 'orphan' };

/**
 * The commit a write builds on: the target branch's head; when it is missing (or the write is
 * forced) the source branch's head; when that is missing too, a new orphan branch if the write
 * asks for one. Otherwise the write fails, naming the missing branch.
 */
export function chooseBase(
  cmd: WriteGit,
  remote: { heads: ReadonlyMap<string, string>; defaultBranch: string | undefined },
  where: string,
): Base {
  const targetHead = remote.heads.get(cmd.targetBranch);
  if (targetHead && !cmd.force) return { kind: 'commit', sha: targetHead };
  const source = cmd.sourceBranch || remote.defaultBranch;
  const sourceHead = source ? remote.heads.get(source) : undefined;
  if (sourceHead) return { kind: 'commit', sha: sourceHead };
  if (cmd.orphan) return { kind: 'orphan' };
  throw new WriteFailedError(
    source
      ? `cannot create ${where}: source branch "${source}" does not exist; create it, fix the Stage's source branch or set create: true on the git-clone checkout`
      : `cannot create ${where}: the repository has no branches yet; push an initial commit first`,
  );
}

/**
 * Applies a write's edits to its work tree, with its read-only source checkouts materialised
 * from the clone cache for the copies that read them (each source's own edits applied first).
 */
async function applyWrite(tree: WorkTree, cmd: WriteGit, where: string, git: GitPort): Promise<EditResult> {
  const sources = new Map<string, WorkTree>();
  try {
    for (const src of cmd.sources ?? []) {
      const what = src.commit
        ? `commit ${src.commit}`
        : src.tag
          ? `tag "${src.tag}"`
          : `branch "${src.branch}"`;
      const srcWhere = `checkout ${src.path} (${what} of ${redactURL(src.repoURL)})`;
      const urlProblem = repoURLProblem(src.repoURL);
      if (urlProblem) throw new WriteFailedError(`cannot read ${srcWhere}: the repository URL ${urlProblem}`);
      if ([src.commit, src.tag, src.branch].filter(Boolean).length !== 1)
        throw new WriteFailedError(`cannot read ${srcWhere}: give exactly one of branch, commit or tag`);
      let sha: string;
      try {
        if (src.branch) {
          const problem = branchNameProblem(src.branch);
          if (problem) throw new WriteFailedError(`cannot read ${srcWhere}: branch name ${problem}`);
          const remote = await git.sync(src.repoURL, [src.branch]);
          const head = remote.heads.get(src.branch);
          if (!head) throw new WriteFailedError(`cannot read ${srcWhere}: the branch does not exist`);
          sha = head;
        } else {
          sha = await git.resolveRevision(
            src.repoURL,
            src.commit ? { commit: src.commit } : { tag: src.tag ?? '' },
          );
        }
      } catch (err) {
        if (err instanceof WriteFailedError && !err.message.startsWith('cannot read'))
          throw new WriteFailedError(`cannot read ${srcWhere}: ${err.message}`);
        throw err;
      }
      const srcTree = await git.checkout(src.repoURL, sha, `src-${cmd.writeId}`);
      sources.set(src.path, srcTree);
      if (src.edits?.length) await applyEdits(srcTree, src.edits, srcWhere, sources);
    }
    return await applyEdits(tree, cmd.edits, where, sources);
  } finally {
    for (const t of sources.values()) await t.dispose();
  }
}

/** Applies the edits in order in a work tree; permanent problems become {@link WriteFailedError}. */
async function applyEdits(
  tree: WorkTree,
  edits: readonly GitEdit[],
  where: string,
  sources: ReadonlyMap<string, WorkTree> = new Map(),
): Promise<EditResult> {
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
        let from: WorkTree | undefined;
        if (edit.kind === 'copy' && edit.fromCheckout !== undefined) {
          from = sources.get(edit.fromCheckout);
          if (!from) {
            throw new WriteFailedError(
              `cannot edit ${where}: copy reads checkout "${edit.fromCheckout}", which the write does not carry; check the copy step's inPath`,
            );
          }
        }
        const r = await applyFileEdit(tree, edit, from).catch((err: unknown) => {
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
  return withSpan('git write batch', { attributes }, async (span) => {
    span.setAttribute(
      'ferry.write_ids',
      cmds.map((c) => c.writeId),
    );
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
    span.setAttributes(batchSpanAttributes([...cmds, ...offered], records));
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

/**
 * The attributes of a `git write batch` span once the batch is done: every write id in it (offered
 * ones included), its size, and the revision it left on the branch (`ferry.revision`, the commit of
 * its Committed or NoChange writes; left out when none, or when they disagree, as listed then in
 * `ferry.revisions`).
 */
export function batchSpanAttributes(
  writes: readonly Pick<WriteGit, 'writeId'>[],
  records: ReadonlyMap<string, Pick<GitWriteRecord, 'outcome' | 'commit'>>,
): Record<string, string | number | string[]> {
  const ids = [...new Set(writes.map((w) => w.writeId))];
  const revisions = [
    ...new Set(
      ids
        .map((id) => records.get(id))
        .filter((r) => r && r.outcome !== 'Failed' && r.commit)
        .map((r) => r?.commit as string),
    ),
  ];
  return {
    'ferry.write_ids': ids,
    'ferry.batch_size': ids.length,
    ...(revisions.length === 1 ? { 'ferry.revision': revisions[0] as string } : {}),
    ...(revisions.length > 1 ? { 'ferry.revisions': revisions } : {}),
  };
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
    let orphanStart = false;
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
      // A branch that does not exist yet: created from the first write's source (or as a new orphan), as alone.
      let start: Base;
      try {
        start = chooseBase(live[0] as WriteGit, remote, where);
      } catch (err) {
        if (!(err instanceof WriteFailedError)) throw err;
        for (const c of live) fail(c, err.message);
        break;
      }
      base = start.kind === 'commit' ? start.sha : '';
      orphanStart = start.kind === 'orphan';
      round.push(...live);
    }
    if (round.length === 0) break;

    const tree = await withSpan('git checkout', {}, () =>
      orphanStart
        ? git.checkoutEmpty(first.repoURL, `batch-${round[0]?.writeId}`)
        : git.checkout(first.repoURL, base, `batch-${round[0]?.writeId}`),
    );
    const made: Array<{ c: WriteGit; commit: string; changed: boolean; summary: string }> = [];
    let redo = false;
    let editFailed = false;
    try {
      let commit = base;
      for (const c of round) {
        let edited: EditResult;
        try {
          edited = await applyWrite(tree, c, where, git);
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
        if (anyChange || (!head && !orphanStart)) {
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

  /**
   * Queues a write; settles with its GitWritten fact once its batch is written. Tag writes and
   * forced writes (which overwrite the branch) are never batched: they run alone.
   */
  submit(cmd: WriteGit): Promise<GitWritten> {
    if (cmd.tag) return performTag(cmd, this.#deps(cmd));
    if (cmd.force) return performWrite(cmd, this.#deps(cmd));
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
    if (cmd.tag) {
      const planned = await planTag(cmd, deps.git);
      answer.branch = `refs/tags/${cmd.tag.name}`;
      answer.base = planned.commit;
      answer.changed = !planned.exists;
      answer.message = planned.exists
        ? `tag ${cmd.tag.name} is already at ${planned.commit.slice(0, 7)}`
        : `would tag ${planned.commit.slice(0, 7)} as ${cmd.tag.name}`;
      return answer;
    }
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
    const start = chooseBase(cmd, remote, where);
    answer.base = start.kind === 'commit' ? start.sha : '';
    const tree = await (start.kind === 'commit'
      ? deps.git.checkout(cmd.repoURL, start.sha, `dry-run-${cmd.writeId}`)
      : deps.git.checkoutEmpty(cmd.repoURL, `dry-run-${cmd.writeId}`));
    try {
      const edited = await applyWrite(tree, cmd, where, deps.git);
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

/** Where a tag write points: the commit, and whether the remote has the tag there already. */
async function planTag(cmd: WriteGit, git: GitPort): Promise<{ commit: string; exists: boolean }> {
  const tag = cmd.tag as NonNullable<WriteGit['tag']>;
  const repo = redactURL(cmd.repoURL);
  const problem = branchNameProblem(tag.name);
  if (problem)
    throw new WriteFailedError(
      `cannot tag ${repo}: tag name "${tag.name}" ${problem}; fix the git-tag step's tag`,
    );
  let commit: string;
  const access = (err: unknown): never => {
    if (err instanceof RepoAccessError)
      throw new WriteFailedError(
        `cannot tag ${repo}: ${err.message}; check that the repository exists and that Ferry's git credentials for it allow reading and pushing`,
      );
    throw err;
  };
  if (tag.commit) commit = await git.resolveRevision(cmd.repoURL, { commit: tag.commit }).catch(access);
  else if (tag.sourceTag)
    commit = await git.resolveRevision(cmd.repoURL, { tag: tag.sourceTag }).catch(access);
  else {
    const branchProblem = branchNameProblem(cmd.targetBranch);
    if (branchProblem)
      throw new WriteFailedError(`cannot tag ${repo}: branch name "${cmd.targetBranch}" ${branchProblem}`);
    const remote = await git.sync(cmd.repoURL, [cmd.targetBranch]).catch(access);
    const head = remote.heads.get(cmd.targetBranch);
    if (!head)
      throw new WriteFailedError(
        `cannot tag ${repo}: branch "${cmd.targetBranch}" does not exist; push to it before tagging`,
      );
    commit = head;
  }
  const existing = await git.remoteTag(cmd.repoURL, tag.name).catch(access);
  if (existing && existing !== commit) {
    throw new WriteFailedError(
      `cannot tag ${repo}: tag "${tag.name}" already exists at ${existing.slice(0, 12)}, not at ${commit.slice(0, 12)}; Ferry never moves a tag: use another tag name or delete the tag first`,
    );
  }
  return { commit, exists: existing === commit };
}

/**
 * Performs a tag write (`cmd.tag`) exactly once and publishes its GitWritten fact: pushes a
 * lightweight tag, never moving an existing one. A tag already at the commit is `NoChange` (an
 * earlier delivery pushed it); at another commit the write is `Failed`. No branch lease: the
 * remote's refusal to overwrite a tag is the guard.
 */
export async function performTag(cmd: WriteGit, deps: WriterDeps): Promise<GitWritten> {
  const tag = cmd.tag;
  if (!tag) throw new Error(`performTag: write ${cmd.writeId} is not a tag write`);
  const repo = redactURL(cmd.repoURL);
  const log = deps.log.child({ writeId: cmd.writeId, repo, tag: tag.name });
  const attributes = {
    'ferry.write_id': cmd.writeId,
    'vcs.repository.url.full': repo,
    'vcs.ref.head.name': `refs/tags/${tag.name}`,
  };
  return withSpan('git tag', { attributes }, async () => {
    const known = await deps.store.getGitWrite(cmd.writeId);
    if (known) return publishFact(cmd, known, deps);
    let out: Outcome;
    let attempts = 0;
    try {
      for (;;) {
        attempts++;
        const planned = await planTag(cmd, deps.git);
        if (planned.exists) {
          out = {
            outcome: 'NoChange',
            commit: planned.commit,
            message: `tag ${tag.name} is at ${planned.commit}`,
          };
          break;
        }
        try {
          await deps.git.pushTag(cmd.repoURL, tag.name, planned.commit);
          out = {
            outcome: 'Committed',
            commit: planned.commit,
            message: `tagged ${planned.commit} as ${tag.name}`,
          };
          log.info({ commit: planned.commit }, 'tag pushed');
          break;
        } catch (err) {
          // Someone pushed the tag meanwhile: look again (same commit is success, another is Failed).
          if (!(err instanceof PushRejectedError) || attempts >= 3) throw err;
        }
      }
    } catch (err) {
      if (!(err instanceof WriteFailedError)) throw err;
      log.warn({ err }, 'tag write failed');
      out = { outcome: 'Failed', commit: '', message: err.message };
    }
    const record: GitWriteRecord = {
      outcome: out.outcome,
      commit: out.commit,
      branch: `refs/tags/${tag.name}`,
      repoURL: repo,
      message: out.message,
      finishedAt: new Date(deps.now()).toISOString(),
      attempts,
    };
    await deps.store.putGitWrite(cmd.writeId, record);
    return publishFact(cmd, record, deps);
  });
}
