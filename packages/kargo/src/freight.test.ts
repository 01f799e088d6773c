import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { aliasWords, type FreightContent, freightAlias, freightId } from './freight.ts';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;
const app = { kind: 'Warehouse', name: 'app' } as const;

/** Kargo's recipe, written out independently: sha1 hex of `<kind>/<name>:` + sorted parts joined by `|`. */
const kargoId = (origin: string, parts: string[]) =>
  createHash('sha1')
    .update(`${origin}:${[...parts].sort().join('|')}`)
    .digest('hex');

test('freightId is the id Kargo computes', () => {
  // [case, content, the hash parts Kargo builds for it (already normalised by hand)]
  const cases: Array<[string, FreightContent, string[]]> = [
    ['no artifacts', { origin: app }, []],
    [
      'one image',
      { origin: app, images: [{ repoURL: 'ghcr.io/acme/app', tag: '1.2.3', digest: D1 }] },
      [`ghcr.io/acme/app:1.2.3@${D1}`],
    ],
    [
      'image repo URLs are used as written',
      { origin: app, images: [{ repoURL: 'docker.io/library/nginx', tag: 'latest', digest: D2 }] },
      [`docker.io/library/nginx:latest@${D2}`],
    ],
    [
      'commit with and without tag, URL normalised',
      {
        origin: app,
        commits: [
          { repoURL: 'https://GitHub.com/acme/config.git/', id: 'abc123' },
          { repoURL: 'git@github.com:acme/other.git', id: 'def456', tag: 'v1.0.0' },
        ],
      },
      ['https://github.com/acme/config:abc123', 'ssh://git@github.com/acme/other:v1.0.0:def456'],
    ],
    [
      'charts: classic repo joined with the name, OCI repo without',
      {
        origin: app,
        charts: [
          { repoURL: 'https://Charts.Example.com/', name: 'nginx', version: '1.0.0' },
          { repoURL: 'oci://ghcr.io/acme/charts/app', name: '', version: '0.1.0' },
          { repoURL: 'oci://docker.io/acme/charts', name: 'web', version: '2.0.0' },
        ],
      },
      ['https:/charts.example.com/nginx:1.0.0', 'ghcr.io/acme/charts/app:0.1.0', 'acme/charts/web:2.0.0'],
    ],
    [
      'everything at once',
      {
        origin: { kind: 'Warehouse', name: 'platform' },
        images: [{ repoURL: 'ghcr.io/acme/app', tag: '1.2.3', digest: D1 }],
        commits: [{ repoURL: 'https://github.com/acme/config', id: 'abc123' }],
        charts: [{ repoURL: 'oci://ghcr.io/acme/charts/app', name: '', version: '0.1.0' }],
      },
      [
        `ghcr.io/acme/app:1.2.3@${D1}`,
        'https://github.com/acme/config:abc123',
        'ghcr.io/acme/charts/app:0.1.0',
      ],
    ],
  ];
  for (const [name, content, parts] of cases) {
    assert.equal(freightId(content), kargoId(`Warehouse/${content.origin.name}`, parts), name);
  }
});

test('freightId: a known value, and artifact order does not matter', () => {
  const one = { repoURL: 'ghcr.io/acme/app', tag: '1.2.3', digest: D1 };
  assert.equal(freightId({ origin: app, images: [one] }), '1dd065d98e4d6b239e1b8da07a8adff93662f336');
  const two = { repoURL: 'ghcr.io/acme/web', tag: '2.0.0', digest: D2 };
  assert.equal(
    freightId({ origin: app, images: [one, two] }),
    freightId({ origin: app, images: [two, one] }),
  );
  assert.notEqual(
    freightId({ origin: app, images: [one] }),
    freightId({ origin: { ...app, name: 'b' }, images: [one] }),
  );
  assert.notEqual(
    freightId({ origin: app, images: [one] }),
    freightId({ origin: app, images: [{ ...one, digest: D2 }] }),
  );
});

test('freightAlias is readable, deterministic and avoids taken aliases', () => {
  const id = freightId({ origin: app });
  const first = freightAlias(id, () => false);
  assert.match(first, /^[a-z]+-[a-z]+$/);
  assert.equal(
    freightAlias(id, () => false),
    first,
  );
  const [adjective, animal] = first.split('-');
  assert.ok(aliasWords.adjectives.includes(adjective!) && aliasWords.animals.includes(animal!));

  const taken = new Set([first]);
  const second = freightAlias(id, (a) => taken.has(a));
  assert.notEqual(second, first);
  assert.equal(
    freightAlias(id, (a) => taken.has(a)),
    second,
  );

  // When every rehash is taken, the first alias is numbered.
  assert.equal(
    freightAlias(id, (a) => !/-\d+$/.test(a)),
    `${first}-2`,
  );
  assert.equal(
    freightAlias(id, (a) => !a.endsWith('-3')),
    `${first}-3`,
  );
});

test('alias word lists: about a hundred distinct lowercase words each', () => {
  for (const list of [aliasWords.adjectives, aliasWords.animals]) {
    assert.ok(list.length >= 100, String(list.length));
    assert.equal(new Set(list).size, list.length);
    for (const w of list) assert.match(w, /^[a-z]+$/);
  }
  const ids = Array.from({ length: 200 }, (_, i) =>
    freightId({ origin: { kind: 'Warehouse', name: `w${i}` } }),
  );
  assert.ok(new Set(ids.map((id) => freightAlias(id, () => false))).size > 150);
});
