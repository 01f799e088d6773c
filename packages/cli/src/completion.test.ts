import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { run } from './cli.ts';
import {
  type CompletionSpec,
  completeWords,
  completionScript,
  FILES_DIRECTIVE,
  flagsOf,
} from './completion.ts';
import { captureIo, type FakeApi, startFakeApi } from './fake-api.ts';

const exec = promisify(execFile);

const SPEC: CompletionSpec = {
  commands: {
    get: 'Usage: ferry get KIND [NAME] [-p PROJECT] [-o FORMAT] [--stage S]\n  --warehouse NAME',
    promote: 'Usage: ferry promote -p PROJECT --stage STAGE (--freight ID | --freight-alias ALIAS) [--wait]',
    refresh: 'Usage: ferry refresh warehouse NAME -p PROJECT',
    token: 'Usage: ferry token create NAME --role ROLE',
    config: 'Usage: ferry config set-project NAME',
    completion: 'Usage: ferry completion bash|zsh|fish',
  },
  valueOptions: new Set([
    '-p',
    '--project',
    '-o',
    '--output',
    '--stage',
    '--warehouse',
    '--freight',
    '--freight-alias',
    '-f',
    '--role',
    '--server',
  ]),
  globalOptions: ['--server', '--token', '--help'],
};

/** Names the fake API would give, by kind and Project. */
const NAMES: Record<string, string[]> = {
  'projects:': ['shop', 'web'],
  'stages:shop': ['dev', 'prod', 'uat'],
  'warehouses:shop': ['app'],
  'freight:shop': ['a1b2c3', 'ffee00'],
  'aliases:shop': ['wild-otter'],
  'promotions:shop': ['p1'],
  'tokens:': ['ci', 'alice'],
};
const names = async (kind: string, project: string | undefined) => NAMES[`${kind}:${project ?? ''}`] ?? [];

describe('completeWords', () => {
  const cases: [string[], string[]][] = [
    [[''], ['get', 'promote', 'refresh', 'token', 'config', 'completion']],
    [['pr'], ['promote']],
    [['--'], ['--server', '--token', '--help']],
    [
      ['get', ''],
      ['projects', 'warehouses', 'stages', 'freight', 'promotions'],
    ],
    [['get', 'st'], ['stages']],
    [['get', 'stages', ''], []],
    [
      ['get', 'stages', '-p', 'shop', ''],
      ['dev', 'prod', 'uat'],
    ],
    [['-p', 'shop', 'get', 'stage', 'p'], ['prod']],
    [
      ['get', 'projects', ''],
      ['shop', 'web'],
    ],
    [['get', 'wh', '--project', 'shop', ''], ['app']],
    [['get', 'stages', 'dev', ''], []],
    [
      ['get', '-p', ''],
      ['shop', 'web'],
    ],
    [
      ['get', '-o', 'j'],
      ['json', 'jsonpath=', 'jsonpath-file='],
    ],
    [
      ['get', '--'],
      ['--stage', '--warehouse', '--server', '--token', '--help'],
    ],
    [
      ['promote', '-p', 'shop', '--stage', ''],
      ['dev', 'prod', 'uat'],
    ],
    [
      ['promote', '-p', 'shop', '--freight', ''],
      ['a1b2c3', 'ffee00'],
    ],
    [['promote', '-p', 'shop', '--freight-alias', 'w'], ['wild-otter']],
    [['promote', '--stage', ''], []],
    [['refresh', ''], ['warehouse']],
    [['refresh', 'warehouse', '-p', 'shop', ''], ['app']],
    [
      ['token', ''],
      ['create', 'list', 'delete'],
    ],
    [
      ['token', 'delete', ''],
      ['ci', 'alice'],
    ],
    [
      ['token', 'create', 'ci', '--role', 'project:s'],
      ['project:shop:viewer', 'project:shop:promoter', 'project:shop:admin'],
    ],
    [['token', 'create', 'ci', '--role', 's'], ['system:admin']],
    [
      ['config', 'set-project', ''],
      ['shop', 'web'],
    ],
    [
      ['completion', ''],
      ['bash', 'zsh', 'fish'],
    ],
    [['apply', '-f', ''], [FILES_DIRECTIVE]],
    [['nosuch', ''], []],
  ];
  for (const [words, want] of cases) {
    it(JSON.stringify(words), async () =>
      assert.deepEqual(await completeWords(words, SPEC, names, undefined), want),
    );
  }
  it('takes the Project from the default when -p is absent', async () => {
    assert.deepEqual(await completeWords(['get', 'stages', 'u'], SPEC, names, 'shop'), ['uat']);
  });
  it('flagsOf reads every flag of a usage text once, in order', () => {
    assert.deepEqual(flagsOf(SPEC.commands.promote!), [
      '-p',
      '--stage',
      '--freight',
      '--freight-alias',
      '--wait',
    ]);
  });
});

