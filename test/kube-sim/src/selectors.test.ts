import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.ts';

describe('parseLabelSelector', () => {
  const labels = { app: 'web', tier: 'frontend', 'example.com/team': 'a', n: '5' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web, api)', true],
    ['app in (db)', false],
    ['app notin (db,cache)', true],
    ['missing notin (db)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['example.com/team=a', true],
    ['app=web,tier in (frontend,backend),!missing', true],
    ['app=web,tier=backend', false],
    ['n>3', true],
    ['n<3', false],
    ['missing>3', false],
  ];
  for (const [selector, want] of cases) {
    it(`${JSON.stringify(selector)} → ${want}`, () =>
      assert.equal(parseLabelSelector(selector)(labels), want));
  }
  for (const bad of ['app=we b', '=x', 'app in (a', 'n>x', 'Bad Key=x']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseLabelSelector(bad), SelectorError));
  }
});

describe('parseFieldSelector', () => {
  const fields = { 'metadata.name': 'web', 'metadata.namespace': 'argocd' };
  const cases: [string, boolean][] = [
    ['metadata.name=web', true],
    ['metadata.name==web', true],
    ['metadata.name!=web', false],
    ['metadata.name=web,metadata.namespace=argocd', true],
    ['metadata.namespace=default', false],
  ];
  for (const [selector, want] of cases) {
    it(`${selector} → ${want}`, () => assert.equal(parseFieldSelector(selector)(fields), want));
  }
  it('names an unsupported field as the API server does', () => {
    assert.throws(() => parseFieldSelector('spec.project=default'), {
      name: 'SelectorError',
      message: 'field label not supported: spec.project',
    });
  });
});
