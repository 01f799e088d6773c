import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Promotion, StepExecution } from '@ferry/contracts';
import { run } from './cli.ts';
import { apiError, captureIo, type FakeAnswer, type FakeApi, startFakeApi } from './fake-api.ts';

const NAME = 'dev.01jxq3v9k2.a1b2c3d';
const ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const PATH = `/api/v1/projects/demo/promotions/${NAME}`;
const T0 = Date.parse('2025-06-01T12:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

/** The Promotion in a phase with these step records. */
const promo = (phase: Promotion['status']['phase'], steps: StepExecution[] = [], extra = {}): Promotion => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Promotion',
  metadata: { name: NAME, namespace: 'demo', creationTimestamp: at(0) },
  spec: {
    stage: 'dev',
    freight: ID,
    steps: [{ uses: 'git-clone' }, { uses: 'kustomize-set-image', as: 'set-image' }, { uses: 'git-push' }],
  },
  status: {
    phase,
    currentStep: 0,
    stepExecutionMetadata: steps,
    state: {},
    revision: 1,
    createdAt: at(0),
    ...extra,
  },
});

const clone = (status: StepExecution['status'], end?: number): StepExecution => ({
  alias: 'step-0',
  uses: 'git-clone',
  status,
  startedAt: at(100),
  ...(end === undefined ? {} : { finishedAt: at(end) }),
});
const setImage = (status: StepExecution['status'], end?: number, message?: string): StepExecution => ({
  alias: 'set-image',
  uses: 'kustomize-set-image',
  status,
  startedAt: at(300),
  ...(end === undefined ? {} : { finishedAt: at(end) }),
  ...(message ? { message } : {}),
});
const push = (status: StepExecution['status'], end?: number): StepExecution => ({
  alias: 'step-2',
  uses: 'git-push',
  status,
  startedAt: at(1000),
  ...(end === undefined ? {} : { finishedAt: at(end) }),
});

const NOT_FOUND: FakeAnswer = {
  status: 404,
  body: apiError(404, 'FERRY_ERR_PROMOTION_NOT_FOUND', `promotion "${NAME}" not found in project "demo"`),
};

/** Answers the listed answers in turn, then the last one forever. */
const sequence = (answers: FakeAnswer[]) => {
  let i = 0;
  return () => answers[Math.min(i++, answers.length - 1)]!;
};

