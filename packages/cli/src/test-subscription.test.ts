import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { run } from './cli.ts';
import { UsageError } from './errors.ts';
import { captureIo, type FakeApi, startFakeApi } from './fake-api.ts';
import { parseTestSubscription, type TestSubscriptionAnswer } from './test-subscription.ts';

const D = `sha256:${'a'.repeat(64)}`;
const URL_PATH = '/api/v1/projects/shop/subscriptions/test';

const usageMessage = (args: string[]): string => {
  try {
    parseTestSubscription(args, {});
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  assert.fail('expected a UsageError');
};

describe('ferry test subscription: arguments', () => {
  it('refuses what cannot be tested, saying what to give', () => {
    const cases: Array<[string[], string]> = [
      [[], 'what to test is required: subscription'],
      [['stage'], 'cannot test "stage": only subscriptions can be tested'],
      [['subscription'], 'a Project is required: pass -p PROJECT or set FERRY_PROJECT'],
      [
        ['subscription', '-p', 'shop'],
        'give what to test: -f WAREHOUSE.yaml, --image REPO, --git URL or --chart URL',
      ],
      [
        ['subscription', '-p', 'shop', '--image', 'a', '--git', 'b'],
        'give only one of -f, --image, --git and --chart',
      ],
      [
        ['subscription', '-p', 'shop', '-f', 'w.yaml', '--strategy', 'Lexical'],
        '--strategy goes with --image, --git or --chart; with -f the file says everything',
      ],
      [['subscription', '-p', 'shop', '--image', 'a', '--name', 'app'], '--name goes with --chart'],
      [
        ['subscription', '-p', 'shop', '--chart', 'oci://r/c', '--platform', 'linux/amd64'],
        '--platform does not apply to --chart',
      ],
      [
        ['subscription', '-p', 'shop', '--image', 'a', '--branch', 'main'],
        '--branch goes with --git, not --image',
      ],
      [
        ['subscription', '-p', 'shop', '--git', 'https://g/x', '--platform', 'linux/amd64'],
        '--platform goes with --image, not --git',
      ],
      [
        ['subscription', '-p', 'shop', '--image', 'a', '--discovery-limit', '101'],
        '--discovery-limit must be a whole number from 1 to 100, got "101"',
      ],
      [
        ['subscription', '-p', 'shop', '--image', 'a', '-o', 'wide'],
        'unknown output format "wide": use table, json, yaml or jsonpath=TEMPLATE',
      ],
    ];
    for (const [args, message] of cases) assert.equal(usageMessage(args), message);
  });

  it('turns chart flags into a chart subscription', () => {
    assert.deepEqual(
      parseTestSubscription(
        [
          'subscription',
          '--chart',
          'https://charts.example.com',
          '--name',
          'app',
          '--constraint',
          '^2',
          '--discovery-limit',
          '5',
        ],
        { FERRY_PROJECT: 'shop' },
      ),
      {
        project: 'shop',
        spec: {
          subscriptions: [
            {
              chart: {
                repoURL: 'https://charts.example.com',
                name: 'app',
                semverConstraint: '^2',
                discoveryLimit: 5,
              },
            },
          ],
        },
        output: 'table',
      },
    );
  });

  it('turns flags into a Kargo Warehouse spec', () => {
    assert.deepEqual(
      parseTestSubscription(
        [
          'subscription',
          '--image',
          'ghcr.io/acme/app',
          '--strategy',
          'NewestBuild',
          '--constraint',
          '^1.0',
          '--platform',
          'linux/amd64',
          '--allow-tags',
          '^v',
          '--ignore-tags',
          'rc',
          '--discovery-limit',
          '5',
        ],
        { FERRY_PROJECT: 'shop' },
      ),
      {
        project: 'shop',
        output: 'table',
        spec: {
          subscriptions: [
            {
              image: {
                repoURL: 'ghcr.io/acme/app',
                imageSelectionStrategy: 'NewestBuild',
                constraint: '^1.0',
                platform: 'linux/amd64',
                allowTagsRegexes: ['^v'],
                ignoreTagsRegexes: ['rc'],
                discoveryLimit: 5,
              },
            },
          ],
        },
      },
    );
    assert.deepEqual(
      parseTestSubscription(
        ['sub', '-p', 'shop', '--git', 'https://g/x.git', '--branch', 'main', '-o', 'json'],
        {},
      ),
      {
        project: 'shop',
        output: 'json',
        spec: { subscriptions: [{ git: { repoURL: 'https://g/x.git', branch: 'main' } }] },
      },
    );
  });
});

describe('ferry test subscription: against the API', () => {
  let api: FakeApi;
  let dir: string;
  before(async () => {
    api = await startFakeApi();
    dir = await mkdtemp(join(tmpdir(), 'ferry-cli-test-sub-'));
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    api.requests.length = 0;
  });

  const answer: TestSubscriptionAnswer = {
    warehouse: 'app',
    warnings: [],
    freight: 'c'.repeat(40),
    subscriptions: [
      {
        index: 0,
        kind: 'image',
        repoURL: 'r.io/app',
        picked: { tag: '1.2.0', digest: D, createdAt: '2026-01-02T00:00:00Z' },
        candidates: [{ tag: '1.2.0', digest: D, createdAt: '2026-01-02T00:00:00Z' }, { tag: '1.1.0' }],
      },
      {
        index: 1,
        kind: 'git',
        repoURL: 'https://g/x.git',
        picked: { id: 'd'.repeat(40), branch: 'main', subject: 'fix', creatorDate: '2026-01-03T00:00:00Z' },
        candidates: [
          { id: 'd'.repeat(40), branch: 'main', subject: 'fix', creatorDate: '2026-01-03T00:00:00Z' },
        ],
      },
    ],
  };

  it('sends the file and prints each subscription’s pick and ranked candidates', async () => {
    const file = join(dir, 'warehouse.yaml');
    await writeFile(file, 'kind: Warehouse\n');
    api.on('POST', URL_PATH, { status: 200, body: answer });
    const c = captureIo({ env: { FERRY_SERVER: api.url } });
    const code = await run(['test', 'subscription', '-p', 'shop', '-f', file], c.io);
    assert.equal(code, 0, c.stderr());
    assert.deepEqual(api.requests[0]?.body, { manifest: 'kind: Warehouse\n' });
    assert.equal(
      c.stdout(),
      [
        'subscription 0: image r.io/app: picks 1.2.0',
        '#   TAG     DIGEST                                                                    CREATED',
        `1   1.2.0   ${D}   2026-01-02T00:00:00Z`,
        '2   1.1.0   <none>                                                                    <none>',
        '',
        'subscription 1: git https://g/x.git: picks ddddddd',
        '#   COMMIT         TAG      BRANCH   DATE                   SUBJECT',
        '1   dddddddddddd   <none>   main     2026-01-03T00:00:00Z   fix',
        '',
        `Freight of these picks: ${'c'.repeat(40)} (nothing was made; "ferry create freight" makes it)`,
        '',
      ].join('\n'),
    );
  });

  it('exits 1 when a subscription found nothing, showing why', async () => {
    api.on('POST', URL_PATH, {
      status: 200,
      body: {
        warehouse: 'test',
        warnings: [],
        subscriptions: [
          { index: 0, kind: 'image', repoURL: 'r.io/app', candidates: [], error: 'no tag among 3 matches' },
        ],
      },
    });
    const c = captureIo({ env: { FERRY_SERVER: api.url } });
    const code = await run(
      ['test', 'subscription', '-p', 'shop', '--image', 'r.io/app', '-o', 'table'],
      c.io,
    );
    assert.equal(code, 1);
    assert.equal(
      c.stdout(),
      'subscription 0: image r.io/app: found nothing: no tag among 3 matches\n\nNo Freight: a subscription found nothing.\n',
    );
    assert.deepEqual(api.requests[0]?.body, {
      spec: { subscriptions: [{ image: { repoURL: 'r.io/app' } }] },
    });
  });
});
