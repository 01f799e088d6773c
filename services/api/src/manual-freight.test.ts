import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError, ValidationError, type Warehouse, type WarehouseStatus } from '@ferry/contracts';
import { requirementFor } from './auth/roles.ts';
import { chooseArtifacts, type ManualFreightBody } from './manual-freight.ts';
import { warehouseOfBody } from './routes/subscription-test.ts';

const SHA1 = 'a'.repeat(40);
const SHA2 = 'ab'.repeat(20);
const D = `sha256:${'1'.repeat(64)}`;

const wh: Warehouse = {
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'app', namespace: 'shop' },
  spec: {
    interval: '5m0s',
    freightCreationPolicy: 'Manual',
    subscriptions: [
      {
        image: {
          repoURL: 'ghcr.io/acme/app',
          imageSelectionStrategy: 'SemVer',
          strictSemvers: true,
          allowTagsRegexes: [],
          ignoreTagsRegexes: [],
          discoveryLimit: 20,
          platform: 'linux/amd64',
        },
      },
      {
        git: {
          repoURL: 'https://github.com/acme/config.git',
          commitSelectionStrategy: 'NewestFromBranch',
          strictSemvers: true,
          allowTagsRegexes: [],
          ignoreTagsRegexes: [],
          includePaths: [],
          excludePaths: [],
          discoveryLimit: 20,
        },
      },
      { chart: { repoURL: 'oci://ghcr.io/acme/charts/app', discoveryLimit: 20 } },
    ],
  },
};

const status: WarehouseStatus = {
  discoveredArtifacts: {
    discoveredAt: '2026-01-01T00:00:00Z',
    images: [{ repoURL: 'ghcr.io/acme/app', references: [{ tag: '1.2.0', digest: D }, { tag: '1.1.0' }] }],
    git: [
      {
        repoURL: 'https://github.com/acme/config.git',
        commits: [
          { id: SHA1, branch: 'main', subject: 'newest', author: 'A <a@x>' },
          { id: SHA2, branch: 'main', subject: 'older' },
        ],
      },
    ],
    charts: [{ repoURL: 'oci://ghcr.io/acme/charts/app', versions: ['0.8.0', '0.7.1'] }],
  },
};

const body = (b: Omit<ManualFreightBody, 'origin'>): ManualFreightBody => ({
  origin: { kind: 'Warehouse', name: 'app' },
  ...b,
});

const thrown = (fn: () => unknown): FerryError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof FerryError) return e;
    throw e;
  }
  assert.fail('expected an error');
};

