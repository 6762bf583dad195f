// runtime/local/process-policy.test.ts — the pure rules: restart backoff, process environment, instance numbering.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { indexesToAdd } from './supervisor.ts';
import { toProcessEnv, toRestartDelayMs } from './process-policy.ts';

test('restart backoff doubles from 1 s and stops at 30 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 50].map(toRestartDelayMs), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
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
