import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { MessageSchemas, validate } from '@ferry/contracts';
import { freightFromDiscovery } from './core.ts';

const msg = {
  project: 'demo',
  warehouse: 'app',
  images: [{ repoURL: 'r.example/app', tag: '1.0.0', digest: `sha256:${'a'.repeat(64)}` }],
  discoveredAt: '2026-11-26T10:00:00Z',
};

test('Freight id is Kargo\u2019s content hash; the alias is stable for an id', () => {
  const f = freightFromDiscovery(msg, '2026-11-26T10:00:01Z', () => false);
  const expected = createHash('sha1')
    .update(`Warehouse/app:r.example/app:1.0.0@sha256:${'a'.repeat(64)}`)
    .digest('hex');
  assert.equal(f.metadata.name, expected);
  assert.equal(f.metadata.namespace, 'demo');
  assert.equal(f.metadata.labels?.['kargo.akuity.io/alias'], f.alias);
  assert.match(f.alias, /^[a-z]+-[a-z]+$/);
  assert.equal(
    freightFromDiscovery(msg, 'later', () => false).alias,
    f.alias,
    'a redelivery makes the same alias',
  );
  const other = freightFromDiscovery(msg, 'later', (a) => a === f.alias);
  assert.notEqual(other.alias, f.alias, 'a taken alias is skipped');
  assert.equal(other.metadata.name, f.metadata.name);
});

test('Freight carries the discovered charts, and they count in its id as Kargo counts them', () => {
  const charts = [
    { repoURL: 'oci://ghcr.io/acme/charts/db', name: '', version: '2.0.0' },
    { repoURL: 'https://charts.example.com', name: 'app', version: '1.2.3' },
  ];
  const evt = validate(MessageSchemas.FreightDiscovered, { ...msg, images: [], charts }, 'FreightDiscovered');
  const f = freightFromDiscovery(evt, '2026-11-26T10:00:01Z', () => false);
  assert.deepEqual(f.charts, charts);
  const expected = createHash('sha1')
    .update('Warehouse/app:ghcr.io/acme/charts/db:2.0.0|https:/charts.example.com/app:1.2.3')
    .digest('hex');
  assert.equal(f.metadata.name, expected);
  assert.equal(freightFromDiscovery(msg, 'now', () => false).charts.length, 0, 'none without charts');
});
