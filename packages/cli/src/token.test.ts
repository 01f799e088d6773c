import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { run } from './cli.ts';
import { apiError, captureIo, type FakeApi, startFakeApi } from './fake-api.ts';
import { formatRole, parseRole, TOKEN_USAGE } from './token.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const SECRET = 'ferry_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

describe('parseRole / formatRole', () => {
  const good: [string, ReturnType<typeof parseRole>][] = [
    ['project:shop:viewer', { project: 'shop', role: 'viewer' }],
    ['project:my-shop2:promoter', { project: 'my-shop2', role: 'promoter' }],
    ['project:shop:admin', { project: 'shop', role: 'admin' }],
    ['system:admin', { role: 'admin' }],
  ];
  for (const [text, want] of good) {
    it(text, () => {
      assert.deepEqual(parseRole(text), want);
      assert.equal(formatRole(want), text);
    });
  }
  const bad: [string, string][] = [
    ['promoter', '--role "promoter": write project:PROJECT:viewer|promoter|admin, or system:admin'],
    ['system:viewer', '--role "system:viewer": write project:PROJECT:viewer|promoter|admin, or system:admin'],
    [
      'project:Shop:viewer',
      '--role "project:Shop:viewer": "Shop" is not a Project name (lowercase letters, digits and "-")',
    ],
    [
      'project:shop:owner',
      '--role "project:shop:owner": "owner" is not a role; use viewer, promoter or admin',
    ],
  ];
  for (const [text, want] of bad)
    it(`refuses ${text}`, () => assert.throws(() => parseRole(text), { message: want }));
});

