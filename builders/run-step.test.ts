// Tests for builders/run-step.ts: real commands, their output relayed line by line, indented, under a step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { isPaasError } from '../core/errors.ts';
import { runStep, type BuildContext } from './run-step.ts';

function context(): { ctx: BuildContext; said: string[] } {
  const said: string[] = [];
  return { ctx: { srcDir: tmpdir(), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, say: (line) => said.push(line) }, said };
}

const sh = (script: string) => ({ name: 'the step', argv: ['/bin/sh', '-c', script] as const, missingTool: 'no sh' });

test('stdout and stderr lines are relayed indented; \\r\\n and a lone \\r end lines; the unterminated last line is kept', async () => {
  const { ctx, said } = context();
  await runStep(ctx, sh("printf 'one\\r\\ntwo\\rthree\\n'; printf 'err\\n' >&2; printf 'last'"));
  // The two pipes are read side by side, so only the order within each is fixed.
  assert.deepEqual(said.filter((l) => l !== '       err'), ['       one', '       two', '       three', '       last']);
  assert.equal(said.length, 5);
});

test('blank lines are relayed as empty lines, without trailing spaces', async () => {
  const { ctx, said } = context();
  await runStep(ctx, sh("printf 'a\\n\\n   \\nb\\n'"));
  assert.deepEqual(said, ['       a', '', '', '       b']);
});

test('a non-zero exit fails the step with its code and the given error code', async () => {
  const { ctx, said } = context();
  await assert.rejects(runStep(ctx, { ...sh("echo before; exit 3"), errorCode: 'E_RELEASE_BOOT_FAILED' }), (err) => {
    assert.ok(isPaasError(err, 'E_RELEASE_BOOT_FAILED'), String(err));
    assert.equal(err.message, 'the step failed (exit 3)');
    return true;
  });
  assert.deepEqual(said, ['       before']);
});

test('a missing tool fails with the step\'s own message', async () => {
  const { ctx } = context();
  const step = { name: 'nothing', argv: ['paas-no-such-tool-here'] as const, missingTool: 'install the tool' };
  await assert.rejects(runStep(ctx, step), (err) => isPaasError(err, 'E_BUILD_FAILED') && err.message === 'install the tool');
});
