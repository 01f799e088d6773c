import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChartSubscription, Warehouse } from '@ferry/contracts';
import { freightId } from '@ferry/kargo';
import { discoverWarehouse } from './discover.ts';
import {
  chartVersionsFromIndex,
  HelmDiscoveryError,
  helmDiscoverer,
  indexURL,
  memoryHelmMemo,
  selectChartVersions,
} from './helm.ts';

test('index versions: loose SemVer, constraint, newest first, limit; non-SemVer ignored', () => {
  const versions = ['1.2.0', 'v1.10.0', '1.9', 'latest', '2.0.0-rc.1', '2.0.0', '1.2.0+build.7', '0.9.0'];
  const cases: Array<[string, { semverConstraint?: string; discoveryLimit: number }, string[]]> = [
    [
      'no constraint',
      { discoveryLimit: 20 },
      ['2.0.0', '2.0.0-rc.1', 'v1.10.0', '1.9', '1.2.0+build.7', '1.2.0', '0.9.0'],
    ],
    [
      'caret range',
      { semverConstraint: '^1.2', discoveryLimit: 20 },
      ['v1.10.0', '1.9', '1.2.0+build.7', '1.2.0'],
    ],
    ['Masterminds comma syntax', { semverConstraint: '>= 1.9, < 2', discoveryLimit: 20 }, ['v1.10.0', '1.9']],
    [
      'prerelease only when the constraint names one',
      { semverConstraint: '>= 2.0.0-0', discoveryLimit: 20 },
      ['2.0.0', '2.0.0-rc.1'],
    ],
    ['limit', { discoveryLimit: 2 }, ['2.0.0', '2.0.0-rc.1']],
    ['nothing satisfies', { semverConstraint: '^3', discoveryLimit: 20 }, []],
  ];
  for (const [name, sub, want] of cases)
    assert.deepEqual(selectChartVersions(versions, sub, 'index'), want, name);
});

test('OCI tags: strict SemVer only, `_` read as `+`, no leading v', () => {
  const tags = ['1.0.0', '1.1.0_build.2', 'v1.2.0', '1.3', 'latest', 'sha256-abc.sig', '1.1.0'];
  assert.deepEqual(selectChartVersions(tags, { discoveryLimit: 20 }, 'oci'), [
    '1.1.0+build.2',
    '1.1.0',
    '1.0.0',
  ]);
});

test('an index is read with every scalar a string; a non-index is refused with what to do', () => {
  const text = `apiVersion: v1
entries:
  app:
  - version: 1.10
    digest: abc
  - version: "1.9.0"
  db: []
generated: "2026-01-01T00:00:00Z"
`;
  assert.deepEqual(chartVersionsFromIndex(text, 'https://c.example/index.yaml'), {
    app: ['1.10', '1.9.0'],
    db: [],
  });
  assert.throws(() => chartVersionsFromIndex('<html>not found</html>', 'https://c.example/index.yaml'), {
    message:
      'https://c.example/index.yaml has no "entries" map, so it is not a Helm repository index; check repoURL points at a Helm chart repository',
  });
  assert.throws(
    () => chartVersionsFromIndex('entries: [\n', 'https://c.example/index.yaml'),
    (e: unknown) => {
      assert.ok(e instanceof HelmDiscoveryError);
      assert.equal(e.code, 'FERRY_ERR_HELM_BAD_INDEX');
      assert.match(e.message, /^https:\/\/c\.example\/index\.yaml is not valid YAML \(.+\); check repoURL/);
      return true;
    },
  );
});

test('indexURL appends index.yaml after one trailing slash is dropped', () => {
  assert.equal(indexURL('https://c.example/charts/'), 'https://c.example/charts/index.yaml');
  assert.equal(indexURL('https://c.example'), 'https://c.example/index.yaml');
});

/** A hand-written fetch answering from a script, recording what was asked. */
function fakeFetch(answer: (headers: Headers) => Response) {
  const calls: Array<{ url: string; headers: Headers }> = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    calls.push({ url: String(input), headers });
    return answer(headers);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const INDEX =
  'apiVersion: v1\nentries:\n  app:\n  - version: 1.0.0\n  - version: 1.1.0\n  db:\n  - version: 2.0.0\n';
const noRegistry = { listTags: async () => assert.fail('no OCI here') };

test('a conditional GET reuses the versions of an unchanged index; credentials go as basic auth', async () => {
  const { fetch, calls } = fakeFetch((h) =>
    h.get('if-none-match') === '"v1"'
      ? new Response(null, { status: 304 })
      : new Response(INDEX, { headers: { etag: '"v1"', 'last-modified': 'Wed, 01 Jan 2026 00:00:00 GMT' } }),
  );
  const events: string[] = [];
  const discover = helmDiscoverer({
    registry: noRegistry,
    memo: memoryHelmMemo(),
    fetch,
    credentials: async (url) => (url === 'https://c.example' ? { username: 'u', password: 'p' } : undefined),
    onIndex: (e) => events.push(`${e.status} ${e.parsed}`),
  });
  const sub = { repoURL: 'https://c.example', name: 'app', discoveryLimit: 20 };
  assert.deepEqual(await discover(sub), ['1.1.0', '1.0.0']);
  assert.deepEqual(await discover(sub), ['1.1.0', '1.0.0']);
  assert.deepEqual(await discover({ ...sub, name: 'db' }), ['2.0.0']);
  assert.deepEqual(events, ['200 true', '304 false', '304 false']);
  assert.equal(calls[0]?.url, 'https://c.example/index.yaml');
  assert.equal(calls[0]?.headers.get('if-none-match'), null);
  assert.equal(calls[1]?.headers.get('if-none-match'), '"v1"');
  assert.equal(calls[1]?.headers.get('if-modified-since'), 'Wed, 01 Jan 2026 00:00:00 GMT');
  assert.equal(calls[1]?.headers.get('authorization'), `Basic ${Buffer.from('u:p').toString('base64')}`);
});

test('subscriptions of one index asked at once share one request', async () => {
  const { fetch, calls } = fakeFetch(() => new Response(INDEX));
  const discover = helmDiscoverer({ registry: noRegistry, fetch });
  const [a, d] = await Promise.all([
    discover({ repoURL: 'https://c.example/', name: 'app', discoveryLimit: 1 }),
    discover({ repoURL: 'https://c.example/', name: 'db', discoveryLimit: 20 }),
  ]);
  assert.deepEqual([a, d], [['1.1.0'], ['2.0.0']]);
  assert.equal(calls.length, 1);
});

test('chart discovery errors say what is wrong and what to do', async () => {
  const cases: Array<[string, Response | Error, string]> = [
    [
      'missing chart',
      new Response(INDEX),
      'chart "web" is not in https://c.example/index.yaml (it has 2: app, db); check the subscription\'s name',
    ],
    [
      'auth needed',
      new Response('no', { status: 401 }),
      'GET https://c.example/index.yaml answered HTTP 401: the repository needs credentials and none were found for it',
    ],
    [
      'no index',
      new Response('no', { status: 404 }),
      'GET https://c.example/index.yaml answered HTTP 404: there is no index.yaml there; check repoURL',
    ],
    [
      'unreachable',
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      'cannot reach https://c.example/index.yaml (ECONNREFUSED); check repoURL and that the repository is up',
    ],
  ];
  for (const [name, answer, message] of cases) {
    const fetch = (async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    }) as typeof globalThis.fetch;
    const discover = helmDiscoverer({ registry: noRegistry, fetch });
    await assert.rejects(
      discover({ repoURL: 'https://c.example', name: 'web', discoveryLimit: 20 }),
      { message },
      name,
    );
  }
});

