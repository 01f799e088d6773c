import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';

test('FERRY_AUTH defaults to token; none turns it off; anything else is refused', () => {
  assert.equal(loadConfig({}).auth, 'token');
  assert.equal(loadConfig({}).bootstrapAdminToken, undefined);
  assert.equal(loadConfig({ FERRY_AUTH: 'none' }).auth, 'none');
  assert.equal(loadConfig({ FERRY_BOOTSTRAP_ADMIN_TOKEN: 'ferry_x' }).bootstrapAdminToken, 'ferry_x');
  assert.throws(
    () => loadConfig({ FERRY_AUTH: 'oidc' }),
    (err: Error & { details?: unknown }) => {
      assert.deepEqual(err.details, {
        problems: [{ path: 'FERRY_AUTH', message: 'must be "token" or "none"' }],
      });
      return true;
    },
  );
});
