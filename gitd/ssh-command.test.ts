// gitd/ssh-command.test.ts — unit tests for SSH exec parsing, including paths that try to escape the repo root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSshCommand, splitArgs } from './ssh-command.ts';
import { isPaasError } from '../core/errors.ts';

test('git services with the forms git sends', () => {
  assert.deepEqual(parseSshCommand("git-receive-pack '/myapp.git'"), { kind: 'git', service: 'receive-pack', app: 'myapp' });
  assert.deepEqual(parseSshCommand("git-upload-pack 'myapp.git'"), { kind: 'git', service: 'upload-pack', app: 'myapp' });
  assert.deepEqual(parseSshCommand("git receive-pack 'myapp'"), { kind: 'git', service: 'receive-pack', app: 'myapp' });
});

test('repo paths that escape the root or are not app names are refused', () => {
  for (const p of ["'../etc.git'", "'/../../x.git'", "'a/b.git'", "'/srv/repos/x.git'", "'A_B.git'", "'x;rm -rf /.git'", "''", "'-x.git'", "'.git'"]) {
    assert.throws(() => parseSshCommand(`git-receive-pack ${p}`), (e) => isPaasError(e, 'E_REPO_PATH_INVALID'), p);
  }
  assert.throws(() => parseSshCommand("git-upload-pack 'a.git' 'b.git'"), (e) => isPaasError(e, 'E_REPO_PATH_INVALID'));
});

test('other git commands are refused, everything else is a CLI command', () => {
  assert.throws(() => parseSshCommand("git-upload-archive 'a.git'"), (e) => isPaasError(e, 'E_COMMAND_UNKNOWN'));
  assert.deepEqual(parseSshCommand('config:set app "A=b c"'), { kind: 'cli', argv: ['config:set', 'app', 'A=b c'] });
});

test('splitArgs handles quotes and refuses an unterminated one', () => {
  assert.deepEqual(splitArgs(`a 'b c' "d \\"e\\"" f\\ g ''`), ['a', 'b c', 'd "e"', 'f g', '']);
  assert.throws(() => splitArgs("a 'b"), (e) => isPaasError(e, 'E_USAGE'));
});