test('an OCI chart lists the tags of the repository named after oci://', async () => {
  const asked: string[] = [];
  const discover = helmDiscoverer({
    registry: {
      listTags: async (repo) => {
        asked.push(repo);
        return ['0.1.0', '0.2.0_1', 'main'];
      },
    },
  });
  assert.deepEqual(
    await discover({
      repoURL: 'oci://127.0.0.1:5000/charts/app',
      semverConstraint: '<1',
      discoveryLimit: 20,
    }),
    ['0.2.0+1', '0.1.0'],
  );
  assert.deepEqual(asked, ['127.0.0.1:5000/charts/app']);
});

const chartWarehouse = (subscriptions: Warehouse['spec']['subscriptions']): Warehouse => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'charts', namespace: 'demo' },
  spec: { interval: '5m0s', freightCreationPolicy: 'Automatic', subscriptions },
});
const unusedRegistry = {
  listTags: async () => assert.fail('no image'),
  resolveTag: async () => assert.fail('no image'),
  getImageInfo: async () => assert.fail('no image'),
};

test('a Warehouse with only chart subscriptions discovers Freight with charts', async () => {
  const wh = chartWarehouse([
    { chart: { repoURL: 'https://c.example', name: 'app', semverConstraint: '^1', discoveryLimit: 20 } },
    { chart: { repoURL: 'oci://r.example/charts/db', discoveryLimit: 20 } },
  ]);
  const charts = async (sub: ChartSubscription) => (sub.name === 'app' ? ['1.1.0', '1.0.0'] : ['2.0.0']);
  const now = new Date('2026-11-26T10:00:00Z');
  const r = await discoverWarehouse(wh, unusedRegistry, now, { charts });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.images, []);
  assert.deepEqual(r.charts, [
    { repoURL: 'https://c.example', name: 'app', version: '1.1.0' },
    { repoURL: 'oci://r.example/charts/db', name: '', version: '2.0.0' },
  ]);
  assert.deepEqual(r.status.discoveredArtifacts?.charts, [
    { repoURL: 'https://c.example', name: 'app', semverConstraint: '^1', versions: ['1.1.0', '1.0.0'] },
    { repoURL: 'oci://r.example/charts/db', versions: ['2.0.0'] },
  ]);
  assert.equal(
    r.status.lastFreightID,
    freightId({ origin: { kind: 'Warehouse', name: 'charts' }, charts: r.charts ?? [] }),
  );
});

test('a chart subscription without a candidate fails with what to do', async () => {
  const wh = chartWarehouse([
    { chart: { repoURL: 'https://c.example', name: 'app', semverConstraint: '^3', discoveryLimit: 20 } },
    { chart: { repoURL: 'oci://r.example/charts/db', discoveryLimit: 20 } },
    { chart: { repoURL: 'https://c.example', name: 'gone', discoveryLimit: 20 } },
  ]);
  const charts = async (sub: ChartSubscription) => {
    if (sub.name === 'gone') throw new Error('chart "gone" is not in https://c.example/index.yaml');
    return [];
  };
  const r = await discoverWarehouse(wh, unusedRegistry, new Date(), { charts });
  assert.equal(r.charts, undefined);
  assert.equal(r.status.lastFreightID, undefined);
  assert.deepEqual(r.errors, [
    'subscription 0 (https://c.example): no version of chart app in https://c.example satisfies constraint "^3"; publish a matching version or change the constraint',
    'subscription 1 (oci://r.example/charts/db): chart oci://r.example/charts/db has no SemVer version; publish one (like 1.0.0)',
    'subscription 2 (https://c.example): chart "gone" is not in https://c.example/index.yaml',
  ]);
  const none = await discoverWarehouse(wh, unusedRegistry, new Date());
  assert.match(none.errors[0] ?? '', /chart discovery is not configured in this warehouse-poller$/);
});