describe('ferry __complete and ferry completion', () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi();
    api.on('GET', '/api/v1/projects', { status: 200, body: { items: [{ metadata: { name: 'shop' } }] } });
    api.on('GET', '/api/v1/projects/shop/stages', {
      status: 200,
      body: { items: [{ metadata: { name: 'dev' } }, { metadata: { name: 'prod' } }] },
    });
  });
  after(() => api.close());
  const ferry = async (args: string[], env: Record<string, string> = {}) => {
    const c = captureIo({ env: { FERRY_SERVER: api.url, ...env } });
    const code = await run(args, c.io);
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  };

  it('__complete answers names from the API, the Project from -p or FERRY_PROJECT', async () => {
    assert.deepEqual(await ferry(['__complete', 'get', 'stages', '-p', 'shop', '']), {
      code: 0,
      stdout: 'dev\nprod\n',
      stderr: '',
    });
    assert.equal(
      (await ferry(['__complete', 'get', 'stages', 'p'], { FERRY_PROJECT: 'shop' })).stdout,
      'prod\n',
    );
    assert.equal((await ferry(['__complete', 'promote', '-p', ''])).stdout, 'shop\n');
    assert.equal((await ferry(['__complete', 'tok'])).stdout, 'token\n');
  });

  it('__complete is silent when the API fails or cannot be reached, and still exits 0', async () => {
    assert.deepEqual(await ferry(['__complete', 'get', 'stages', '-p', 'nope', '']), {
      code: 0,
      stdout: '',
      stderr: '',
    });
    assert.deepEqual(
      await ferry(['__complete', 'get', 'projects', ''], { FERRY_SERVER: 'http://127.0.0.1:9' }),
      {
        code: 0,
        stdout: '',
        stderr: '',
      },
    );
    // What needs no API is still offered.
    assert.equal(
      (await ferry(['__complete', 'get', 'fr'], { FERRY_SERVER: 'http://127.0.0.1:9' })).stdout,
      'freight\n',
    );
  });

  it('completion prints a script per shell and refuses others with exit 2', async () => {
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      assert.deepEqual(await ferry(['completion', shell]), {
        code: 0,
        stdout: completionScript(shell),
        stderr: '',
      });
    }
    const bad = await ferry(['completion', 'ksh']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.split('\n')[0], 'error: unknown shell "ksh": use bash, zsh or fish');
    assert.equal((await ferry(['completion'])).code, 2);
  });

  it('the bash script is valid bash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-completion-'));
    const file = join(dir, 'ferry.bash');
    await writeFile(file, completionScript('bash'));
    await exec('bash', ['-n', file]);
  });

  // zsh and fish are optional on a developer machine; where they are installed, their scripts are checked too.
  const has = (shell: string) => spawnSync(shell, ['-c', 'true']).status === 0;
  it('the zsh script is valid zsh', { skip: !has('zsh') && 'zsh is not installed' }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-completion-'));
    await writeFile(join(dir, '_ferry'), completionScript('zsh'));
    await exec('zsh', ['-n', join(dir, '_ferry')]);
  });

  it('the fish script completes through the real CLI', {
    skip: !has('fish') && 'fish is not installed',
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-completion-'));
    const shim = join(dir, 'ferry');
    await writeFile(
      shim,
      `#!/bin/sh\nexec "${process.execPath}" "${resolve(import.meta.dirname, 'main.ts')}" "$@"\n`,
    );
    await chmod(shim, 0o755);
    await writeFile(join(dir, 'ferry.fish'), completionScript('fish'));
    const complete = async (line: string) =>
      (
        await exec('fish', ['-c', `source ${join(dir, 'ferry.fish')}; complete -C ${JSON.stringify(line)}`], {
          env: { PATH: `${dir}:${process.env.PATH}`, HOME: dir, FERRY_SERVER: api.url },
        })
      ).stdout;
    assert.equal(await complete('ferry ge'), 'get\n');
    assert.equal(await complete('ferry get stages -p shop '), 'dev\nprod\n');
  });

  it('the bash script completes through the real CLI: commands, kinds, names, words with ":"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-completion-'));
    const main = resolve(import.meta.dirname, 'main.ts');
    const shim = join(dir, 'ferry');
    await writeFile(shim, `#!/bin/sh\nexec "${process.execPath}" "${main}" "$@"\n`);
    await chmod(shim, 0o755);
    await writeFile(join(dir, 'ferry.bash'), completionScript('bash'));
    const complete = async (line: string) => {
      const script = `source ${join(dir, 'ferry.bash')}
COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}
_ferry_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
      const { stdout } = await exec('bash', ['-c', script], {
        env: { PATH: `${dir}:${process.env.PATH}`, HOME: dir, FERRY_SERVER: api.url },
      });
      return stdout;
    };
    assert.equal(await complete('ferry ge'), 'get\n');
    assert.equal(await complete('ferry get st'), 'stages\n');
    assert.equal(await complete('ferry get stages -p shop '), 'dev\nprod\n');
    assert.equal(await complete('ferry -p shop get stage d'), 'dev\n');
    // bash breaks words at ':', so only the part after the last one is offered.
    assert.equal(await complete('ferry token create ci --role project:shop:p'), 'promoter\n');
  });
});
