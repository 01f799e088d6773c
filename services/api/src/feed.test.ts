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
