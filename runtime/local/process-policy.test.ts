// runtime/local/process-policy.test.ts — the pure rules: restart backoff, process environment, instance numbering.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { indexesToAdd } from './supervisor.ts';
import { settledState, toExitVerdict, toProcessEnv, toRestartDelayMs } from './process-policy.ts';

test('restart backoff doubles from 1 s and stops at 30 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 50].map((n) => toRestartDelayMs(n)), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
});

test('platform vars win over config vars, and PATH is slug dirs, then the base PATH, then node', () => {
  const release = {
    app: 'myapp',
    version: 3,
    slugDir: '/srv/slug',
    env: { PORT: '1', DYNO: 'x', SECRET: 's', RELEASE_VERSION: 'v3' },
    pathPrepend: ['bin', 'node_modules/.bin'],
    processes: [],
  };
  const env = toProcessEnv({ PATH: '/usr/bin:/bin', HOME: '/home/paas', SECRET: 'base' }, release, 'web.2', 41234);
  assert.equal(env.PORT, '41234');
  assert.equal(env.DYNO, 'web.2');
  assert.equal(env.SECRET, 's');
  assert.equal(env.HOME, '/home/paas');
  assert.equal(env.PATH, ['/srv/slug/bin', '/srv/slug/node_modules/.bin', '/usr/bin:/bin', path.dirname(process.execPath)].join(':'));
});

test('new instances fill gaps first', () => {
  assert.deepEqual(indexesToAdd([], 2), [1, 2]);
  assert.deepEqual(indexesToAdd([1, 3], 4), [2, 4]);
  assert.deepEqual(indexesToAdd([1, 2], 2), []);
});

test('an exit is a restart with backoff, the end (code 0), or a give-up after maxCrashes in a row', () => {
  const policy = { firstMs: 1000, maxMs: 30_000, resetAfterUpMs: 60_000, maxCrashes: 10 };
  assert.deepEqual(toExitVerdict(true, 0, policy), { kind: 'exited' });
  assert.deepEqual(toExitVerdict(false, 1, policy), { kind: 'restart', delayMs: 1000 });
  assert.deepEqual(toExitVerdict(false, 9, policy), { kind: 'restart', delayMs: 30_000 });
  assert.deepEqual(toExitVerdict(false, 10, policy), { kind: 'give-up', reason: 'crashed 10 times in a row; not restarted (ps:restart to try again)' });
});

test("the push's word on a new non-web process: running, exited, restarting, given up", () => {
  assert.equal(settledState({ state: 'up' }), 'is running');
  assert.equal(settledState({ state: 'exited', reason: 'exited with code 0' }), 'exited (code 0): not restarted');
  assert.equal(settledState({ state: 'crashed', reason: 'exited with code 1' }), 'crashed (exited with code 1); restarting');
  const givenUp = 'crashed 10 times in a row; not restarted (ps:restart to try again)';
  assert.equal(settledState({ state: 'crashed', reason: givenUp }), givenUp);
});
