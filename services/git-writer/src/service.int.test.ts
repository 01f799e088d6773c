/**
 * git-writer through NATS JetStream: commands in, facts out, with real git, Redis and NATS;
 * then the same through `main.ts` as its own process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Bus } from '@ferry/bus';
import { loadConfig } from '@ferry/config';
import {
  COMMANDS_STREAM,
  DEAD_LETTER_STREAM,
  deadLetterSubject,
  EVENTS_STREAM,
  type GitWritten,
  subjectFor,
  type WriteGit,
} from '@ferry/contracts';
import { Store } from '@ferry/store';
import { gitDiffSubject, type WriteDiff } from './core.ts';
import { startGitWriter } from './index.ts';
import { type FixtureRepo, forgetLeases, makeRepo, testLogger, unique } from './testing/git-fixture.ts';

const APP = '127.0.0.1:5000/demo/app';
const log = testLogger();
let repo: FixtureRepo;
let store: Store;
let bus: Bus;
let env: Record<string, string>;

/** Messages a stream holds on one subject. */
async function count(stream: string, subject: string): Promise<number> {
  const info = await bus.jsm.streams.info(stream, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function lastFact(project: string): Promise<GitWritten> {
  const m = await bus.jsm.streams.getMessage(EVENTS_STREAM, {
    last_by_subj: subjectFor('GitWritten', project),
  });
  return m!.json<GitWritten>();
}

const writeGit = (project: string, writeId: string, tag: string): WriteGit => ({
  project,
  writeId,
  stage: 'dev',
  promotion: `dev.${writeId}`,
  repoURL: repo.url,
  targetBranch: 'main',
  edits: [{ kind: 'kustomize-set-image', path: 'apps/dev', images: [{ name: APP, newTag: tag }] }],
  message: `promote ${tag}`,
  maxAttempts: 5,
});

before(async () => {
  repo = await makeRepo();
  env = {
    FERRY_GIT_CACHE_DIR: join(repo.root, 'cache'),
    FERRY_GIT_AUTHOR_NAME: 'Ferry Bot',
    FERRY_GIT_AUTHOR_EMAIL: 'ferry@example.com',
    FERRY_LOG_LEVEL: 'info',
  };
  store = Store.connect('redis://127.0.0.1:6379/3', 'git-writer-test');
  bus = await Bus.connect({ servers: 'nats://127.0.0.1:4222', name: 'git-writer-test', log, maxDeliver: 5 });
});

after(async () => {
  try {
    await forgetLeases(store, `file://${repo.root}/`);
  } finally {
    await bus.close();
    await store.close();
    await repo.cleanup();
  }
});

describe('git-writer over NATS', () => {
  test('a WriteGit delivered twice (two Nats-Msg-Ids) makes one commit and one GitWritten fact', async () => {
    const config = loadConfig(env);
    const writer = await startGitWriter({ config, log, store, bus }, { concurrency: 4 });
    try {
      const project = unique('gw');
      const writeId = unique('w');
      const cmdSubject = subjectFor('WriteGit', project);
      const factSubject = subjectFor('GitWritten', project);
      const commitsBefore = (await repo.log('main')).length;
      const payload = JSON.stringify(writeGit(project, writeId, '1.2.0'));
      // Published below the Bus on purpose: distinct message ids get past JetStream's dedupe.
      await bus.js.publish(cmdSubject, payload, { msgID: `${writeId}-first` });
      await bus.js.publish(cmdSubject, payload, { msgID: `${writeId}-second` });

      // Both commands handled and acked (a work-queue stream drops acked messages).
      await until(
        'both commands to be handled',
        async () => (await count(COMMANDS_STREAM, cmdSubject)) === 0,
      );
      await until('the fact', async () => (await count(EVENTS_STREAM, factSubject)) > 0);
      await sleep(300);

      assert.equal(await count(DEAD_LETTER_STREAM, deadLetterSubject(cmdSubject)), 0);
      assert.equal((await repo.log('main')).length, commitsBefore + 1);
      // The second delivery republished with the same message id, which JetStream dropped.
      assert.equal(await count(EVENTS_STREAM, factSubject), 1);
      const fact = await lastFact(project);
      assert.deepEqual(fact, {
        project,
        writeId,
        repoURL: repo.url,
        branch: 'main',
        commit: await repo.head('main'),
        outcome: 'Committed',
        message: `updated apps/dev/kustomization.yaml to use image ${APP}:1.2.0`,
      });
      assert.equal(await repo.message('main'), `promote 1.2.0\n\nFerry-Write-Id: ${writeId}\n\n`);
      assert.equal((await store.getGitWrite(writeId))?.commit, fact.commit);
    } finally {
      await writer.stop();
    }
  });

  test('a dry run over NATS answers the diff the write would push, and pushes nothing', async () => {
    const config = loadConfig(env);
    const writer = await startGitWriter({ config, log, store, bus }, { concurrency: 1 });
    try {
      const project = unique('dry');
      const head = await repo.head('main');
      const current = /newTag: (\S+) # set by promotion/.exec(
        await repo.show('main', 'apps/dev/kustomization.yaml'),
      )?.[1];
      const ask = async (cmd: WriteGit) =>
        (await bus.nc.request(gitDiffSubject(project), JSON.stringify(cmd), { timeout: 15_000 })).json<{
          diff?: WriteDiff;
          error?: string;
        }>();
      const writeId = unique('w');
      const answer = await ask(writeGit(project, writeId, '9.9.9'));
      assert.equal(answer.error, undefined);
      assert.equal(answer.diff?.changed, true);
      assert.equal(answer.diff?.base, head);
      assert.equal(answer.diff?.message, `updated apps/dev/kustomization.yaml to use image ${APP}:9.9.9`);
      const lines = answer.diff?.diff.split('\n') ?? [];
      assert.equal(lines[0], 'diff --git a/apps/dev/kustomization.yaml b/apps/dev/kustomization.yaml');
      assert.deepEqual(
        lines.filter((l) => /^[-+] /.test(l)),
        [`-  newTag: ${current} # set by promotion`, '+  newTag: 9.9.9 # set by promotion'],
      );
      assert.equal(await repo.head('main'), head);
      assert.equal(await store.getGitWrite(writeId), undefined);

      const bad = await ask({
        ...writeGit(project, unique('w'), '9.9.9'),
        edits: [{ kind: 'kustomize-set-image', path: 'apps/nope', images: [{ name: APP, newTag: '1' }] }],
      });
      assert.equal(
        bad.diff?.error,
        `cannot edit branch "main" of ${repo.url}: no kustomization file in "apps/nope" (looked for kustomization.yaml, kustomization.yml, Kustomization); check the step's path or add the file`,
      );
      const invalid = (
        await bus.nc.request(gitDiffSubject(project), '{"project":1}', { timeout: 15_000 })
      ).json<{
        error?: string;
      }>();
      assert.match(invalid.error ?? '', /dry-run WriteGit/);
    } finally {
      await writer.stop();
    }
  });

  test('main.ts runs the service and drains on SIGTERM', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until('the service to start', async () => out.includes('git-writer consuming WriteGit commands'));
      const project = unique('gw');
      const writeId = unique('w');
      await bus.publish('WriteGit', writeGit(project, writeId, '1.4.0'), `write-git:${writeId}`);
      await until(
        'the fact',
        async () => (await count(EVENTS_STREAM, subjectFor('GitWritten', project))) > 0,
      );
      const fact = await lastFact(project);
      assert.equal(fact.outcome, 'Committed');
      assert.equal(fact.commit, await repo.head('main'));
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(10_000, 'hung', { ref: false })]);
      assert.equal(code, 0, out);
      assert.match(out, /"msg":"draining"/);
      assert.match(out, /"msg":"git-writer stopped"/);
      assert.doesNotMatch(out, /"level":"(error|fatal)"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
