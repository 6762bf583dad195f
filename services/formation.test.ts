// services/formation.test.ts — Heroku's default formation (web 1, others 0; no web: 1 of the first declared type;
// release never), ps:scale kept across builds, and app.json's formation, which wins and takes ps:scale away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import { loadConfig } from '../core/config.ts';
import { isPaasError } from '../core/errors.ts';
import { insertBuild, openTestSchema } from '../test/support/test-schema.ts';
import type { BuildRow } from './builds.ts';
import { setAutoscale } from './autoscaling.ts';
import { checkAppJsonInstances, formationOf, quantityOf, recordDefaultFormation, scaleApp, toDefaultFormation } from './formation.ts';
import { createPlan } from './plans.ts';
import { releaseSpec } from './release-spec.ts';
import type { ReleaseRow } from './releases.ts';

const operator = { kind: 'operator' } as const;
const config = loadConfig({ PAAS_ROUTER_PORT: '8080', PAAS_BASE_DOMAIN: 'apps.test' });

test('the default formation: web 1, every other type 0, release never a daemon', () => {
  const declared = ['web', 'worker', 'custom', 'task', 'release'];
  const formation = toDefaultFormation(declared, {});
  assert.deepEqual(formation, { web: 1 });
  assert.deepEqual(declared.map((t) => quantityOf(t, formation)), [1, 0, 0, 0, 0]);
  assert.equal(quantityOf('release', { release: 3 }), 0);
});

test('an app without web gets 1 of its first declared type, in Procfile order, release skipped', () => {
  assert.deepEqual(toDefaultFormation(['worker', 'clock'], {}), { worker: 1 });
  assert.deepEqual(toDefaultFormation(['clock', 'worker'], {}), { clock: 1 });
  assert.deepEqual(toDefaultFormation(['release', 'worker'], {}), { worker: 1 });
  assert.deepEqual(toDefaultFormation(['release'], {}), {});
});

test("what the owner scaled is kept: no default overrides it, and web added later starts at 1", () => {
  assert.deepEqual(toDefaultFormation(['worker'], { worker: 0 }), {}, 'scaled to 0 stays 0');
  assert.deepEqual(toDefaultFormation(['web', 'worker'], { worker: 1 }), { web: 1 });
  assert.deepEqual(toDefaultFormation(['web', 'worker'], { web: 0 }), {});
  assert.equal(quantityOf('worker', { worker: 1 }, { worker: 3 }), 3, "app.json's quantity wins");
  assert.equal(quantityOf('web', {}, { worker: 3 }), 1, 'types app.json does not name keep their default');
});

/** A live release of `demo` on a build with these types (in this order) and app.json, as the builder records it. */
async function deployed(db: Knex, types: Record<string, string>, appJson?: unknown, number = 1): Promise<{ app: AppRow; build: BuildRow; release: ReleaseRow }> {
  const buildId = await insertBuild(db, 'demo', { status: 'succeeded', number });
  await db('builds').where({ id: buildId }).update({ process_types: JSON.stringify(types), app_json: appJson === undefined ? null : JSON.stringify(appJson) });
  const before = (await db('apps').where({ name: 'demo' }).first()) as AppRow;
  await db.transaction((trx) => recordDefaultFormation(trx, before, Object.keys(types)));
  const [release] = await db('releases').insert({ app_id: before.id, version: number, build_id: buildId, description: 'Deploy', status: 'succeeded' }).returning('*');
  await db('apps').where({ id: before.id }).update({ current_release_id: (release as ReleaseRow).id });
  const app = (await db('apps').where({ id: before.id }).first()) as AppRow;
  return { app, build: (await db('builds').where({ id: buildId }).first()) as BuildRow, release: release as ReleaseRow };
}

const quantities = (d: { app: AppRow; build: BuildRow; release: ReleaseRow }) =>
  Object.fromEntries(releaseSpec(config, d.app, d.release, d.build).processes.map((p) => [p.type, p.quantity]));

test('a build records its default formation; ps:scale changes it and a later build keeps it', async (t) => {
  const db = await openTestSchema(t, 'formation');
  if (!db) return;
  const procfile = { web: 'node server.js', worker: 'node worker.js', custom: 'echo -n', task: 'python3 -u task.py test', release: 'true' };
  const v1 = await deployed(db, procfile);
  assert.deepEqual(v1.app.formation, { web: 1 });
  assert.deepEqual(quantities(v1), { web: 1, worker: 0, custom: 0, task: 0 });

  await scaleApp(db, operator, 'demo', { worker: 1 });
  const v2 = await deployed(db, procfile, undefined, 2);
  assert.deepEqual(v2.app.formation, { web: 1, worker: 1 });
  assert.deepEqual(quantities(v2), { web: 1, worker: 1, custom: 0, task: 0 });
  assert.deepEqual((await formationOf(db, v2.app)).entries, [
    { type: 'custom', quantity: 0 }, { type: 'task', quantity: 0 }, { type: 'web', quantity: 1 }, { type: 'worker', quantity: 1 },
  ]);
});

