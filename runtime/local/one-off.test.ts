// runtime/local/one-off.test.ts — the embedded mode's one-off runner with real processes (single-tenant jail): the
// release's env without PORT, lines as they come, the exit code, a kill on abort or timeout, long lines cut, the per-app cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPaasError } from '../../core/errors.ts';
import { makeSlug, toRelease } from '../../test/support/local-runtime.ts';
import { loadConfig } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { limitOneOffs } from '../one-off-limit.ts';
import { selectOneOff } from '../select.ts';
import type { OneOffInput } from '../types.ts';
import { Jail } from './jail.ts';
import { LocalOneOffRunner, maxOneOffLineBytes } from './one-off.ts';

const runner = new LocalOneOffRunner(Jail.plain(), { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' });

function input(spec: OneOffInput['spec'], command: string, lines: string[], more: Partial<OneOffInput> = {}): OneOffInput {
  return { spec, command, onLine: (l, s) => lines.push(`${s}: ${l}`), signal: new AbortController().signal, timeoutMs: 30_000, ...more };
}

test('a one-off runs in the slug with the release env (no PORT), streams stdout and stderr, and returns its exit code', async (t) => {
  const spec = toRelease('shop', await makeSlug(t), 3, [], { FOO: 'multi\nline' });
  const lines: string[] = [];
  const code = await runner.runOneOff(input(spec, 'echo "$FOO"; echo "dyno=$DYNO port=${PORT:-none} $RELEASE_VERSION"; ls server.js; echo oops >&2; exit 3', lines));
  assert.equal(code, 3);
  assert.deepEqual(lines.filter((l) => l.startsWith('stdout')), ['stdout: multi', 'stdout: line', 'stdout: dyno=run.1 port=none v3', 'stdout: server.js']);
  assert.deepEqual(lines.filter((l) => l.startsWith('stderr')), ['stderr: oops']);
});

test('a one-off is killed when its client goes away or its time is up (exit 128 + the signal), with what it started', async (t) => {
  const spec = toRelease('shop', await makeSlug(t), 1, []);
  const abort = new AbortController();
  const lines: string[] = [];
  const started = Date.now();
  const running = runner.runOneOff(input(spec, 'echo started; sleep 30 & sleep 30', lines, {
    signal: abort.signal, onLine: (l) => { lines.push(l); if (l === 'started') abort.abort(); },
  }));
  assert.equal(await running, 143);
  assert.ok(Date.now() - started < 10_000);
  assert.equal(await runner.runOneOff(input(spec, 'sleep 30', [], { timeoutMs: 300 })), 143);
});

test('a line that never ends is relayed in pieces, and output waits while the client is behind', async (t) => {
  const spec = toRelease('shop', await makeSlug(t), 1, []);
  const lines: string[] = [];
  let behind = 0;
  const drain = () => (behind++ < 3 ? new Promise<void>((r) => setTimeout(r, 20)) : undefined);
  const code = await runner.runOneOff(input(spec, `head -c ${maxOneOffLineBytes * 2 + 10} /dev/zero | tr '\\0' x; echo; echo end`, lines, { drain }));
  assert.equal(code, 0);
  assert.deepEqual(lines.map((l) => l.length - 'stdout: '.length), [maxOneOffLineBytes, maxOneOffLineBytes, 10, 3]);
  assert.equal(behind > 3, true);
});

test('at most N one-offs per app run at once through one runner: the next is refused with E_RUN_LIMIT', async (t) => {
  const spec = toRelease('shop', await makeSlug(t), 1, []);
  const limited = limitOneOffs(runner, 2);
  const abort = new AbortController();
  const started: string[] = [];
  let runs: Array<Promise<number>> = [];
  await new Promise<void>((resolve) => {
    const onLine = (l: string) => { started.push(l); if (started.length === 2) resolve(); };
    runs = [0, 1].map(() => limited.runOneOff(input(spec, 'echo up; sleep 30', [], { signal: abort.signal, onLine })));
  });
  await assert.rejects(limited.runOneOff(input(spec, 'true', [])), (err: unknown) => isPaasError(err, 'E_RUN_LIMIT'));
  assert.equal(await limited.runOneOff(input({ ...spec, app: 'other' }, 'true', [])), 0, 'another app is not counted');
  abort.abort();
  assert.deepEqual(await Promise.all(runs), [143, 143]);
  assert.equal(await limited.runOneOff(input(spec, 'exit 0', [])), 0, 'free again once they ended');
});

test('Kubernetes mode refuses run with E_RUN_UNAVAILABLE saying so; local mode runs it', async (t) => {
  const spec = toRelease('shop', await makeSlug(t), 1, []);
  const kube = selectOneOff(loadConfig({ PAAS_RUNTIME: 'kubernetes' }), createLogger('silent'));
  await assert.rejects(kube.runOneOff(input(spec, 'true', [])), { code: 'E_RUN_UNAVAILABLE', message: '`run` is not available in Kubernetes mode yet' });
  const local = selectOneOff(loadConfig({ PAAS_ISOLATION: 'none', PAAS_DATA_DIR: spec.slugDir }), createLogger('silent'));
  assert.equal(await local.runOneOff(input(spec, 'exit 7', [])), 7);
});