describe('ferry promote', () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi();
  });
  after(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
    api.on('POST', '/api/v1/projects/demo/promotions', { status: 201, body: promo('Pending') });
  });

  /** Runs the CLI with a fake clock that each poll's sleep moves forward. */
  const promote = async (args: string[]) => {
    let now = T0;
    const sleeps: number[] = [];
    const c = captureIo({
      env: { FERRY_SERVER: api.url },
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    const code = await run(['promote', '-p', 'demo', '--stage', 'dev', ...args], c.io);
    return { code, stdout: c.stdout(), stderr: c.stderr(), sleeps };
  };

  it('asks for the Promotion and prints its name', async () => {
    const r = await promote(['--freight', ID]);
    assert.deepEqual(r, {
      code: 0,
      stdout: `promotion.kargo.akuity.io/${NAME} created\n`,
      stderr: '',
      sleeps: [],
    });
    assert.deepEqual(api.requests, [
      { method: 'POST', url: '/api/v1/projects/demo/promotions', body: { stage: 'dev', freight: ID } },
    ]);
  });

  it('sends freightAlias for --freight-alias', async () => {
    await promote(['--freight-alias', 'wild-otter']);
    assert.deepEqual(api.requests[0]?.body, { stage: 'dev', freightAlias: 'wild-otter' });
  });

  it('--wait tolerates the first 404s, prints each step and exits 0 on Succeeded', async () => {
    api.on(
      'GET',
      PATH,
      sequence([
        NOT_FOUND,
        NOT_FOUND,
        {
          status: 200,
          body: promo('Pending', [], { message: 'waiting for promotion dev.01jxq3.ffee001 to finish' }),
        },
        { status: 200, body: promo('Running', [clone('Running')]) },
        { status: 200, body: promo('Running', [clone('Succeeded', 220), setImage('Running')]) },
        {
          status: 200,
          body: promo(
            'Succeeded',
            [clone('Succeeded', 220), setImage('Succeeded', 800), push('Succeeded', 1300)],
            {
              finishedAt: at(1840),
            },
          ),
        },
      ]),
    );
    const r = await promote(['--freight', ID, '--wait']);
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      [
        `promotion.kargo.akuity.io/${NAME} created`,
        'pending: waiting for promotion dev.01jxq3.ffee001 to finish',
        '[1/3] git-clone (step-0) ... Succeeded (0.12s)',
        '[2/3] kustomize-set-image (set-image) ... Succeeded (0.50s)',
        '[3/3] git-push (step-2) ... Succeeded (0.30s)',
        `promotion ${NAME} Succeeded in 1.84s`,
        '',
      ].join('\n'),
    );
    assert.equal(r.code, 0);
    assert.deepEqual(r.sleeps, [200, 200, 200, 200, 200, 200]);
    assert.equal(api.requests.filter((q) => q.method === 'GET').length, 6);
  });

  it('--wait exits 1 on Failed, printing the failed step and the message', async () => {
    const why = 'no image ghcr.io/acme/app in ./env/dev/kustomization.yaml';
    api.on(
      'GET',
      PATH,
      sequence([
        { status: 200, body: promo('Running', [clone('Succeeded', 220), setImage('Running')]) },
        {
          status: 200,
          body: promo('Failed', [clone('Succeeded', 220), setImage('Failed', 400, why)], {
            message: `step "set-image" failed: ${why}`,
            finishedAt: at(900),
          }),
        },
      ]),
    );
    const r = await promote(['--freight', ID, '--wait']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      [
        `promotion.kargo.akuity.io/${NAME} created`,
        '[1/3] git-clone (step-0) ... Succeeded (0.12s)',
        '[2/3] kustomize-set-image (set-image) ... Failed (0.10s)',
        `      ${why}`,
        '',
      ].join('\n'),
    );
    assert.equal(r.stderr, `error: promotion ${NAME} Failed after 0.90s: step "set-image" failed: ${why}\n`);
  });

  it('--wait exits 1 on Errored and Aborted too', async () => {
    for (const phase of ['Errored', 'Aborted'] as const) {
      api.on('GET', PATH, {
        status: 200,
        body: promo(phase, [], { message: 'stopped', finishedAt: at(500) }),
      });
      const r = await promote(['--freight', ID, '--wait']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `error: promotion ${NAME} ${phase} after 0.50s: stopped\n`);
    }
  });

  it('--wait exits 2 when the timeout passes, with a hint', async () => {
    api.on('GET', PATH, { status: 200, body: promo('Running', [clone('Running')]) });
    const r = await promote(['--freight', ID, '--wait', '--timeout', '1s']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, `promotion.kargo.akuity.io/${NAME} created\n[1/3] git-clone (step-0) ...\n`);
    assert.equal(
      r.stderr,
      `error: promotion ${NAME} is still Running after 1s; see where it is with "ferry get promotion ${NAME} -p demo"\n`,
    );
    assert.equal(r.sleeps.length, 5);
  });

  it('--wait gives up on 404s after 10 s', async () => {
    api.on('GET', PATH, NOT_FOUND);
    const r = await promote(['--freight', ID, '--wait']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `error: promotion "${NAME}" not found in project "demo" (FERRY_ERR_PROMOTION_NOT_FOUND)\n`,
    );
    assert.equal(r.sleeps.length, 50);
  });

  it('prints the API error when the Freight is not available', async () => {
    api.on('POST', '/api/v1/projects/demo/promotions', {
      status: 409,
      body: apiError(
        409,
        'FERRY_ERR_FREIGHT_NOT_AVAILABLE',
        'freight wild-otter is not verified in any upstream of prod',
      ),
    });
    const r = await promote(['--freight-alias', 'wild-otter']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'error: freight wild-otter is not verified in any upstream of prod (FERRY_ERR_FREIGHT_NOT_AVAILABLE)\n',
    );
  });

  describe('usage errors exit 2', () => {
    const cases: Array<[string[], string]> = [
      [[], 'give exactly one of --freight ID and --freight-alias ALIAS'],
      [
        ['--freight', ID, '--freight-alias', 'x'],
        'give exactly one of --freight ID and --freight-alias ALIAS',
      ],
      [['--freight', ID, '--timeout', 'soon'], '--timeout "soon" is not a duration like 90s, 10m or 1h30m'],
    ];
    for (const [args, message] of cases) {
      it(`${args.join(' ') || '(no freight)'}: ${message}`, async () => {
        const r = await promote(args);
        assert.equal(r.code, 2);
        assert.ok(r.stderr.startsWith(`error: ${message}\n\nUsage: ferry promote`), r.stderr);
        assert.equal(api.requests.length, 0);
      });
    }
    it('needs a Project', async () => {
      const c = captureIo({ env: { FERRY_SERVER: api.url } });
      assert.equal(await run(['promote', '--stage', 'dev', '--freight', ID], c.io), 2);
      assert.ok(
        c.stderr().startsWith('error: a Project is required: pass -p PROJECT or set FERRY_PROJECT\n'),
      );
    });
  });
});