test('a worker-only app runs its first declared type from its first push', async (t) => {
  const db = await openTestSchema(t, 'formation');
  if (!db) return;
  const v1 = await deployed(db, { worker: 'node worker.js', clock: 'node clock.js' });
  assert.deepEqual(quantities(v1), { worker: 1, clock: 0 });
});

test("app.json's formation applies on deploy, and ps:scale is refused with E_FORMATION_APP_JSON from then on", async (t) => {
  const db = await openTestSchema(t, 'formation');
  if (!db) return;
  const v1 = await deployed(db, { web: 'node server.js', worker: 'node worker.js' }, { formation: { worker: 2 } });
  assert.deepEqual(quantities(v1), { web: 1, worker: 2 });
  await assert.rejects(scaleApp(db, operator, 'demo', { worker: 5 }), (err: unknown) => isPaasError(err, 'E_FORMATION_APP_JSON')
    && err.message === "demo's formation is set by app.json in the app's repo (worker=2); change it there and push");
  assert.deepEqual(((await db('apps').where({ name: 'demo' }).first()) as AppRow).formation, { web: 1 }, 'nothing was stored');
  assert.deepEqual((await formationOf(db, v1.app)).fromAppJson, { worker: 2 });

  // Without a formation in app.json (or an empty one), ps:scale works again.
  const v2 = await deployed(db, { web: 'node server.js', worker: 'node worker.js' }, { formation: {} }, 2);
  await scaleApp(db, operator, 'demo', { worker: 3 });
  assert.deepEqual(quantities({ ...v2, app: (await db('apps').where({ name: 'demo' }).first()) as AppRow }), { web: 1, worker: 3 });
});

test('two concurrent ps:scale calls both land', async (t) => {
  const db = await openTestSchema(t, 'formation');
  if (!db) return;
  await deployed(db, { web: 'node server.js', worker: 'node worker.js', clock: 'node clock.js' });
  // Holding the app's row makes both calls read the same formation before either writes, every time.
  const holder = await db.transaction();
  await holder('apps').where({ name: 'demo' }).forUpdate().first();
  const both = Promise.all([scaleApp(db, operator, 'demo', { worker: 2 }), scaleApp(db, operator, 'demo', { clock: 1 })]);
  // Asked on another connection: inside a transaction, pg_stat_activity is a snapshot taken once.
  const waiting = async () => Number((await db.raw("select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()")).rows[0].n);
  while (await waiting() < 2) await new Promise((resolve) => setImmediate(resolve));
  await holder.commit();
  await both;
  const app = (await db('apps').where({ name: 'demo' }).first()) as AppRow;
  assert.deepEqual(app.formation, { web: 1, worker: 2, clock: 1 });
});

test("app.json's formation counts against the plan's instances per app (at the boundary), and in ps:autoscale's total", async (t) => {
  const db = await openTestSchema(t, 'formation');
  if (!db) return;
  await createPlan(db, operator, 'three', { maxInstances: 3 }, true);
  const types = { web: 'node server.js', worker: 'node worker.js' };
  const { app } = await deployed(db, types, { formation: { worker: 2 } });
  await checkAppJsonInstances(db, app, { worker: 2 }, Object.keys(types)); // web 1 + worker 2: exactly the limit
  await assert.rejects(checkAppJsonInstances(db, app, { worker: 3 }, Object.keys(types)), (err: unknown) => isPaasError(err, 'E_QUOTA_INSTANCES')
    && err.message === 'Plan "three" allows 3 process instances per app; app.json\'s formation (worker=3) would make demo run 4 in all. '
    + 'Lower it in app.json and push again or ask an admin for a larger plan');
  await assert.rejects(checkAppJsonInstances(db, app, { web: 99 }, ['web']), (err: unknown) => isPaasError(err, 'E_QUOTA_INSTANCES'));
  // Autoscaling web to at most 2 with app.json's worker=2 makes 4: refused (app.json's quantities are counted).
  await assert.rejects(setAutoscale(db, 'kubernetes', operator, 'demo', 'web', { min: 1, max: 2, cpu: 70 }), (err: unknown) => isPaasError(err, 'E_QUOTA_INSTANCES')
    && /ps:autoscale web --max 2 would make demo run 4 in all/.test(err.message));
  await setAutoscale(db, 'kubernetes', operator, 'demo', 'web', { min: 1, max: 1, cpu: 70 });
});
