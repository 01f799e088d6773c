import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { run } from './cli.ts';
import { DELETE_USAGE, resourceRef } from './delete.ts';
import { apiError, captureIo, type FakeApi, startFakeApi } from './fake-api.ts';

const FILE = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: uat
`;

describe('ferry delete', () => {
  let api: FakeApi;
  let dir: string;
  before(async () => {
    api = await startFakeApi();
    dir = await mkdtemp(join(tmpdir(), 'ferry-cli-delete-'));
    await writeFile(join(dir, 'pipeline.yaml'), FILE);
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true });
  });
  beforeEach(() => {
    api.requests.length = 0;
  });

  const ferry = async (...args: string[]) => {
    const c = captureIo({ cwd: dir });
    const code = await run([...args, '--server', api.url], c.io);
    return { code, out: c.stdout(), err: c.stderr() };
  };
  const deleted = (kind: string, project: string, name: string) => ({
    status: 200,
    body: { kind, project, name, outcome: 'deleted' },
  });

  it('deletes named resources of each kind and prints kubectl lines', async () => {
    const cases: [string[], string, string, string][] = [
      [
        ['stage', 'uat'],
        '/api/v1/projects/shop/stages/uat',
        'Stage',
        'stage.kargo.akuity.io "uat" deleted\n',
      ],
      [
        ['warehouses', 'app'],
        '/api/v1/projects/shop/warehouses/app',
        'Warehouse',
        'warehouse.kargo.akuity.io "app" deleted\n',
      ],
      [
        ['promo', 'uat.1.abc'],
        '/api/v1/projects/shop/promotions/uat.1.abc',
        'Promotion',
        'promotion.kargo.akuity.io "uat.1.abc" deleted\n',
      ],
      [
        ['promotiontask', 'push'],
        '/api/v1/projects/shop/promotiontasks/push',
        'PromotionTask',
        'promotiontask.kargo.akuity.io "push" deleted\n',
      ],
      [
        ['analysistemplate', 'smoke'],
        '/api/v1/projects/shop/analysistemplates/smoke',
        'AnalysisTemplate',
        'analysistemplate.argoproj.io "smoke" deleted\n',
      ],
      [['secret', 'creds'], '/api/v1/projects/shop/secrets/creds', 'Secret', 'secret "creds" deleted\n'],
      [
        ['projectconfig'],
        '/api/v1/projects/shop/projectconfig',
        'ProjectConfig',
        'projectconfig.kargo.akuity.io "shop" deleted\n',
      ],
    ];
    for (const [args, url, kind, line] of cases) {
      api.requests.length = 0;
      const name = args[1] ?? 'shop';
      api.on('DELETE', url, deleted(kind, 'shop', name));
      const r = await ferry('delete', ...args, '-p', 'shop');
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
      assert.equal(r.out, line);
      assert.deepEqual(
        api.requests.map((q) => `${q.method} ${q.url}`),
        [`DELETE ${url}`],
      );
    }
  });

  it('prints the Freight id the API deleted when named by alias', async () => {
    const id = 'f'.repeat(40);
    api.on('DELETE', '/api/v1/projects/shop/freight/wild-otter', deleted('Freight', 'shop', id));
    const r = await ferry('delete', 'freight', 'wild-otter', '-p', 'shop');
    assert.equal(r.out, `freight.kargo.akuity.io "${id}" deleted\n`);
  });

  it('goes on after a missing one and exits 1; --ignore-not-found makes that 0', async () => {
    api.on('DELETE', '/api/v1/projects/shop/stages/gone', {
      status: 404,
      body: apiError(404, 'FERRY_ERR_STAGE_NOT_FOUND', 'Stage "gone" not found in Project "shop"'),
    });
    api.on('DELETE', '/api/v1/projects/shop/stages/uat', deleted('Stage', 'shop', 'uat'));
    const r = await ferry('delete', 'stages', 'gone', 'uat', '-p', 'shop');
    assert.equal(r.code, 1);
    assert.equal(r.out, 'stage.kargo.akuity.io "uat" deleted\n');
    assert.equal(r.err, 'error: Stage "gone" not found in Project "shop" (FERRY_ERR_STAGE_NOT_FOUND)\n');
    const quiet = await ferry('delete', 'stages', 'gone', 'uat', '-p', 'shop', '--ignore-not-found');
    assert.equal(quiet.code, 0);
    assert.equal(quiet.err, '');
  });

  it('reports a refusal with its code, and sends --force for Stages and Projects', async () => {
    api.on('DELETE', '/api/v1/projects/shop/stages/dev', {
      status: 409,
      body: apiError(409, 'FERRY_ERR_PROMOTION_RUNNING', 'Stage "dev" has a Running Promotion (dev.1): wait'),
    });
    const r = await ferry('delete', 'stage', 'dev', '-p', 'shop', '--ignore-not-found');
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      'error: Stage "dev" has a Running Promotion (dev.1): wait (FERRY_ERR_PROMOTION_RUNNING)\n',
    );
    api.on('DELETE', '/api/v1/projects/shop/stages/dev?force=true', deleted('Stage', 'shop', 'dev'));
    assert.equal((await ferry('delete', 'stage', 'dev', '-p', 'shop', '--force')).code, 0);
    api.on('DELETE', '/api/v1/projects/shop?force=true', deleted('Project', 'shop', 'shop'));
    const p = await ferry('delete', 'project', 'shop', '--force');
    assert.equal(p.out, 'project.kargo.akuity.io "shop" deleted\n');
  });

  it('stops at an error that is not about one resource (access, a missing route)', async () => {
    api.on('DELETE', '/api/v1/projects/shop/stages/a', {
      status: 403,
      body: apiError(403, 'FERRY_ERR_FORBIDDEN', 'this needs the role "admin" in Project "shop"'),
    });
    const r = await ferry('delete', 'stage', 'a', 'b', '-p', 'shop');
    assert.equal(r.code, 1);
    assert.equal(r.err, 'error: this needs the role "admin" in Project "shop" (FERRY_ERR_FORBIDDEN)\n');
    assert.equal(api.requests.length, 1);
    // An older api without the route answers FERRY_ERR_NOT_FOUND: not a missing Stage, even ignored.
    const old = await ferry('delete', 'warehouse', 'x', '-p', 'shop', '--ignore-not-found');
    assert.equal(old.code, 1);
    assert.match(old.err, /FERRY_ERR_NOT_FOUND/);
  });

  it('deletes what a file names and prints each outcome', async () => {
    api.on('POST', '/api/v1/manifests/delete', {
      status: 200,
      body: {
        results: [
          { kind: 'Stage', project: 'shop', name: 'uat', outcome: 'deleted' },
          {
            kind: 'Warehouse',
            project: 'shop',
            name: 'app',
            outcome: 'not found',
            code: 'FERRY_ERR_WAREHOUSE_NOT_FOUND',
            message: 'Warehouse "app" not found in Project "shop"',
          },
        ],
      },
    });
    const r = await ferry('delete', '-f', 'pipeline.yaml', '-p', 'shop', '--force');
    assert.equal(r.code, 1);
    assert.equal(r.out, 'stage.kargo.akuity.io "uat" deleted\n');
    assert.equal(
      r.err,
      'error: Warehouse "app" not found in Project "shop" (FERRY_ERR_WAREHOUSE_NOT_FOUND)\n',
    );
    assert.deepEqual(api.requests[0]?.body, {
      manifests: FILE,
      source: 'pipeline.yaml',
      project: 'shop',
      force: true,
    });
    const quiet = await ferry('delete', '-f', 'pipeline.yaml', '--ignore-not-found');
    assert.equal(quiet.code, 0);
    assert.deepEqual(api.requests[1]?.body, { manifests: FILE, source: 'pipeline.yaml' });
  });

  it('explains bad usage with exit 2', async () => {
    const cases: [string[], string][] = [
      [[], 'give -f FILE, or a KIND and a NAME'],
      [['deployment', 'x', '-p', 'shop'], 'unknown kind "deployment"'],
      [['stage', '-p', 'shop'], 'a NAME of the Stage to delete is required'],
      [['stage', 'uat'], 'a Project is required: give -p PROJECT or set FERRY_PROJECT'],
      [['warehouse', 'app', '-p', 'shop', '--force'], '--force applies to stages and projects only'],
      [['-f', 'pipeline.yaml', 'stage', 'uat'], 'give either -f FILE or KIND NAME, not both (got "stage")'],
      [['projectconfig', 'x', '-p', 'shop'], 'unexpected argument "x": a Project has one ProjectConfig'],
    ];
    for (const [args, message] of cases) {
      const r = await ferry('delete', ...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.err, `error: ${message}\n\n${DELETE_USAGE}`);
    }
    assert.equal(api.requests.length, 0);
  });

  it('has help with examples', async () => {
    const r = await ferry('delete', '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /ferry delete stage uat -p shop/);
    assert.equal(resourceRef('ClusterAnalysisTemplate', 'x'), 'clusteranalysistemplate.argoproj.io "x"');
  });
});
