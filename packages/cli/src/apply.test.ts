import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { run } from './cli.ts';
import { apiError, captureIo, type FakeApi, startFakeApi } from './fake-api.ts';

const MANIFESTS = `apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: app
  namespace: demo
`;

describe('ferry apply', () => {
  let api: FakeApi;
  let dir: string;
  before(async () => {
    api = await startFakeApi();
    dir = await mkdtemp(join(tmpdir(), 'ferry-cli-'));
    await writeFile(join(dir, 'demo.yaml'), MANIFESTS);
    await writeFile(join(dir, 'bad.yaml'), 'kind: Stage\n');
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true });
  });
  beforeEach(() => {
    api.requests.length = 0;
  });

  it('sends the file and prints results on stdout and warnings on stderr', async () => {
    api.on('POST', '/api/v1/apply', {
      status: 200,
      body: {
        results: [
          { kind: 'Project', project: 'demo', name: 'demo', action: 'unchanged', generation: 1 },
          { kind: 'Warehouse', project: 'demo', name: 'app', action: 'created', generation: 1 },
          { kind: 'Stage', project: 'demo', name: 'dev', action: 'configured', generation: 3 },
        ],
        warnings: ['Stage dev: promotionMechanisms is deprecated; use promotionTemplate'],
      },
    });
    const c = captureIo({ cwd: dir });
    const code = await run(['apply', '-f', 'demo.yaml', '-p', 'demo', '--server', api.url], c.io);
    assert.equal(code, 0);
    assert.equal(
      c.stdout(),
      'project.kargo.akuity.io/demo unchanged\n' +
        'project/demo warehouse.kargo.akuity.io/app created\n' +
        'project/demo stage.kargo.akuity.io/dev configured\n',
    );
    assert.equal(
      c.stderr(),
      'warning: Stage dev: promotionMechanisms is deprecated; use promotionTemplate\n',
    );
    assert.deepEqual(api.requests, [
      {
        method: 'POST',
        url: '/api/v1/apply',
        body: { manifests: MANIFESTS, source: 'demo.yaml', project: 'demo' },
      },
    ]);
  });

  it('reads standard input for "-", takes the Project from FERRY_PROJECT and applies files in order', async () => {
    api.on('POST', '/api/v1/apply', { status: 200, body: { results: [], warnings: [] } });
    const c = captureIo({
      cwd: dir,
      env: { FERRY_SERVER: api.url, FERRY_PROJECT: 'env-project' },
      stdin: Readable.from([Buffer.from('kind: Project\n')]),
    });
    assert.equal(await run(['apply', '-f', '-', '-f', join(dir, 'demo.yaml')], c.io), 0);
    assert.deepEqual(
      api.requests.map((r) => r.body),
      [
        { manifests: 'kind: Project\n', source: '<stdin>', project: 'env-project' },
        { manifests: MANIFESTS, source: join(dir, 'demo.yaml'), project: 'env-project' },
      ],
    );
  });

  it('leaves project out when neither -p nor FERRY_PROJECT is set', async () => {
    api.on('POST', '/api/v1/apply', { status: 200, body: { results: [], warnings: [] } });
    const c = captureIo({ cwd: dir, env: { FERRY_SERVER: api.url } });
    assert.equal(await run(['apply', '-f', 'demo.yaml'], c.io), 0);
    assert.deepEqual(api.requests[0]?.body, { manifests: MANIFESTS, source: 'demo.yaml' });
  });

  it('prints the message, the code and every problem of an API error, and stops', async () => {
    api.on('POST', '/api/v1/apply', {
      status: 400,
      body: apiError(400, 'FERRY_ERR_BAD_MANIFEST', 'bad.yaml: 2 problems; nothing was applied', {
        problems: [
          { path: '/0/metadata/name', message: 'is required' },
          { path: '', message: 'apiVersion must be kargo.akuity.io/v1alpha1' },
        ],
      }),
    });
    const c = captureIo({ cwd: dir, env: { FERRY_SERVER: api.url } });
    assert.equal(await run(['apply', '-f', 'bad.yaml', '-f', 'demo.yaml'], c.io), 1);
    assert.equal(c.stdout(), '');
    assert.equal(
      c.stderr(),
      'error: bad.yaml: 2 problems; nothing was applied (FERRY_ERR_BAD_MANIFEST)\n' +
        '  /0/metadata/name: is required\n' +
        '  /: apiVersion must be kargo.akuity.io/v1alpha1\n',
    );
    assert.equal(api.requests.length, 1);
  });

  it('reads every file before applying any', async () => {
    const c = captureIo({ cwd: dir, env: { FERRY_SERVER: api.url } });
    assert.equal(await run(['apply', '-f', 'demo.yaml', '-f', 'missing.yaml'], c.io), 1);
    assert.equal(c.stderr(), 'error: cannot read missing.yaml: no such file\n');
    assert.equal(api.requests.length, 0);
  });

  it('needs -f', async () => {
    const c = captureIo({ env: { FERRY_SERVER: api.url } });
    assert.equal(await run(['apply'], c.io), 2);
    assert.match(c.stderr(), /^error: at least one -f FILE is required\n\nUsage: ferry apply -f FILE/);
  });
});
