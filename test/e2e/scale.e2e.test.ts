/**
 * Scale out: three replicas of every service but the api (one api, so one `FERRY_API_PORT`), 60
 * Promotions across 20 Stages (three Freight each, in order). Half-way, one promoter drains on
 * SIGTERM and one git-writer dies on SIGKILL. Every Promotion still succeeds exactly once, every
 * Promotion makes exactly one commit, and every replica of promoter, git-writer and argocd-syncer
 * handled work. The services run from their bundles (`pnpm build`), as the container image runs them;
 * the other end-to-end tests run the sources.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildServices } from '@ferry/launcher/build';
import { replicaKeys, runScale, SPREAD_SERVICES } from './src/scale.ts';

const STAGES = 20;
const FREIGHT = 3;

test('three replicas: 60 Promotions each succeed once, one commit each, work spread, survives a drain and a kill', async () => {
  const killed: string[] = [];
  await buildServices();
  const r = await runScale({
    bundled: true,
    replicas: 3,
    stages: STAGES,
    freight: FREIGHT,
    redisDb: 1,
    halfway: async (fleet) => {
      await Promise.all([fleet.kill('promoter#1', 'SIGTERM'), fleet.kill('git-writer#2', 'SIGKILL')]);
      killed.push('promoter#1', 'git-writer#2');
    },
  });
  assert.deepEqual(r.failures, []);
  // The api's bundle finds the built UI (packages/web/dist) from dist/services.
  assert.equal(r.uiStatus, 200, 'GET / of the bundled api: the UI (scripts/setup.sh builds it)');
  assert.deepEqual(killed, ['promoter#1', 'git-writer#2']);
  // Exactly one Promotion per Stage and Freight, all Succeeded.
  const pairs = r.promotions.map((p) => `${p.stage} ${p.freight}`);
  assert.equal(r.promotions.length, STAGES * FREIGHT);
  assert.equal(new Set(pairs).size, STAGES * FREIGHT);
  assert.deepEqual(
    r.promotions.filter((p) => p.phase !== 'Succeeded').map((p) => [p.name, p.phase]),
    [],
  );
  // Every Promotion changes its overlay's tag, so each makes one commit: none lost, none doubled.
  assert.equal(r.commits, STAGES * FREIGHT, `see ${r.logFile}`);
  const idle = SPREAD_SERVICES.flatMap((s) => replicaKeys(s, 3)).filter((k) => !(r.handled.get(k)! > 0));
  assert.deepEqual(idle, [], `replicas that handled nothing; counts ${JSON.stringify([...r.handled])}`);
  console.log(
    `scale: ${r.promotions.length} Promotions, ${r.commits} commits, ${r.wallMs} ms, handled ${JSON.stringify([...r.handled])}`,
  );
});
