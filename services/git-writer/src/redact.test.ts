import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactText, redactURL } from './redact.ts';

test('redactURL drops user and password', () => {
  assert.equal(
    redactURL('https://bot:s3cr3t@git.example.com/org/repo.git'),
    'https://git.example.com/org/repo.git',
  );
  assert.equal(redactURL('https://token@git.example.com/r'), 'https://git.example.com/r');
  assert.equal(redactURL('file:///srv/git/repo.git'), 'file:///srv/git/repo.git');
  assert.equal(redactURL('git@github.com:org/repo.git'), 'git@github.com:org/repo.git');
});

test('redactText hides credentials anywhere in a message', () => {
  assert.equal(
    redactText("fatal: unable to access 'https://bot:s3cr3t@git.example.com/r.git/': 403"),
    "fatal: unable to access 'https://***@git.example.com/r.git/': 403",
  );
  assert.equal(redactText('no url here'), 'no url here');
});
