import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { run } from './cli.ts';
import { captureIo, type FakeApi, startFakeApi } from './fake-api.ts';

const NAME = 'prod.01jxq3v9k2.a1b2c3d';
const ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
let api: FakeApi;

before(async () => {
  api = await startFakeApi();
  const p = `/api/v1/projects/demo/promotions/${NAME}`;
  api.on('POST', `${p}/approve`, { status: 202, body: { promotion: NAME } });
  api.on('POST', `${p}/reject`, { status: 202, body: { promotion: NAME } });
  api.on('POST', '/api/v1/projects/demo/freight/approve', {
    status: 200,
    body: { freight: ID, alias: 'wild-otter' },
  });
  api.on('POST', '/api/v1/projects/demo/freight/reject', {
    status: 200,
    body: { freight: ID, alias: 'wild-otter' },
  });
});
after(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
});

test('approve and reject: "promotion NAME" selects the Promotion form; the Freight form is unchanged', async () => {
  // [args, exit code, stdout, request (method url body)]
  const cases: Array<[string[], number, string, string]> = [
    [
      ['approve', 'promotion', NAME, '-p', 'demo'],
      0,
      `promotion ${NAME} approval requested\n`,
      `POST /api/v1/projects/demo/promotions/${NAME}/approve {}`,
    ],
    [
      ['approve', '-p', 'demo', 'promotion', NAME],
      0,
      `promotion ${NAME} approval requested\n`,
      `POST /api/v1/projects/demo/promotions/${NAME}/approve {}`,
    ],
    [
      ['reject', 'promotion', NAME, '-p', 'demo', '--reason', 'not on a Friday'],
      0,
      `promotion ${NAME} rejection requested\n`,
      `POST /api/v1/projects/demo/promotions/${NAME}/reject {"reason":"not on a Friday"}`,
    ],
    [
      ['approve', '-p', 'demo', '--freight', ID, '--stage', 'prod'],
      0,
      'freight wild-otter approved for stage prod\n',
      `POST /api/v1/projects/demo/freight/approve {"freight":"${ID}","stage":"prod"}`,
    ],
    [
      ['reject', '-p', 'demo', '--freight', ID, '--reason', 'CVE'],
      0,
      'freight wild-otter rejected for every stage\n',
      `POST /api/v1/projects/demo/freight/reject {"freight":"${ID}","reason":"CVE"}`,
    ],
  ];
  for (const [args, code, stdout, request] of cases) {
    api.requests.length = 0;
    const c = captureIo({ env: { FERRY_SERVER: api.url } });
    assert.equal(await run(args, c.io), code, `${args.join(' ')}: ${c.stderr()}`);
    assert.equal(c.stdout(), stdout);
    const [r] = api.requests;
    assert.equal(`${r?.method} ${r?.url} ${JSON.stringify(r?.body)}`, request);
  }
});

test('the Promotion form names what is missing or extra', async () => {
  // [args, first line of stderr]
  const cases: Array<[string[], string]> = [
    [['approve', 'promotion', '-p', 'demo'], 'error: a Promotion NAME is required'],
    [['approve', 'promotion', NAME], 'error: a Project is required: pass -p PROJECT or set FERRY_PROJECT'],
    [['approve', 'promotion', NAME, 'extra', '-p', 'demo'], 'error: unexpected argument "extra"'],
    [
      ['approve', 'promotion', NAME, '-p', 'demo', '--reason', 'x'],
      `error: Unknown option '--reason'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "--reason"`,
    ],
  ];
  for (const [args, line] of cases) {
    const c = captureIo({ env: { FERRY_SERVER: api.url } });
    assert.equal(await run(args, c.io), 2, args.join(' '));
    assert.equal(c.stderr().split('\n')[0], line);
    assert.equal(api.requests.length, 0);
  }
});
