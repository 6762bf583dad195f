// controller/build-budget.test.ts — a build's budget of build minutes: no plan, no signal; minutes left, a signal
// that aborts when they run out (the drivers end the build on it) with the plan's refusal; the build's seconds
// recorded when it ends; none left, refused before anything runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { isPaasError } from '../core/errors.ts';
import { createPlan } from '../services/plans.ts';
import { buildSecondsUsed, recordBuildSeconds } from '../services/build-minutes.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { abortDelayMs, guardBuild, MAX_TIMER_MS } from './build-budget.ts';

const log = { error() {} } as never;

test('a build is stopped when it reaches the plan\'s minutes, its seconds are recorded, and the next one is refused', async (t) => {
  const db = await openTestSchema(t, 'budget');
  if (!db) return;
  const [owner] = await db('users').insert({ email: 'o@example.com', password_hash: 'x' }).returning('id');
  const [row] = await db('apps').insert({ name: 'budget-app', owner_id: owner.id }).returning(['id', 'name']);
  const free = await guardBuild(db, log, row, crypto.randomUUID());
  assert.equal(free.signal, undefined, 'no plan: nothing stops the build');
  await free.end();
  await createPlan(db, { kind: 'operator' }, 'quick', { buildMinutes: 0.01 }, true); // 0.6 s
  await db('build_usage').delete();
  const guard = await guardBuild(db, log, row, crypto.randomUUID());
  assert.ok(guard.signal && guard.deadlineMs !== undefined && guard.deadlineMs <= 600);
  assert.equal(guard.stoppedError(), undefined);
  await once(guard.signal, 'abort');
  const stopped = guard.stoppedError();
  assert.ok(isPaasError(stopped, 'E_QUOTA_BUILD_MINUTES'));
  assert.equal(stopped.message, 'The build was stopped: it reached the 0.01 build minutes a month of plan "quick" (used up now). Ask an admin for a larger plan, or wait for next month');
  await guard.end();
  assert.ok(await buildSecondsUsed(db, { kind: 'user', id: owner.id }) >= 0.6);
  await assert.rejects(guardBuild(db, log, row, crypto.randomUUID()), (err) => isPaasError(err, 'E_QUOTA_BUILD_MINUTES'));
});

test('a plan past 2^31-1 ms of minutes does not stop a build at once (setTimeout would overflow)', async (t) => {
  assert.equal(abortDelayMs(40_000 * 60_000), MAX_TIMER_MS);
  assert.equal(abortDelayMs(1500), 1500);
  const db = await openTestSchema(t, 'budgetbig');
  if (!db) return;
  const [owner] = await db('users').insert({ email: 'o@example.com', password_hash: 'x' }).returning('id');
  const [row] = await db('apps').insert({ name: 'big-app', owner_id: owner.id }).returning(['id', 'name']);
  await createPlan(db, { kind: 'operator' }, 'huge', { buildMinutes: 40_000 }, true);
  const guard = await guardBuild(db, log, row, crypto.randomUUID());
  t.after(() => guard.end());
  // Asserting an absence needs a wait: an overflowed timer fires after 1 ms.
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(guard.signal?.aborted, false);
});

test("concurrent builds: a running build's seconds are in the ledger from its start, and it stops when the others used the month up", { timeout: 10_000 }, async (t) => {
  const db = await openTestSchema(t, 'budgetrun');
  if (!db) return;
  const [owner] = await db('users').insert({ email: 'o@example.com', password_hash: 'x' }).returning('id');
  const [row] = await db('apps').insert({ name: 'run-app', owner_id: owner.id }).returning(['id', 'name']);
  await createPlan(db, { kind: 'operator' }, 'month', { buildMinutes: 10 }, true);
  const buildId = crypto.randomUUID();
  const guard = await guardBuild(db, log, row, buildId, 20);
  assert.ok(await db('build_usage').where({ build_id: buildId }).first(), 'the row is there while the build runs (a crash still charges it)');
  // Another build of the same plan, running at once, wrote its heartbeat: the month is used up.
  await recordBuildSeconds(db, row.id, row.name, crypto.randomUUID(), new Date(), 600);
  await once(guard.signal!, 'abort');
  assert.ok(isPaasError(guard.stoppedError(), 'E_QUOTA_BUILD_MINUTES'));
  await guard.end();
  assert.ok(Number((await db('build_usage').where({ build_id: buildId }).first()).seconds) > 0);
});