describe('chooseArtifacts', () => {
  it('takes the best candidate of every subscription when the body names none', () => {
    assert.deepEqual(chooseArtifacts('shop', wh, status, body({})), {
      images: [{ repoURL: 'ghcr.io/acme/app', tag: '1.2.0', platform: 'linux/amd64' }],
      commits: [
        {
          repoURL: 'https://github.com/acme/config.git',
          id: SHA1,
          branch: 'main',
          message: 'newest',
          author: 'A <a@x>',
        },
      ],
      charts: [{ repoURL: 'oci://ghcr.io/acme/charts/app', name: 'app', version: '0.8.0' }],
    });
  });

  it('takes chosen artifacts matched to subscriptions by normalised repository', () => {
    const got = chooseArtifacts(
      'shop',
      wh,
      status,
      body({
        images: [{ repoURL: 'GHCR.io/acme/app', tag: '1.1.0' }],
        commits: [{ repoURL: 'https://github.com/acme/config', id: 'abababa' }],
        charts: [{ repoURL: 'oci://ghcr.io/acme/charts/app', version: '0.7.1' }],
      }),
    );
    assert.deepEqual(got.images, [{ repoURL: 'ghcr.io/acme/app', tag: '1.1.0', platform: 'linux/amd64' }]);
    assert.equal(got.commits[0]?.id, SHA2);
    assert.deepEqual(got.charts, [
      { repoURL: 'oci://ghcr.io/acme/charts/app', name: 'app', version: '0.7.1' },
    ]);
  });

  it('finds the tag of a digest discovery resolved, and keeps the digest to check', () => {
    const got = chooseArtifacts(
      'shop',
      wh,
      status,
      body({
        images: [{ repoURL: 'ghcr.io/acme/app', digest: D }],
        commits: [{ repoURL: 'https://github.com/acme/config.git', id: SHA1 }],
        charts: [{ repoURL: 'oci://ghcr.io/acme/charts/app', version: '0.8.0' }],
      }),
    );
    assert.deepEqual(got.images, [
      { repoURL: 'ghcr.io/acme/app', tag: '1.2.0', digest: D, platform: 'linux/amd64' },
    ]);
  });

  it('lists every artifact that fits no subscription and every subscription left without one (400)', () => {
    const e = thrown(() =>
      chooseArtifacts(
        'shop',
        wh,
        status,
        body({
          images: [
            { repoURL: 'ghcr.io/acme/app', tag: '1.2.0' },
            { repoURL: 'ghcr.io/acme/app', tag: '1.1.0' },
            { repoURL: 'ghcr.io/acme/web' },
          ],
          commits: [{ repoURL: 'https://github.com/acme/config.git', id: 'XYZ' }],
        }),
      ),
    );
    assert.ok(e instanceof ValidationError);
    assert.deepEqual(e.problems, [
      {
        path: '/images/1/repoURL',
        message:
          'subscription 0 (image ghcr.io/acme/app) already has an artifact at /images/0; give one artifact per subscription',
      },
      { path: '/images/2', message: 'give a tag or a digest' },
      {
        path: '/images/2/repoURL',
        message:
          'no image subscription of Warehouse "app" watches ghcr.io/acme/web; its image subscriptions: ghcr.io/acme/app',
      },
      { path: '/commits/0/id', message: 'must be a commit sha (7 to 64 lowercase hex digits)' },
      {
        path: '/charts',
        message:
          'subscription 2 (chart oci://ghcr.io/acme/charts/app) of Warehouse "app" needs one artifact: Freight holds one artifact per subscription (or give none at all to take the best of each)',
      },
    ]);
  });

  it('refuses undiscovered artifacts with 422, naming each, what was discovered and the refresh', () => {
    const e = thrown(() =>
      chooseArtifacts(
        'shop',
        wh,
        status,
        body({
          images: [{ repoURL: 'ghcr.io/acme/app', tag: '2.0.0' }],
          commits: [{ repoURL: 'https://github.com/acme/config.git', tag: 'v1' }],
          charts: [{ repoURL: 'oci://ghcr.io/acme/charts/app', version: '0.9.0' }],
        }),
      ),
    );
    assert.equal(e.code, 'FERRY_ERR_ARTIFACT_NOT_DISCOVERED');
    assert.equal(e.status, 422);
    assert.equal(
      e.message,
      'image ghcr.io/acme/app:2.0.0 is not among the artifacts Warehouse "app" discovered (1.2.0, 1.1.0); ' +
        'commit tag v1 of https://github.com/acme/config.git is not among the artifacts Warehouse "app" discovered (aaaaaaa, abababa); ' +
        'chart app version 0.9.0 from oci://ghcr.io/acme/charts/app is not among the artifacts Warehouse "app" discovered (0.8.0, 0.7.1); ' +
        'run "ferry refresh warehouse app -p shop" first if it was published since, then pick one it lists',
    );
  });

  it('says when a digest is unknown or a sha prefix is ambiguous', () => {
    const e = thrown(() =>
      chooseArtifacts(
        'shop',
        wh,
        status,
        body({
          images: [{ repoURL: 'ghcr.io/acme/app', digest: `sha256:${'2'.repeat(64)}` }],
          commits: [{ repoURL: 'https://github.com/acme/config.git', id: 'aaaaaaa' }],
          charts: [{ repoURL: 'oci://ghcr.io/acme/charts/app', version: '0.8.0' }],
        }),
      ),
    );
    assert.match(
      e.message,
      /^image ghcr.io\/acme\/app@sha256:2{64} is not among .* \(1\.2\.0, 1\.1\.0\) \(only the best candidate has a known digest: give a tag\); /,
    );
    const twoLike: WarehouseStatus = structuredClone(status);
    twoLike.discoveredArtifacts!.git![0]!.commits[1]!.id = `aaaaaaab${'c'.repeat(32)}`;
    const ambiguous = thrown(() =>
      chooseArtifacts(
        'shop',
        wh,
        twoLike,
        body({
          images: [{ repoURL: 'ghcr.io/acme/app', tag: '1.2.0' }],
          commits: [{ repoURL: 'https://github.com/acme/config.git', id: 'aaaaaaa' }],
          charts: [{ repoURL: 'oci://ghcr.io/acme/charts/app', version: '0.8.0' }],
        }),
      ),
    );
    assert.match(
      ambiguous.message,
      /^commit aaaaaaa of https:\/\/github.com\/acme\/config.git matches 2 discovered commits; give more of the sha; /,
    );
  });

  it('asks for a refresh when nothing was discovered yet', () => {
    for (const s of [undefined, {} as WarehouseStatus]) {
      const e = thrown(() => chooseArtifacts('shop', wh, s, body({})));
      assert.equal(
        e.message,
        'Warehouse "app" has discovered nothing yet; run "ferry refresh warehouse app -p shop" first, then pick among what it lists',
      );
    }
    const empty: WarehouseStatus = structuredClone(status);
    empty.discoveredArtifacts!.images[0]!.references = [];
    assert.equal(
      thrown(() => chooseArtifacts('shop', wh, empty, body({}))).message,
      'Warehouse "app" has no discovered candidate for subscription 0 (image ghcr.io/acme/app); run "ferry refresh warehouse app -p shop" first, and see its status.message for why',
    );
  });
});

describe('access and input of the routes', () => {
  it('needs the promoter role for manual Freight and subscription tests', () => {
    for (const url of ['/api/v1/projects/:project/freight', '/api/v1/projects/:project/subscriptions/test']) {
      assert.deepEqual(requirementFor('POST', url, { project: 'shop' }), {
        kind: 'project',
        project: 'shop',
        role: 'promoter',
      });
    }
  });

  it('reads one Warehouse from a manifest or a spec, and refuses anything else', () => {
    const fromSpec = warehouseOfBody('shop', {
      spec: { subscriptions: [{ image: { repoURL: 'ghcr.io/a/b' } }] },
    });
    assert.equal(fromSpec.warehouse.metadata.name, 'test');
    assert.equal(fromSpec.warehouse.spec.subscriptions[0]?.image?.discoveryLimit, 20);
    const cases: Array<[Parameters<typeof warehouseOfBody>[1], string]> = [
      [{}, 'give exactly one of "manifest" (Warehouse YAML) and "spec" (a Warehouse spec)'],
      [
        { manifest: 'apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata: { name: shop }\n' },
        'the manifest must hold exactly one Warehouse and nothing else; it holds Project "shop"',
      ],
      [
        { spec: { subscriptions: [] } },
        'the Warehouse spec is invalid: /spec/subscriptions: required: at least one subscription',
      ],
    ];
    for (const [b, message] of cases) assert.equal(thrown(() => warehouseOfBody('shop', b)).message, message);
  });
});
