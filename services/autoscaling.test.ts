// services/autoscaling.test.ts — ps:autoscale and ps:autoscale:off: hostile min/max/cpu refused with E_AUTOSCALE_INVALID,
// the local and Docker modes refused with E_AUTOSCALE_UNAVAILABLE, unknown types refused, nothing stored on any
// refusal; a setting is kept on the app across releases and rollbacks, announced to the runtime, and takes ps:scale away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import { loadConfig } from '../core/config.ts';
import { isPaasError, type ErrorCode } from '../core/errors.ts';
import { insertBuild, openTestSchema } from '../test/support/test-schema.ts';
import { describeAutoscale, parseAutoscale, removeAutoscale, setAutoscale } from './autoscaling.ts';
import type { BuildRow } from './builds.ts';
import { recordDefaultFormation, scaleApp } from './formation.ts';
import { releaseSpec } from './release-spec.ts';
import type { ReleaseRow } from './releases.ts';

const operator = { kind: 'operator' } as const;
const config = loadConfig({ PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: 'registry.test:5000', PAAS_BASE_DOMAIN: 'apps.test' });

const refusedWith = (code: ErrorCode, message?: RegExp) => (err: unknown) => isPaasError(err, code) && (!message || message.test(err.message));

test('min, max and cpu: whole numbers in range, as numbers or their text; anything else is E_AUTOSCALE_INVALID naming it', () => {
  assert.deepEqual(parseAutoscale({ min: 1, max: 5, cpu: 70 }), { min: 1, max: 5, cpu: 70 });
  assert.deepEqual(parseAutoscale({ min: '2', max: '2', cpu: '100' }), { min: 2, max: 2, cpu: 100 });
  assert.deepEqual(parseAutoscale({ min: 99, max: 99, cpu: 1 }), { min: 99, max: 99, cpu: 1 });
  assert.equal(describeAutoscale({ min: 1, max: 5, cpu: 70 }), '1..5 at 70% CPU');
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ max: 5, cpu: 70 }, /^min is missing/],
    [{ min: 1, cpu: 70 }, /^max is missing/],
    [{ min: 1, max: 5 }, /^cpu is missing/],
    [{ min: 0, max: 5, cpu: 70 }, /^min 0 is out of range \(from 1 to 99\)/],
    [{ min: -1, max: 5, cpu: 70 }, /^min -1 is out of range/],
    [{ min: '-1', max: 5, cpu: 70 }, /^min "-1" is not a whole number/],
    [{ min: 3, max: 2, cpu: 70 }, /^max 2 is out of range \(from 3 to 99\)/],
    [{ min: 1, max: 100, cpu: 70 }, /^max 100 is out of range \(from 1 to 99\)/],
    [{ min: 1, max: 5, cpu: 0 }, /^cpu 0 is out of range \(from 1 to 100\)/],
    [{ min: 1, max: 5, cpu: 101 }, /^cpu 101 is out of range/],
    [{ min: 1.5, max: 5, cpu: 70 }, /^min "1.5" is not a whole number/],
    [{ min: '1.5', max: 5, cpu: 70 }, /^min "1.5" is not a whole number/],
    [{ min: 1, max: '5e1', cpu: 70 }, /^max "5e1" is not a whole number/],
    [{ min: 1, max: '0x10', cpu: 70 }, /^max "0x10" is not a whole number/],
    [{ min: 1, max: 5, cpu: 'lots' }, /^cpu "lots" is not a whole number/],
    [{ min: 1, max: 5, cpu: true }, /^cpu "true" is not a whole number/],
    [{ min: 1, max: 5, cpu: [70] }, /^cpu "70" is not a whole number/],
    [{ min: 1, max: 9007199254740993, cpu: 70 }, /^max "9007199254740992" is not a whole number/],
    [{ min: 1, max: '99999999999999999999', cpu: 70 }, /^max "99999999999999999999" is not a whole number/],
    [{ min: 1, max: 1e300, cpu: 70 }, /^max "1e\+300" is not a whole number/],
    [{ min: Number.NaN, max: 5, cpu: 70 }, /^min "NaN" is not a whole number/],
    [{ min: '', max: 5, cpu: 70 }, /^min is missing/],
  ];
  for (const [input, message] of cases) assert.throws(() => parseAutoscale(input), refusedWith('E_AUTOSCALE_INVALID', message), JSON.stringify(input));
});

/** A live release vN of `demo` on a build with these types, as the builder and deployer record it. */
async function deployed(db: Knex, types: Record<string, string>, number: number): Promise<{ build: BuildRow; release: ReleaseRow }> {
  const buildId = await insertBuild(db, 'demo', { status: 'succeeded', number });
  await db('builds').where({ id: buildId }).update({ process_types: JSON.stringify(types) });
  const app = (await db('apps').where({ name: 'demo' }).first()) as AppRow;
  await db.transaction((trx) => recordDefaultFormation(trx, app, Object.keys(types)));
  const [release] = await db('releases').insert({ app_id: app.id, version: number, build_id: buildId, description: 'Deploy', status: 'succeeded' }).returning('*');
  await db('apps').where({ id: app.id }).update({ current_release_id: (release as ReleaseRow).id });
  return { build: (await db('builds').where({ id: buildId }).first()) as BuildRow, release: release as ReleaseRow };
}

const appRow = async (db: Knex) => (await db('apps').where({ name: 'demo' }).first()) as AppRow;
const events = async (db: Knex) => (await db('outbox').where({ subject: 'paas.autoscaling.updated' }).orderBy('id')).map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload));

