import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noticesFor } from './feed.ts';

test('facts map to the resources they change', () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['ferry.v1.freight.created.p', { project: 'p', freight: 'f1' }, ['freight/f1']],
    ['ferry.v1.freight.rejected.p', { project: 'p', freight: 'f1', stage: '*' }, ['freight/f1']],
    [
      'ferry.v1.promotion.changed.p',
      { project: 'p', promotion: 'dev.x.f', stage: 'dev' },
      ['promotions/dev.x.f', 'stages/dev'],
    ],
    ['ferry.v1.warehouse.discovered.p', { project: 'p', warehouse: 'app' }, ['warehouses/app']],
    [
      'ferry.v1.stage.health.p',
      { project: 'p', stage: 'uat', status: 'Unhealthy', previous: 'Healthy', issues: ['x'], at: 't' },
      ['stages/uat'],
    ],
    [
      'ferry.v1.definition.applied.p',
      {
        project: 'p',
        resources: [
          { kind: 'Project', name: 'p' },
          { kind: 'Stage', name: 'uat' },
          { kind: 'ProjectConfig', name: 'p' },
        ],
      },
      ['projects/p', 'stages/uat'],
    ],
    [
      'ferry.v1.definition.deleted.p',
      {
        project: 'p',
        resources: [
          { kind: 'Promotion', name: 'dev.x.f' },
          { kind: 'Freight', name: 'f1' },
          { kind: 'Stage', name: 'dev' },
          { kind: 'Warehouse', name: 'app' },
          { kind: 'Secret', name: 's' },
          { kind: 'Project', name: 'p' },
        ],
      },
      ['promotions/dev.x.f', 'freight/f1', 'stages/dev', 'warehouses/app', 'projects/p'],
    ],
    ['ferry.v1.git.written.p', { project: 'p', writeId: 'x/3' }, []],
    ['ferry.v1.freight.created.p', { freight: 'no-project' }, []],
  ];
  for (const [subject, payload, want] of cases) {
    assert.deepEqual(
      noticesFor(subject, payload).map((n) => `${n.kind}/${n.name}`),
      want,
      subject,
    );
  }
});
