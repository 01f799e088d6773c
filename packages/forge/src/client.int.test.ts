import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ForgeKind, startForge, type TestForge } from '@ferry/support';
import { createForge, type Forge, type ForgeError, type Provider } from './index.ts';

const KINDS: Array<{ kind: ForgeKind; host: string; repoURL: string }> = [
  { kind: 'github', host: 'github.com', repoURL: 'https://github.com/acme/gitops.git' },
  { kind: 'gitlab', host: 'gitlab.example', repoURL: 'https://gitlab.example/acme/infra/gitops.git' },
  { kind: 'gitea', host: 'gitea.example', repoURL: 'https://gitea.example/acme/gitops' },
];

for (const { kind, host, repoURL } of KINDS) {
  describe(`forge client against the ${kind} double`, () => {
    let double: TestForge;
    let forge: Forge;
    const repo = { repoURL, provider: kind as Provider };
    before(async () => {
      double = await startForge(kind, 'tok-123');
      forge = createForge({ tokens: { [host]: 'tok-123' }, apiUrls: { [host]: double.url } });
    });
    after(() => double.close());

    test('opens, finds, reads and merges a pull request', async () => {
      assert.equal(await forge.findOpen(repo, 'ferry/dev', 'main'), undefined);
      const pr = await forge.create(repo, {
        head: 'ferry/dev',
        base: 'main',
        title: 'Promote to dev',
        description: 'by Ferry',
        labels: kind === 'gitea' ? [] : ['ferry'],
      });
      assert.equal(pr.number, 1);
      assert.equal(pr.state, 'open');
      assert.equal(pr.head, 'ferry/dev');
      assert.equal(pr.base, 'main');
      if (kind !== 'gitea') assert.deepEqual(double.prs.get(1)?.labels, ['ferry']);
      assert.deepEqual(await forge.findOpen(repo, 'ferry/dev', 'main'), pr);
      assert.equal(await forge.findOpen(repo, 'ferry/dev', 'release'), undefined);
      double.prs.get(1)!.mergeable = false;
      const refused = await forge.merge(repo, 1);
      assert.equal(refused.merged, false);
      double.prs.get(1)!.mergeable = true;
      const merged = await forge.merge(repo, 1);
      assert.deepEqual(merged, { merged: true, commit: double.prs.get(1)!.mergeCommit });
      const read = await forge.get(repo, 1);
      assert.equal(read.state, 'merged');
      assert.equal(read.mergeCommit, double.prs.get(1)!.mergeCommit);
      assert.ok(double.requests.every((r) => r.authorized));
    });

    test('reports a closed pull request and a missing one', async () => {
      const pr = await forge.create(repo, {
        head: 'x',
        base: 'main',
        title: 't',
        description: '',
        labels: [],
      });
      double.closePR(pr.number);
      assert.equal((await forge.get(repo, pr.number)).state, 'closed');
      await assert.rejects(forge.get(repo, 99), (err: ForgeError) => {
        assert.equal(err.code, 'FERRY_ERR_FORGE_NOT_FOUND');
        assert.equal(err.status, 404);
        return true;
      });
    });

    test('a wrong token is Unauthorized and the message names the host, not the token', async () => {
      const wrong = createForge({ tokens: { [host]: 'nope-secret' }, apiUrls: { [host]: double.url } });
      await assert.rejects(wrong.get(repo, 1), (err: ForgeError) => {
        assert.equal(err.code, 'FERRY_ERR_FORGE_UNAUTHORIZED');
        assert.match(err.message, new RegExp(`check the token for ${host} in FERRY_FORGE_TOKENS`));
        assert.doesNotMatch(err.message, /nope-secret/);
        return true;
      });
    });
  });
}

test('a host without a token is refused before any request, naming the host', async () => {
  const forge = createForge({ tokens: {} });
  await assert.rejects(forge.get({ repoURL: 'https://github.com/a/b.git' }, 1), {
    code: 'FERRY_ERR_FORGE_NO_TOKEN',
    message: 'no API token for forge host github.com; add "github.com=<token>" to FERRY_FORGE_TOKENS',
  });
});