describe('ferry token', () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi();
  });
  after(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
  });
  const ferry = async (args: string[]) => {
    const c = captureIo({ env: { FERRY_SERVER: api.url, FERRY_TOKEN: 'ferry_admin' }, now: () => NOW });
    const code = await run(['token', ...args], c.io);
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  };

  it('create sends the roles and the expiry, prints the secret alone on stdout', async () => {
    api.on('POST', '/api/v1/tokens', (req) => ({
      status: 201,
      body: { ...(req.body as object), subject: 'ci', createdAt: '2025-06-01T12:00:00.000Z', token: SECRET },
    }));
    const r = await ferry([
      'create',
      'ci',
      '--role',
      'project:shop:promoter',
      '--role',
      'project:web:viewer',
      '--expires',
      '720h',
    ]);
    assert.deepEqual(r, {
      code: 0,
      stdout: `${SECRET}\n`,
      stderr:
        'token "ci" created (project:shop:promoter, project:web:viewer; expires 2025-07-01T12:00:00.000Z); it is shown only this once: keep it now\n',
    });
    assert.deepEqual(api.requests, [
      {
        method: 'POST',
        url: '/api/v1/tokens',
        authorization: 'Bearer ferry_admin',
        body: {
          name: 'ci',
          roles: [
            { project: 'shop', role: 'promoter' },
            { project: 'web', role: 'viewer' },
          ],
          expiresAt: '2025-07-01T12:00:00.000Z',
        },
      },
    ]);
  });

  it('create -o json prints the answer; --subject is sent', async () => {
    const answer = {
      name: 'alice',
      subject: 'alice@example.com',
      roles: [{ role: 'admin' }],
      createdAt: 'x',
      token: SECRET,
    };
    api.on('POST', '/api/v1/tokens', { status: 201, body: answer });
    const r = await ferry([
      'create',
      'alice',
      '--subject',
      'alice@example.com',
      '--role',
      'system:admin',
      '-o',
      'json',
    ]);
    assert.deepEqual(r, { code: 0, stdout: `${JSON.stringify(answer, null, 2)}\n`, stderr: '' });
    assert.deepEqual(api.requests[0]?.body, {
      name: 'alice',
      roles: [{ role: 'admin' }],
      subject: 'alice@example.com',
    });
    const jp = await ferry(['create', 'alice', '--role', 'system:admin', '-o', 'jsonpath={.token}']);
    assert.equal(jp.stdout, SECRET);
  });

  it('create refuses bad input with exit 2 and calls nothing', async () => {
    const cases: [string[], string][] = [
      [['create'], 'token create needs a NAME'],
      [['create', 'ci'], 'token create needs at least one --role, e.g. --role project:shop:viewer'],
      [
        ['create', 'ci', '--role', 'shop'],
        '--role "shop": write project:PROJECT:viewer|promoter|admin, or system:admin',
      ],
      [
        ['create', 'ci', '--role', 'system:admin', '--expires', '30d'],
        '--expires "30d" is not a duration like 720h, 90m or 1h30m',
      ],
      [
        ['create', '-x', '--role', 'system:admin'],
        `Unknown option '-x'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "-x"`,
      ],
      [
        ['create', 'no/slash', '--role', 'system:admin'],
        'token name "no/slash": use letters, digits, "-", "_", "." and "@", starting with a letter or digit (at most 100)',
      ],
      [
        ['create', 'ci', '--role', 'system:admin', '-o', 'table'],
        'unknown output format "table": use text, json, yaml or jsonpath=TEMPLATE',
      ],
      [['rotate'], 'unknown subcommand "rotate": use create, list or delete'],
      [[], 'a subcommand is required: create, list or delete'],
      [['delete'], 'token delete needs a NAME'],
      [['list', 'x'], 'unexpected argument "x"'],
    ];
    for (const [args, message] of cases) {
      const r = await ferry(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.ok(
        r.stderr.startsWith(`error: ${message}\n\nUsage: ferry token create`),
        `${args.join(' ')}: ${r.stderr}`,
      );
    }
    assert.deepEqual(api.requests, []);
  });

  it('list prints a table with roles, last use and time to expiry', async () => {
    api.on('GET', '/api/v1/tokens', {
      status: 200,
      body: {
        items: [
          {
            name: 'ci',
            subject: 'ci',
            roles: [{ project: 'shop', role: 'promoter' }],
            createdAt: '2025-05-30T12:00:00Z',
            lastUsedAt: '2025-06-01T11:55:00Z',
            expiresAt: '2025-07-01T12:00:00Z',
            expired: false,
          },
          {
            name: 'old',
            subject: 'bob',
            roles: [{ project: 'shop', role: 'viewer' }, { role: 'admin' }],
            createdAt: '2024-01-01T00:00:00Z',
            expiresAt: '2025-01-01T00:00:00Z',
            expired: true,
          },
          { name: 'root', subject: 'root', roles: [], createdAt: '2025-06-01T11:00:00Z' },
        ],
      },
    });
    const r = await ferry(['list']);
    assert.deepEqual(r, {
      code: 0,
      stdout: [
        'NAME   SUBJECT   ROLES                              LAST-USED   EXPIRES   AGE',
        'ci     ci        project:shop:promoter              5m          in 30d    2d',
        'old    bob       project:shop:viewer,system:admin   <never>     expired   1y',
        'root   root      <none>                             <never>     <never>   1h',
        '',
      ].join('\n'),
      stderr: '',
    });
    assert.equal((await ferry(['list', '-o', 'name'])).stdout, 'token/ci\ntoken/old\ntoken/root\n');
    assert.equal(
      (await ferry(['list', '-o', 'jsonpath={range .items[?(@.expired==true)]}{.name}{"\\n"}{end}'])).stdout,
      'old\n',
    );
  });

  it('list with no tokens says so on stderr', async () => {
    api.on('GET', '/api/v1/tokens', { status: 200, body: { items: [] } });
    assert.deepEqual(await ferry(['list']), { code: 0, stdout: '', stderr: 'No tokens found.\n' });
  });

  it('delete revokes each name, reports the missing ones and exits 1 when any was missing', async () => {
    api.on('DELETE', '/api/v1/tokens/ci', { status: 204 });
    api.on('DELETE', '/api/v1/tokens/gone', {
      status: 404,
      body: apiError(404, 'FERRY_ERR_TOKEN_NOT_FOUND', 'no API token named "gone"'),
    });
    const r = await ferry(['delete', 'gone', 'ci']);
    assert.deepEqual(r, {
      code: 1,
      stdout: 'token "ci" deleted\n',
      stderr: 'error: no API token named "gone" (FERRY_ERR_TOKEN_NOT_FOUND)\n',
    });
    assert.deepEqual(
      api.requests.map((q) => `${q.method} ${q.url}`),
      ['DELETE /api/v1/tokens/gone', 'DELETE /api/v1/tokens/ci'],
    );
  });

  it('a caller without the system role gets the API error and exit 1', async () => {
    api.on('GET', '/api/v1/tokens', {
      status: 403,
      body: apiError(
        403,
        'FERRY_ERR_FORBIDDEN',
        'this needs the system role "admin"; ask an admin for a token that has it',
      ),
    });
    assert.deepEqual(await ferry(['list']), {
      code: 1,
      stdout: '',
      stderr:
        'error: this needs the system role "admin"; ask an admin for a token that has it (FERRY_ERR_FORBIDDEN)\n',
    });
  });

  it('--help prints the usage with examples, exit 0', async () => {
    for (const args of [['--help'], ['create', '--help'], ['list', '-h']]) {
      const r = await ferry(args);
      assert.deepEqual(r, { code: 0, stdout: TOKEN_USAGE, stderr: '' });
    }
    assert.match(
      TOKEN_USAGE,
      /\nExamples:\n {2}ferry token create ci --role project:shop:promoter --expires 720h\n/,
    );
  });
});
