// gitd/review-push.test.ts — the order of a push's review-app work against real PostgreSQL, with the deploy of each
// ref given as a function: deleted branches lose their review apps only once every deploy succeeded, and a review
// app whose first deploy fails (or is refused) is removed again, while an existing one stays.
import crypto from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { PaasError, isPaasError } from '../core/errors.ts';
import type { IsolationState } from '../core/isolation.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { createApp } from '../services/apps.ts';
import { ensureReviewApp, reviewParent } from '../services/review-push.ts';
import type { RefUpdate } from './refs.ts';
import { pushReviewApps, type DeployAs } from './review-push.ts';

const sandbox = { mode: 'sandbox', reason: 'test' } as unknown as IsolationState;
const deps = { isolation: sandbox, appUrl: (a: string) => `http://${a}.test/` };
const ZERO = '0'.repeat(40);
const push = (branch: string): RefUpdate => ({ ref: `refs/heads/${branch}`, oldRev: ZERO, newRev: 'a'.repeat(40) });
const del = (branch: string): RefUpdate => ({ ref: `refs/heads/${branch}`, oldRev: 'b'.repeat(40), newRev: ZERO });

async function setUp(db: Knex) {
  const [u] = await db('users').insert({ email: 'owner@example.com', password_hash: 'x' }).returning('*');
  const app = await createApp(db, { id: u.id, email: u.email, isAdmin: false, disabled: false }, 'shop', sandbox);
  await db('apps').where({ id: app.id }).update({ review_apps_enabled: true });
  const parent = (await reviewParent(db, 'shop'))!;
  await ensureReviewApp(db, parent, 'old', sandbox);
  await ensureReviewApp(db, parent, 'kept', sandbox);
  const lines: string[] = [];
  const run = (updates: RefUpdate[], deployAs: DeployAs) => pushReviewApps(db, deps, parent, parent.id, updates, (l) => lines.push(l), deployAs);
  return { run, lines, names: async () => db('apps').orderBy('name').pluck('name') };
}

test('a push whose later deploy fails destroys no review app: the deleted branch stays, and so does its app', async (t) => {
  const db = await openTestSchema(t, 'rpush');
  if (!db) return;
  const { run, lines, names } = await setUp(db);
  const deployed: string[] = [];
  const code = await run([del('old'), push('kept')], async (app) => { deployed.push(app); return 1; });
  assert.deepEqual([code, deployed], [1, ['shop-kept']]);
  assert.deepEqual(await names(), ['shop', 'shop-kept', 'shop-old']);
  assert.deepEqual(lines, ['-----> Updating review app shop-kept for branch kept', ' !     Review app shop-kept was not deployed; the branch kept was not stored']);
  lines.length = 0;
  assert.equal(await run([del('old'), push('kept')], async () => 0), 0);
  assert.deepEqual(await names(), ['shop', 'shop-kept']);
  assert.deepEqual(lines.at(-1), '-----> Deleted branch old; review app shop-old destroyed', 'deletions come after the deploys');
});

test('a new review app whose first deploy fails or is refused is removed again; the push says so', async (t) => {
  const db = await openTestSchema(t, 'rpush');
  if (!db) return;
  const { run, lines, names } = await setUp(db);
  assert.equal(await run([push('feature')], async () => 1), 1);
  assert.deepEqual(await names(), ['shop', 'shop-kept', 'shop-old']);
  assert.deepEqual(lines, ['-----> Creating review app shop-feature for branch feature', ' !     Review app shop-feature was not deployed, so it was removed; the branch feature was not stored']);
  const refused: DeployAs = async () => { throw new PaasError('E_QUOTA_BUILD_MINUTES', 'no minutes left'); };
  await assert.rejects(run([push('feature')], refused), (e) => isPaasError(e, 'E_QUOTA_BUILD_MINUTES'));
  assert.deepEqual(await names(), ['shop', 'shop-kept', 'shop-old']);
  const destroyed = await db('outbox').where({ subject: 'paas.app.destroyed' }).count({ n: '*' }).first();
  assert.equal(Number(destroyed?.n), 2, 'each removal tells the controller and gitd (paas.app.destroyed)');
  assert.equal(await run([push('feature')], async () => 0), 0);
  assert.deepEqual(await names(), ['shop', 'shop-feature', 'shop-kept', 'shop-old']);
});

test('a new review app whose push stopped waiting while its build still runs is kept (the builder still uses it)', async (t) => {
  const db = await openTestSchema(t, 'rpush');
  if (!db) return;
  const { run, lines, names } = await setUp(db);
  const stillBuilding: DeployAs = async (app) => {
    const { id } = await db('apps').where({ name: app }).first('id');
    await db('builds').insert({ id: crypto.randomUUID(), app_id: id, number: 1, ref: 'refs/heads/feature', rev: 'a'.repeat(40), status: 'building' });
    return 1; // the push's wait for the outcome ended (its time limit), not the build
  };
  assert.equal(await run([push('feature')], stillBuilding), 1);
  assert.deepEqual(await names(), ['shop', 'shop-feature', 'shop-kept', 'shop-old']);
  assert.deepEqual(lines.at(-1), ' !     Review app shop-feature is still building; it was kept, and expires like any review app');
});
