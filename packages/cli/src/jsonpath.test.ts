import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JsonPathError, parseJsonPath } from './jsonpath.ts';

// The input of the JSONPath reference page of kubernetes.io (kubectl's documented examples).
const K8S = {
  kind: 'List',
  items: [
    {
      kind: 'None',
      metadata: { name: '127.0.0.1', labels: { 'kubernetes.io/hostname': '127.0.0.1' } },
      status: {
        capacity: { cpu: '4' },
        addresses: [{ type: 'LegacyHostIP', address: '127.0.0.1' }],
      },
    },
    {
      kind: 'None',
      metadata: { name: '127.0.0.2' },
      status: {
        capacity: { cpu: '8' },
        addresses: [
          { type: 'LegacyHostIP', address: '127.0.0.2' },
          { type: 'another', address: '127.0.0.3' },
        ],
      },
    },
  ],
  users: [
    { name: 'myself', user: {} },
    { name: 'e2e', user: { username: 'admin', password: 'secret' } },
  ],
};

const run = (template: string, data: unknown = K8S) => parseJsonPath(template).execute(data);

describe("kubectl's documented examples", () => {
  const cases: [string, string][] = [
    ['kind is {.kind}', 'kind is List'],
    ['{.kind}', 'List'],
    ["{['kind']}", 'List'],
    ['{..name}', '127.0.0.1 127.0.0.2 myself e2e'],
    ['{.items[*].metadata.name}', '127.0.0.1 127.0.0.2'],
    ['{.users[0].name}', 'myself'],
    ["{.items[*]['metadata.name', 'status.capacity']}", '127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}'],
    ['{.users[?(@.name=="e2e")].user.password}', 'secret'],
    [
      '{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}',
      '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] ',
    ],
    ["{range .items[*]}{.metadata.name}{'\\t'}{end}", '127.0.0.1\t127.0.0.2\t'],
    ['{.items[0].metadata.labels.kubernetes\\.io/hostname}', '127.0.0.1'],
    ["{.items[0].metadata.labels['kubernetes\\.io/hostname']}", '127.0.0.1'],
  ];
  for (const [template, want] of cases) test(template, () => assert.equal(run(template), want));
  test('{@} is the input itself, as compact JSON', () => assert.equal(run('{@}'), JSON.stringify(K8S)));
});

describe('paths, subscripts and filters', () => {
  const data = {
    items: [
      { metadata: { name: 'a' }, status: { phase: 'Succeeded', n: 3, ok: true } },
      { metadata: { name: 'b' }, status: { phase: 'Failed', n: 10 } },
      { metadata: { name: 'c' }, status: { phase: 'Succeeded', n: 7, gone: null } },
    ],
  };
  const cases: [string, string][] = [
    [
      '{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}',
      'a\tSucceeded\nb\tFailed\nc\tSucceeded\n',
    ],
    ['{.items[-1].metadata.name}', 'c'],
    ['{.items[-2:].metadata.name}', 'b c'],
    ['{.items[:2].metadata.name}', 'a b'],
    ['{.items[0:3:2].metadata.name}', 'a c'],
    ['{.items[0,2].metadata.name}', 'a c'],
    ['{.items[*].status.n}', '3 10 7'],
    ['{.items[?(@.status.phase=="Succeeded")].metadata.name}', 'a c'],
    ["{.items[?(@.status.phase!='Succeeded')].metadata.name}", 'b'],
    ['{.items[?(@.status.n > 5)].metadata.name}', 'b c'],
    ['{.items[?(@.status.n<=7)].metadata.name}', 'a c'],
    ['{.items[?(@.status.ok)].metadata.name}', 'a'],
    ['{.items[?(@.status.ok==true)].metadata.name}', 'a'],
    ['{.items[?(@.status.n < "5")].metadata.name}', ''],
    ['{.items[2].status.gone}', 'null'],
    ['{.items[0].status.ok}', 'true'],
    ['{.items[5].metadata.name}', ''],
    ['{.nothing.here}', ''],
    ['{..phase}', 'Succeeded Failed Succeeded'],
    ['{.items[0].metadata.*}', 'a'],
    ['{.items[1].metadata}', '{"name":"b"}'],
    ['{ .items[0].metadata.name }', 'a'],
    ['{"{"}{.items[0].metadata.name}{"}"}', '{a}'],
    ['{"caf\\u00e9 \\x41"}', 'café A'],
    ['no actions at all', 'no actions at all'],
    ['{range .items[*]}{range .status.*}{@},{end};{end}', 'Succeeded,3,true,;Failed,10,;Succeeded,7,null,;'],
    ['{range .nothing[*]}x{end}done', 'done'],
    ['{.}', JSON.stringify(data)],
  ];
  for (const [template, want] of cases) test(template, () => assert.equal(run(template, data), want));
});

describe('errors name the column', () => {
  const cases: [string, string][] = [
    ['{.metadata.name', 'unclosed action: add "}" at column 1'],
    ['x {.items[*}', 'unterminated array subscript: add "]" at column 10'],
    ['{.items[0}', 'unterminated array subscript: add "]" at column 8'],
    ['{.items[abc]}', 'expected an index, a slice, "*" or a quoted key in "[ ]" at column 9'],
    ['{range .items[*]}{.a}', '{range} is not closed: add {end} at column 1'],
    ['{.a}{end}', '{end} closes no {range} at column 5'],
    ['{"\\q"}', 'unknown escape "\\q" in quoted string at column 3'],
    ['{}', 'empty action: put a path such as .metadata.name at column 1'],
    ['{.items[?(@.a=="x"]}', 'unexpected "]" in filter at column 19'],
    ['{.items[?(@.a=="x")}', 'filter not closed: add "]" at column 8'],
    ['{.items[?(@.a=~"x")]}', '"=~" is not supported in filters; use ==, !=, <, <=, > or >= at column 14'],
    ['{.items[0:2:0]}', 'a slice step must be greater than 0 at column 9'],
  ];
  for (const [template, want] of cases) {
    test(template, () => {
      assert.throws(
        () => parseJsonPath(template),
        (err: unknown) => err instanceof JsonPathError && err.message === want,
      );
    });
  }
});
