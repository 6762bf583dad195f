// services/builds.test.ts — the one rule for "is this push still running?" and how a push ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRunning, outcomeOf } from './builds.ts';

test('a push runs while its build builds or its release is not deployed yet; then it succeeded or failed', () => {
  const s = (status: string, error?: string, lease_expires_at?: Date | null) => ({ status, error, lease_expires_at });
  const cases: Array<[ReturnType<typeof s> | undefined, ReturnType<typeof s> | undefined, string]> = [
    [undefined, undefined, 'running'], // not claimed by the controller yet
    [s('building'), undefined, 'running'],
    [s('failed'), undefined, 'failed'],
    [s('succeeded'), s('pending'), 'running'],
    [s('succeeded'), s('deploying'), 'running'],
    [s('succeeded'), s('succeeded'), 'succeeded'],
    [s('succeeded'), s('succeeded', undefined, new Date()), 'running'], // live, its postdeploy scripts still run (under the deploy's lease)
    [s('succeeded'), s('succeeded', undefined, null), 'succeeded'],
    [s('succeeded'), s('failed'), 'failed'],
    [s('succeeded'), s('succeeded', 'postdeploy script failed (exit 3)'), 'failed'], // live, but app.json's postdeploy failed
    [s('succeeded'), undefined, 'succeeded'],
  ];
  for (const [build, release, want] of cases) {
    assert.equal(outcomeOf(build, release), want, JSON.stringify({ build, release }));
    assert.equal(isRunning(build, release), want === 'running' && build !== undefined, JSON.stringify({ build, release }));
  }
});
