import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { git, startGitServer, type TestGitServer } from './git-server.ts';
import { tempDir } from './util.ts';

describe('startGitServer', () => {
  let server: TestGitServer;
  let work: string;
  before(async () => {
    server = await startGitServer();
    work = await tempDir('git-test');
  });
  after(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  it('serves a clone over smart HTTP and accepts a push back', async () => {
    const url = await server.createRepo(
      'team/gitops',
      { 'README.md': '# gitops\n', 'env/dev/values.yaml': 'image: app:v1\n' },
      { message: 'seed' },
    );
    assert.equal(url, `${server.url}/team/gitops.git`);

    await git(['clone', '--quiet', url, 'clone'], { cwd: work });
    const clone = join(work, 'clone');
    assert.equal(await readFile(join(clone, 'env/dev/values.yaml'), 'utf8'), 'image: app:v1\n');

    await writeFile(join(clone, 'env/dev/values.yaml'), 'image: app:v2\n');
    await git(['commit', '--quiet', '-am', 'promote app:v2 to dev'], { cwd: clone });
    await git(['push', '--quiet', 'origin', 'main'], { cwd: clone });

    assert.equal(server.pushCount('team/gitops'), 1);
    assert.equal(await server.readFile('team/gitops', 'main', 'env/dev/values.yaml'), 'image: app:v2\n');
    const commits = await server.commits('team/gitops', 'main');
    assert.deepEqual(
      commits.map((c) => [c.message, c.author]),
      [
        ['promote app:v2 to dev', 'Ferry Test <test@ferry.invalid>'],
        ['seed', 'Ferry Test <test@ferry.invalid>'],
      ],
    );
    assert.match(commits[0]!.sha, /^[0-9a-f]{40}$/);
  });

  it('creates repos on another branch', async () => {
    await server.createRepo('other', { 'a.txt': 'a' }, { branch: 'stage/prod' });
    assert.equal(await server.readFile('other', 'stage/prod', 'a.txt'), 'a');
    assert.equal((await server.commits('other')).length, 1);
  });

  it('passes a gzip-encoded request body through to git-http-backend', async () => {
    await server.createRepo('gz', { 'a.txt': 'a' });
    const [head] = await server.commits('gz');
    const want = `want ${head!.sha}\n`;
    const body = `${(want.length + 4).toString(16).padStart(4, '0')}${want}00000009done\n`;
    const res = await fetch(`${server.repoURL('gz')}/git-upload-pack`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'gzip' },
      body: gzipSync(body),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-git-upload-pack-result');
    const answer = Buffer.from(await res.arrayBuffer()).toString('latin1');
    assert.match(answer, /^0008NAK\nPACK/);
  });

  it('answers 404 for an unknown repo', async () => {
    const res = await fetch(`${server.url}/missing.git/info/refs?service=git-upload-pack`);
    await res.body?.cancel();
    assert.equal(res.status, 404);
  });
});

describe('startGitServer with basic auth', () => {
  let server: TestGitServer;
  let work: string;
  before(async () => {
    server = await startGitServer({ auth: { username: 'bot', password: 's3cret' } });
    work = await tempDir('git-auth-test');
  });
  after(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  it('refuses anonymous requests with a basic challenge', async () => {
    await server.createRepo('private', { 'a.txt': 'a' });
    const res = await fetch(`${server.repoURL('private')}/info/refs?service=git-upload-pack`);
    await res.body?.cancel();
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="ferry-test-git"');
    await assert.rejects(
      git(['clone', '--quiet', server.repoURL('private'), 'anon'], { cwd: work }),
      /401|Authentication failed|could not read Username/,
    );
  });

  it('lets the user clone and push', async () => {
    await server.createRepo('private2', { 'a.txt': 'a' });
    await git(['clone', '--quiet', server.repoURL('private2', { withAuth: true }), 'c'], { cwd: work });
    const clone = join(work, 'c');
    await writeFile(join(clone, 'a.txt'), 'b');
    await git(['commit', '--quiet', '-am', 'change'], { cwd: clone });
    await git(['push', '--quiet', 'origin', 'main'], { cwd: clone });
    assert.equal(await server.readFile('private2', 'main', 'a.txt'), 'b');
    assert.equal(server.pushCount('private2'), 1);
  });
});
