import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { run } from './cli.ts';
import { parseChartArg, parseCommitArg, parseCreateFreight, parseImageArg } from './create.ts';
import { UsageError } from './errors.ts';
import { apiError, captureIo, type FakeApi, startFakeApi } from './fake-api.ts';

const D = `sha256:${'a'.repeat(64)}`;
const ID = 'b'.repeat(40);

const usageMessage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  assert.fail('expected a UsageError');
};

describe('ferry create freight: arguments', () => {
  it('reads --image, --commit and --chart', () => {
    const cases: Array<[() => unknown, unknown]> = [
      [() => parseImageArg('ghcr.io/acme/app:1.2.0'), { repoURL: 'ghcr.io/acme/app', tag: '1.2.0' }],
      [() => parseImageArg('localhost:5000/app:v1'), { repoURL: 'localhost:5000/app', tag: 'v1' }],
      [() => parseImageArg(`localhost:5000/app@${D}`), { repoURL: 'localhost:5000/app', digest: D }],
      [() => parseImageArg(`nginx:1.27@${D}`), { repoURL: 'nginx', tag: '1.27', digest: D }],
      [
        () => parseCommitArg('https://github.com/acme/config.git@3f2a9c1'),
        { repoURL: 'https://github.com/acme/config.git', id: '3f2a9c1' },
      ],
      [
        () => parseCommitArg('git@github.com:acme/config.git@3f2a9c1'),
        { repoURL: 'git@github.com:acme/config.git', id: '3f2a9c1' },
      ],
      [
        () => parseCommitArg('https://github.com/acme/config.git#v1.0.0'),
        { repoURL: 'https://github.com/acme/config.git', tag: 'v1.0.0' },
      ],
      [
        () => parseChartArg('oci://ghcr.io/acme/charts/app:0.8.0'),
        { repoURL: 'oci://ghcr.io/acme/charts/app', version: '0.8.0' },
      ],
      [
        () => parseChartArg('https://charts.example.com/stable/app:1.0.0'),
        { repoURL: 'https://charts.example.com/stable', name: 'app', version: '1.0.0' },
      ],
    ];
    for (const [fn, want] of cases) assert.deepEqual(fn(), want);
  });

  it('refuses bad arguments with messages that say what to write', () => {
    const cases: Array<[() => unknown, string]> = [
      [
        () => parseImageArg('ghcr.io/acme/app'),
        '--image "ghcr.io/acme/app" has neither a tag nor a digest; write REPO:TAG, REPO@sha256:DIGEST or REPO:TAG@sha256:DIGEST',
      ],
      [
        () => parseImageArg('app@sha256:xyz'),
        '--image "app@sha256:xyz" has a digest that is not sha256: and 64 hex digits; write REPO:TAG, REPO@sha256:DIGEST or REPO:TAG@sha256:DIGEST',
      ],
      [
        () => parseCommitArg('https://github.com/acme/config.git'),
        '--commit "https://github.com/acme/config.git" needs REPO@SHA (7 to 64 lowercase hex digits) or REPO#TAG',
      ],
      [() => parseCommitArg('repo#'), '--commit "repo#" has an empty tag after #'],
      [
        () => parseChartArg('oci://ghcr.io/acme/charts/app'),
        '--chart "oci://ghcr.io/acme/charts/app" needs a version: write REPO[/NAME]:VERSION',
      ],
      [
        () => parseChartArg('charts/app:1.0'),
        '--chart "charts/app:1.0" must be oci://HOST/PATH/CHART:VERSION or https://HOST/PATH/NAME:VERSION',
      ],
      [() => parseCreateFreight([], {}), 'what to create is required: freight'],
      [() => parseCreateFreight(['stage'], {}), 'cannot create "stage": only freight can be created'],
      [
        () => parseCreateFreight(['freight'], {}),
        'a Project is required: pass -p PROJECT or set FERRY_PROJECT',
      ],
      [() => parseCreateFreight(['freight', '-p', 'shop'], {}), '--warehouse NAME is required'],
      [
        () => parseCreateFreight(['freight', '-p', 'shop', '--warehouse', 'app', '-o', 'wide'], {}),
        'unknown output format "wide": use name, json, yaml or jsonpath=TEMPLATE',
      ],
    ];
    for (const [fn, message] of cases) assert.equal(usageMessage(fn), message);
  });

  it('builds the request body; FERRY_PROJECT stands in for -p', () => {
    assert.deepEqual(
      parseCreateFreight(
        ['freight', '--warehouse', 'app', '--image', 'r.io/app:1', '--image', 'r.io/web:2'],
        {
          FERRY_PROJECT: 'shop',
        },
      ),
      {
        project: 'shop',
        output: 'name',
        body: {
          origin: { kind: 'Warehouse', name: 'app' },
          images: [
            { repoURL: 'r.io/app', tag: '1' },
            { repoURL: 'r.io/web', tag: '2' },
          ],
        },
      },
    );
  });
});

describe('ferry create freight: against the API', () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi();
  });
  after(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
  });
  const freight = { metadata: { name: ID }, alias: 'wild-otter', images: [] };

  it('prints the name and alias, saying whether it was made now', async () => {
    for (const [status, verb] of [
      [201, 'created'],
      [200, 'already exists'],
    ] as const) {
      api.on('POST', '/api/v1/projects/shop/freight', { status, body: freight });
      const c = captureIo({ env: { FERRY_SERVER: api.url } });
      const code = await run(['create', 'freight', '-p', 'shop', '--warehouse', 'app'], c.io);
      assert.deepEqual([code, c.stdout(), c.stderr()], [0, `freight ${ID} (alias wild-otter) ${verb}\n`, '']);
    }
    assert.deepEqual(api.requests[0]?.body, { origin: { kind: 'Warehouse', name: 'app' } });
  });

  it('shows the API refusal and exits 1', async () => {
    api.on('POST', '/api/v1/projects/shop/freight', {
      status: 422,
      body: apiError(422, 'FERRY_ERR_ARTIFACT_NOT_DISCOVERED', 'image r.io/app:9 is not among ...'),
    });
    const c = captureIo({ env: { FERRY_SERVER: api.url } });
    const code = await run(
      ['create', 'freight', '-p', 'shop', '--warehouse', 'app', '--image', 'r.io/app:9'],
      c.io,
    );
    assert.equal(code, 1);
    assert.equal(
      c.stderr(),
      'error: image r.io/app:9 is not among ... (FERRY_ERR_ARTIFACT_NOT_DISCOVERED)\n',
    );
  });
});