test('the local and Docker modes, unknown types, no release and hostile values are refused, and nothing is stored', async (t) => {
  const db = await openTestSchema(t, 'autoscale_refused');
  if (!db) return;
  await insertBuild(db, 'demo', { status: 'failed', number: 1 }); // creates the app, without a release
  await assert.rejects(setAutoscale(db, 'kubernetes', operator, 'demo', 'web', { min: 1, max: 5, cpu: 70 }), refusedWith('E_NO_RELEASE'));
  await deployed(db, { web: 'node server.js', worker: 'node worker.js' }, 2);
  for (const mode of ['local', 'docker'] as const) {
    await assert.rejects(setAutoscale(db, mode, operator, 'demo', 'web', { min: 1, max: 5, cpu: 70 }), refusedWith('E_AUTOSCALE_UNAVAILABLE', new RegExp(`needs Kubernetes mode \\(PAAS_RUNTIME=kubernetes\\); this platform runs in ${mode} mode`)));
    await assert.rejects(removeAutoscale(db, mode, operator, 'demo', 'web'), refusedWith('E_AUTOSCALE_UNAVAILABLE'));
  }
  await assert.rejects(setAutoscale(db, 'local', operator, 'nosuch', 'web', { min: 1, max: 5, cpu: 70 }), refusedWith('E_APP_NOT_FOUND'), 'the app first, whatever the mode');
  await assert.rejects(setAutoscale(db, 'kubernetes', operator, 'demo', 'clock', { min: 1, max: 5, cpu: 70 }), refusedWith('E_PROCESS_TYPE_UNKNOWN', /No process type clock in v2; its types are: web, worker/));
  await assert.rejects(setAutoscale(db, 'kubernetes', operator, 'demo', 'release', { min: 1, max: 5, cpu: 70 }), refusedWith('E_PROCESS_TYPE_UNKNOWN'));
  for (const type of ['Web', '../web', '', 'w'.repeat(64), 'web;rm']) {
    await assert.rejects(setAutoscale(db, 'kubernetes', operator, 'demo', type, { min: 1, max: 5, cpu: 70 }), refusedWith('E_USAGE', /is not a process type/), type);
  }
  await assert.rejects(setAutoscale(db, 'kubernetes', operator, 'demo', 'web', { min: 1, max: 500, cpu: 70 }), refusedWith('E_AUTOSCALE_INVALID'));
  await assert.rejects(setAutoscale(db, 'kubernetes', operator, 'demo', 'web', { min: 4, max: 2, cpu: 70 }), refusedWith('E_AUTOSCALE_INVALID'));
  assert.deepEqual((await appRow(db)).autoscaling, {});
  assert.deepEqual(await events(db), []);
});

test('a setting is stored per type, announced, kept by later releases and rollbacks, and takes ps:scale away until it is off', async (t) => {
  const db = await openTestSchema(t, 'autoscale_kept');
  if (!db) return;
  const v1 = await deployed(db, { web: 'node server.js', worker: 'node worker.js' }, 1);
  assert.deepEqual(await setAutoscale(db, 'kubernetes', operator, 'demo', 'web', { min: '2', max: '6', cpu: '70' }), { min: 2, max: 6, cpu: 70 });
  await Promise.all([ // two at once both land (merged in the UPDATE)
    setAutoscale(db, 'kubernetes', operator, 'demo', 'worker', { min: 1, max: 3, cpu: 90 }),
    setAutoscale(db, 'kubernetes', operator, 'demo', 'web', { min: 1, max: 5, cpu: 60 }),
  ]);
  assert.deepEqual((await appRow(db)).autoscaling, { web: { min: 1, max: 5, cpu: 60 }, worker: { min: 1, max: 3, cpu: 90 } });
  const v2 = await deployed(db, { web: 'node server.js', worker: 'node worker.js' }, 2);
  const spec = (d: { build: BuildRow; release: ReleaseRow }, app: AppRow) => releaseSpec(config, app, d.release, d.build).processes;
  assert.deepEqual(spec(v2, await appRow(db)).map((p) => [p.type, p.quantity, p.autoscale]), [['web', 1, { min: 1, max: 5, cpu: 60 }], ['worker', 0, { min: 1, max: 3, cpu: 90 }]]);
  assert.deepEqual(spec(v1, await appRow(db)).find((p) => p.type === 'web')?.autoscale, { min: 1, max: 5, cpu: 60 }, 'a rollback to v1 keeps it (it is the app\'s, not the release\'s)');
  await assert.rejects(scaleApp(db, operator, 'demo', { web: 3 }), refusedWith('E_FORMATION_AUTOSCALED', /web of demo is autoscaled.*ps:autoscale:off demo web/));
  assert.equal(await removeAutoscale(db, 'kubernetes', operator, 'demo', 'web'), true);
  assert.equal(await removeAutoscale(db, 'kubernetes', operator, 'demo', 'web'), false, 'a second off finds nothing');
  await scaleApp(db, operator, 'demo', { web: 3 });
  const app = await appRow(db);
  assert.deepEqual(app.autoscaling, { worker: { min: 1, max: 3, cpu: 90 } });
  assert.deepEqual(spec(v2, app).map((p) => [p.type, p.quantity, p.autoscale]), [['web', 3, undefined], ['worker', 0, { min: 1, max: 3, cpu: 90 }]]);
  const announced = (await events(db)).map((e) => `${e.app}/${e.type}`);
  assert.equal(announced.length, 4, 'three settings and one off; the second off announces nothing');
  assert.deepEqual([announced[0], [...announced.slice(1, 3)].sort(), announced[3]], ['demo/web', ['demo/web', 'demo/worker'], 'demo/web']);
});
