import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasRole, type Principal, requirementFor } from './roles.ts';

test('requirementFor maps routes to the role they need', () => {
  const cases: [string, string | undefined, Record<string, string>, unknown][] = [
    ['GET', '/healthz', {}, { kind: 'public' }],
    ['GET', '/api/v1/openapi.json', {}, { kind: 'public' }],
    ['POST', '/webhook/:provider/:hash', {}, { kind: 'public' }],
    ['GET', undefined, {}, { kind: 'public' }],
    ['GET', '/api/v1/projects', {}, { kind: 'authenticated' }],
    [
      'GET',
      '/api/v1/projects/:project/stages',
      { project: 'a' },
      { kind: 'project', project: 'a', role: 'viewer' },
    ],
    [
      'GET',
      '/api/v1/projects/:project/audit',
      { project: 'a' },
      { kind: 'project', project: 'a', role: 'admin' },
    ],
    [
      'POST',
      '/api/v1/projects/:project/promotions',
      { project: 'a' },
      { kind: 'project', project: 'a', role: 'promoter' },
    ],
    [
      'POST',
      '/api/v1/projects/:project/promotions/dry-run',
      { project: 'a' },
      { kind: 'project', project: 'a', role: 'promoter' },
    ],
    [
      'POST',
      '/api/v1/projects/:project/stages/:name/rollback',
      { project: 'a' },
      { kind: 'project', project: 'a', role: 'promoter' },
    ],
    [
      'POST',
      '/api/v1/projects/:project/something-new',
      { project: 'a' },
      { kind: 'project', project: 'a', role: 'admin' },
    ],
    ['DELETE', '/api/v1/projects/:project', { project: 'a' }, { kind: 'system' }],
    ['GET', '/api/v1/tokens', {}, { kind: 'system' }],
    ['POST', '/api/v1/apply', {}, { kind: 'apply' }],
  ];
  for (const [method, url, params, want] of cases) {
    assert.deepEqual(requirementFor(method, url, params), want, `${method} ${url}`);
  }
});

test('roles include the weaker ones; the system admin holds every role everywhere', () => {
  const promoter: Principal = { name: 't', subject: 't', roles: [{ project: 'a', role: 'promoter' }] };
  const sys: Principal = { name: 's', subject: 's', roles: [{ role: 'admin' }] };
  assert.equal(hasRole(promoter, 'a', 'viewer'), true);
  assert.equal(hasRole(promoter, 'a', 'promoter'), true);
  assert.equal(hasRole(promoter, 'a', 'admin'), false);
  assert.equal(hasRole(promoter, 'b', 'viewer'), false);
  assert.equal(hasRole(sys, 'b', 'admin'), true);
});
