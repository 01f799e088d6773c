import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ImageSubscription, ValidationError, type Warehouse } from '@ferry/contracts';
import { parseManifests } from './manifest.ts';

const warehouse = (minimumAge: string) =>
  `apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata: { name: app, namespace: shop }\n` +
  `spec:\n  subscriptions:\n  - image: { repoURL: ghcr.io/acme/app, minimumAge: ${minimumAge} }\n`;

const imageSub = (minimumAge: string): ImageSubscription => {
  const { resources } = parseManifests(warehouse(minimumAge), { knownProjects: new Set(['shop']) });
  return (resources[0]!.resource as Warehouse).spec.subscriptions[0]!.image!;
};

test('minimumAge is read as a Go duration and normalised; zero means none', () => {
  assert.equal(imageSub('24h').minimumAge, '24h0m0s');
  assert.equal(imageSub('"1h30m"').minimumAge, '1h30m0s');
  assert.equal(imageSub('90s').minimumAge, '1m30s');
  assert.equal('minimumAge' in imageSub('0s'), false);
});

test('a bad minimumAge names its path and the form it must take', () => {
  for (const bad of ['1d', '5', '-1h', 'soon', '[1h]']) {
    assert.throws(
      () => parseManifests(warehouse(bad), { knownProjects: new Set(['shop']) }),
      (e: unknown) => {
        assert.ok(e instanceof ValidationError, String(e));
        assert.deepEqual(
          e.problems.map(
            (p) => `${p.path.replace(/^document 1 \(Warehouse "app", line \d+\): /, '')}: ${p.message}`,
          ),
          [
            '/spec/subscriptions/0/image/minimumAge: must be a duration in hours, minutes and seconds, like "24h" or "1h30m"',
          ],
        );
        return true;
      },
      bad,
    );
  }
});
