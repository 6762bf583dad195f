// services/app-status.test.ts — the one word shown for an app: work in progress first, then the newest failure,
// then whether its processes are up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toAppStatus, type AppFacts } from './app-status.ts';

const at = (s: number) => new Date(2026, 0, 1, 0, 0, s);
const none = { up: 0, total: 0 };

test('each status comes from the facts it names', () => {
  const cases: Array<[AppFacts, string]> = [
    [{ processes: none }, 'no release'],
    [{ latestBuild: { status: 'building', created_at: at(1) }, processes: none }, 'building'],
    [{ latestBuild: { status: 'succeeded', created_at: at(1) }, latestRelease: { status: 'deploying', created_at: at(2) }, processes: none }, 'building'],
    [{ latestBuild: { status: 'failed', created_at: at(1) }, processes: none }, 'failed'],
    [{ current: { version: 1, finished_at: at(2) }, latestBuild: { status: 'failed', created_at: at(3) }, latestRelease: { status: 'succeeded', created_at: at(2) }, processes: { up: 1, total: 1 } }, 'failed'],
    [{ current: { version: 1, finished_at: at(2) }, latestRelease: { status: 'failed', created_at: at(3) }, latestBuild: { status: 'succeeded', created_at: at(1) }, processes: { up: 1, total: 1 } }, 'failed'],
    [{ current: { version: 2, finished_at: at(4) }, latestBuild: { status: 'failed', created_at: at(1) }, latestRelease: { status: 'succeeded', created_at: at(3) }, processes: { up: 1, total: 1 } }, 'running'],
    [{ current: { version: 1, finished_at: at(2) }, latestRelease: { status: 'succeeded', created_at: at(2) }, processes: { up: 0, total: 2 } }, 'down'],
    [{ current: { version: 1, finished_at: at(2) }, latestRelease: { status: 'succeeded', created_at: at(2) }, processes: none }, 'running'],
  ];
  for (const [facts, want] of cases) assert.equal(toAppStatus(facts), want, JSON.stringify(facts));
});
