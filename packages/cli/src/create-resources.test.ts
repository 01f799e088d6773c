import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parse } from 'yaml';
import { run } from './cli.ts';
import { createKind } from './create.ts';
import { apiError, captureIo, type FakeApi, startFakeApi } from './fake-api.ts';

const FILE = `apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: app
  namespace: shop
`;

describe('ferry create -f, project and credentials', () => {
  let api: FakeApi;
  let dir: string;
  before(async () => {
    api = await startFakeApi();
    dir = await mkdtemp(join(tmpdir(), 'ferry-cli-create-'));
    await writeFile(join(dir, 'pipeline.yaml'), FILE);
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true });
  });
  beforeEach(() => {
    api.requests.length = 0;
  });

  const ferry = async (args: string[], stdin?: string) => {
    const c = captureIo({
      cwd: dir,
      ...(stdin !== undefined
        ? {
            stdin: (async function* () {
              yield stdin;
            })(),
          }
        : {}),
    });
    const code = await run([...args, '--server', api.url], c.io);
    return { code, out: c.stdout(), err: c.stderr() };
  };
  const created = (kind: string, project: string, name: string) => ({
    status: 200,
    body: { results: [{ kind, project, name, action: 'created', generation: 1 }], warnings: [] },
  });

  it('creates from a file through apply with create: true', async () => {
    api.on('POST', '/api/v1/apply', created('Warehouse', 'shop', 'app'));
    const r = await ferry(['create', '-f', 'pipeline.yaml']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'project/shop warehouse.kargo.akuity.io/app created\n');
    assert.deepEqual(api.requests[0]?.body, { manifests: FILE, source: 'pipeline.yaml', create: true });
  });

  it('says what exists when the api refuses, and exits 1', async () => {
    api.on('POST', '/api/v1/apply', {
      status: 409,
      body: apiError(
        409,
        'FERRY_ERR_ALREADY_EXISTS',
        'nothing created: Warehouse "app" in Project "shop" already exists; use ferry apply to change it',
      ),
    });
    const r = await ferry(['create', '-f', 'pipeline.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.err, /Warehouse "app" in Project "shop" already exists; use ferry apply/);
  });

  it('creates a Project by name', async () => {
    api.on('POST', '/api/v1/apply', created('Project', '', 'shop'));
    const r = await ferry(['create', 'project', 'shop']);
    assert.equal(r.code, 0, r.err);
    const body = api.requests[0]?.body as { manifests: string; create: boolean };
    assert.equal(body.create, true);
    assert.deepEqual(parse(body.manifests), {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Project',
      metadata: { name: 'shop' },
    });
  });

  it('creates git credentials with the password from standard input, never from argv', async () => {
    api.on('POST', '/api/v1/apply', created('Secret', 'shop', 'github'));
    const r = await ferry(
      [
        'create',
        'credentials',
        'github',
        '-p',
        'shop',
        '--type',
        'git',
        '--repo-url',
        'https://github.com/acme/.*',
        '--regex',
        '--username',
        'bot',
        '--password-stdin',
      ],
      'tok-123\n',
    );
    assert.equal(r.code, 0, r.err);
    const body = api.requests[0]?.body as { manifests: string };
    assert.deepEqual(parse(body.manifests), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'github', namespace: 'shop', labels: { 'kargo.akuity.io/cred-type': 'git' } },
      stringData: {
        repoURL: 'https://github.com/acme/.*',
        repoURLIsRegex: 'true',
        username: 'bot',
        password: 'tok-123',
      },
    });
  });

  it('creates generic credentials from literals', async () => {
    api.on('POST', '/api/v1/apply', created('Secret', 'shop', 'slack'));
    const r = await ferry([
      'create',
      'credentials',
      'slack',
      '-p',
      'shop',
      '--type',
      'generic',
      '--from-literal',
      'token=a=b',
    ]);
    assert.equal(r.code, 0, r.err);
    const body = api.requests[0]?.body as { manifests: string };
    assert.deepEqual((parse(body.manifests) as { stringData: unknown }).stringData, { token: 'a=b' });
  });

  it('refuses bad arguments with one line each, sending nothing', async () => {
    const cases: Array<[string[], string]> = [
      [
        ['create', 'stage', 'x'],
        'cannot create "stage": create project, credentials or freight, or -f FILE for the rest',
      ],
      [['create', 'project'], 'a name is required: ferry create project NAME'],
      [['create', 'project', 'Shop'], '"Shop" is not a valid name'],
      [
        ['create', 'credentials', 'c', '-p', 'shop', '--type', 'ssh'],
        '--type must be one of git, image, helm, generic',
      ],
      [
        ['create', 'credentials', 'c', '-p', 'shop', '--type', 'git', '--repo-url', 'u', '--username', 'b'],
        '--password-stdin is required',
      ],
      [
        ['create', 'credentials', 'c', '-p', 'shop', '--type', 'generic'],
        'generic credentials need at least one --from-literal KEY=VALUE',
      ],
    ];
    for (const [args, message] of cases) {
      const r = await ferry(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.ok(r.err.includes(message), `${args.join(' ')}: ${r.err}`);
    }
    assert.equal(api.requests.length, 0);
  });

  it('finds the kind past options and their values', () => {
    assert.equal(createKind(['-p', 'shop', 'freight', '--warehouse', 'app']), 'freight');
    assert.equal(createKind(['-f', 'x.yaml']), undefined);
    assert.equal(createKind(['--project=shop', 'Project', 'x']), 'project');
  });
});
