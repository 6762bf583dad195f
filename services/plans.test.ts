// services/plans.test.ts — plans and quotas at each limit's boundary, on a real PostgreSQL schema: no plan means
// nothing is limited; max apps (N allowed, N+1 refused, naming the plan); which plan applies (project, owner,
// default); instances (ps:scale and ps:autoscale maxima: max OK, max+1 refused); memory into the release spec and
// the pod's limit; the month's build minutes; hostile inputs to the admin's commands.
import crypto from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import type { User } from '../core/accounts/users.ts';
import { loadConfig } from '../core/config.ts';
import { isPaasError } from '../core/errors.ts';
import { kubernetesManifests } from '../runtime/reader.ts';
import { insertBuild, openTestSchema } from '../test/support/test-schema.ts';
import { createApp } from './apps.ts';
import { setAutoscale } from './autoscaling.ts';
import { buildBudget, checkBuildMinutes, recordBuildSeconds } from './build-minutes.ts';
import { scaleApp } from './formation.ts';
import { assignPlan, createPlan, parseLimit, planOfApp, updatePlan } from './plans.ts';
import { liveSpec } from './release-spec.ts';
import { allUsage, usageFor } from './usage.ts';

const operator = { kind: 'operator' } as const;
const isolation = { mode: 'sandbox', reason: '' } as never;
const config = loadConfig({ PAAS_ROUTER_PORT: '8080', PAAS_BASE_DOMAIN: 'apps.test', PAAS_APP_MEMORY_MB: '512' });

async function user(db: Knex, email: string, isAdmin = false): Promise<User> {
  const [row] = await db('users').insert({ email, password_hash: 'x', is_admin: isAdmin }).returning('*');
  return { id: row.id, email, isAdmin, disabled: false };
}

const refusedWith = (code: string, message?: RegExp) => (err: unknown) => {
  assert.ok(isPaasError(err), String(err));
  assert.equal(err.code, code, err.message);
  if (message) assert.match(err.message, message);
  return true;
};

/** A live release of the app with these process types. */
async function deploy(db: Knex, app: string, types: Record<string, string>): Promise<AppRow> {
  const buildId = await insertBuild(db, app, { status: 'succeeded' });
  await db('builds').where({ id: buildId }).update({ process_types: JSON.stringify(types), slug_dir: '/nonexistent' });
  const a = (await db('apps').where({ name: app }).first()) as AppRow;
  const [release] = await db('releases').insert({ app_id: a.id, version: 1, build_id: buildId, description: 'Deploy', status: 'succeeded' }).returning('id');
  await db('apps').where({ id: a.id }).update({ current_release_id: release.id, formation: JSON.stringify({ web: 1 }) });
  return (await db('apps').where({ id: a.id }).first()) as AppRow;
}

test('no plan at all: nothing is limited; a default plan of 2 apps: the 2nd is allowed, the 3rd refused naming the plan', async (t) => {
  const db = await openTestSchema(t, 'plans');
  if (!db) return;
  const alice = await user(db, 'alice@example.com');
  for (const n of [1, 2, 3]) await createApp(db, alice, `free-${n}`, isolation);
  const bob = await user(db, 'bob@example.com');
  await createPlan(db, operator, 'hobby', { maxApps: 2 }, true);
  await createApp(db, bob, 'bob-1', isolation);
  await createApp(db, bob, 'bob-2', isolation);
  await assert.rejects(createApp(db, bob, 'bob-3', isolation),
    refusedWith('E_QUOTA_APPS', /^Plan "hobby" allows 2 apps; you own 2\. Destroy one or ask an admin for a larger plan$/));
  assert.equal(await db('apps').where({ name: 'bob-3' }).first(), undefined, 'nothing was created');
  // A plan assigned to the user wins over the default.
  await createPlan(db, operator, 'pro', { maxApps: 3 });
  await assignPlan(db, operator, 'pro', { user: 'bob@example.com' });
  await createApp(db, bob, 'bob-3', isolation);
  await assert.rejects(createApp(db, bob, 'bob-4', isolation), refusedWith('E_QUOTA_APPS', /Plan "pro" allows 3 apps; you own 3/));
  // Two apps:create at once at the limit: the owner's row is locked, so exactly one passes.
  await updatePlan(db, operator, 'pro', { maxApps: 4 });
  const both = await Promise.allSettled([createApp(db, bob, 'race-a', isolation), createApp(db, bob, 'race-b', isolation)]);
  assert.equal(both.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(both.map((r) => r.status)));
});

test("an app's plan: its project's plan when the project has one, else its owner's, else the default", async (t) => {
  const db = await openTestSchema(t, 'plans');
  if (!db) return;
  const carol = await user(db, 'carol@example.com');
  const app = await createApp(db, carol, 'team-app', isolation);
  assert.equal((await planOfApp(db, app.id))?.plan, undefined, 'no plans: none applies');
  await createPlan(db, operator, 'basic', {}, true);
  assert.equal((await planOfApp(db, app.id))?.plan?.name, 'basic');
  await createPlan(db, operator, 'own', {});
  await assignPlan(db, operator, 'own', { user: carol.email });
  assert.equal((await planOfApp(db, app.id))?.plan?.name, 'own');
  const [project] = await db('projects').insert({ name: 'team' }).returning('id');
  await db('apps').where({ id: app.id }).update({ project_id: project.id });
  assert.equal((await planOfApp(db, app.id))?.plan?.name, 'own', 'a project without a plan: the owner\'s');
  await createPlan(db, operator, 'team-plan', {});
  await assignPlan(db, operator, 'team-plan', { project: 'team' });
  assert.deepEqual((await planOfApp(db, app.id))?.subject, { kind: 'project', id: project.id });
});

test('instances: ps:scale to exactly the plan\'s max is allowed, one more refused; autoscaling maxima count too', async (t) => {
  const db = await openTestSchema(t, 'plans');
  if (!db) return;
  const dave = await user(db, 'dave@example.com');
  await createApp(db, dave, 'scaled', isolation);
  await deploy(db, 'scaled', { web: 'node web.js', worker: 'node worker.js' });
  await createPlan(db, operator, 'small', { maxInstances: 3 }, true);
  const actor = { kind: 'user', user: dave } as const;
  await scaleApp(db, actor, 'scaled', { web: 2, worker: 1 });
  await assert.rejects(scaleApp(db, actor, 'scaled', { worker: 2 }),
    refusedWith('E_QUOTA_INSTANCES', /^Plan "small" allows 3 process instances per app; ps:scale worker=2 would make scaled run 4 in all\./));
  await scaleApp(db, actor, 'scaled', { worker: 0 });
  await setAutoscale(db, 'kubernetes', actor, 'scaled', 'worker', { min: 1, max: 1, cpu: 70 });
  await assert.rejects(setAutoscale(db, 'kubernetes', actor, 'scaled', 'worker', { min: 1, max: 2, cpu: 70 }),
    refusedWith('E_QUOTA_INSTANCES', /ps:autoscale worker --max 2 would make scaled run 4 in all/));
});

test("memory per process: the plan's value goes into the release spec and the pod's resources.limits.memory", async (t) => {
  const db = await openTestSchema(t, 'plans');
  if (!db) return;
  const erin = await user(db, 'erin@example.com');
  await createApp(db, erin, 'mem', isolation);
  const app = await deploy(db, 'mem', { web: 'node web.js' });
  assert.equal((await liveSpec(db, config, app))?.memoryMb, undefined, 'no plan: the platform\'s PAAS_APP_MEMORY_MB');
  await createPlan(db, operator, 'tiny', { maxMemoryMb: 128 }, true);
  const spec = (await liveSpec(db, config, app))!;
  assert.equal(spec.memoryMb, 128);
  const { objects } = await kubernetesManifests(config, spec, 1);
  const deployment = objects.find((o) => o.kind === 'Deployment') as { spec: { template: { spec: { containers: Array<{ resources: unknown }> } } } };
  assert.deepEqual(deployment.spec.template.spec.containers[0]!.resources, { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } });
});

test('build minutes: counted per UTC month for the owner; a push with none left is refused, one second less is allowed', async (t) => {
  const db = await openTestSchema(t, 'plans');
  if (!db) return;
  const fay = await user(db, 'fay@example.com');
  const app = await createApp(db, fay, 'minute-app', isolation);
  await createPlan(db, operator, 'minutes', { buildMinutes: 0.5 }, true);
  await recordBuildSeconds(db, app.id, 'minute-app', crypto.randomUUID(), new Date(), 29);
  // Last month's build does not count.
  await recordBuildSeconds(db, app.id, 'minute-app', crypto.randomUUID(), new Date(Date.UTC(2000, 0, 31, 23, 59)), 600);
  assert.equal((await buildBudget(db, app.id))?.leftMs, 1000);
  await checkBuildMinutes(db, 'minute-app');
  await recordBuildSeconds(db, app.id, 'minute-app', crypto.randomUUID(), new Date(), 1);
  await assert.rejects(checkBuildMinutes(db, 'minute-app'),
    refusedWith('E_QUOTA_BUILD_MINUTES', /^Plan "minutes" allows 0\.5 build minutes a month; 0\.5 are used this month \(UTC\)\. Nothing was built/));
  const usage = await usageFor(db, '/nonexistent', 512, { kind: 'user', user: fay });
  assert.deepEqual(usage.buildMinutes, { used: 0.5, limit: 0.5 });
  assert.deepEqual(usage.apps, { used: 1, limit: null });
});

test("usage: admins see everyone's, sorted by a column; users only their own; plan inputs are checked", async (t) => {
  const db = await openTestSchema(t, 'plans');
  if (!db) return;
  const [gus, hal] = [await user(db, 'gus@example.com'), await user(db, 'hal@example.com')];
  const admin = await user(db, 'root@example.com', true);
  await createApp(db, hal, 'hal-1', isolation);
  await createApp(db, hal, 'hal-2', isolation);
  await createApp(db, gus, 'gus-1', isolation);
  const sorted = await allUsage(db, '/nonexistent', 512, { kind: 'user', user: admin }, { sort: 'apps', desc: true });
  assert.deepEqual(sorted.map((u) => u.email), ['hal@example.com', 'gus@example.com', 'root@example.com']);
  await assert.rejects(allUsage(db, '/nonexistent', 512, { kind: 'user', user: gus }), refusedWith('E_FORBIDDEN'));
  await assert.rejects(usageFor(db, '/nonexistent', 512, { kind: 'user', user: gus }, 'hal@example.com'), refusedWith('E_FORBIDDEN'));
  // A non-admin cannot probe which emails have accounts: an unknown one is refused the same way as a known one.
  await assert.rejects(usageFor(db, '/nonexistent', 512, { kind: 'user', user: gus }, 'nobody@example.com'), refusedWith('E_FORBIDDEN'));
  assert.equal((await usageFor(db, '/nonexistent', 512, { kind: 'user', user: gus }, ' GUS@example.com ')).email, 'gus@example.com', 'their own, however typed');
  await assert.rejects(usageFor(db, '/nonexistent', 512, { kind: 'user', user: admin }, 'nobody@example.com'), refusedWith('E_USER_NOT_FOUND'));
  await assert.rejects(createPlan(db, { kind: 'user', user: gus }, 'mine', {}), refusedWith('E_FORBIDDEN', /Only admins can manage plans/));
  await assert.rejects(createPlan(db, operator, '../x', {}), refusedWith('E_PLAN_INVALID'));
  await assert.rejects(createPlan(db, operator, 'none', {}), refusedWith('E_PLAN_INVALID'));
  for (const bad of ['-1', '1e3', '2.5', ' ', '99999999', 'NaN']) assert.throws(() => parseLimit(bad, 'maxApps'), refusedWith('E_PLAN_INVALID'), bad);
  assert.throws(() => parseLimit('0.123', 'buildMinutes'), refusedWith('E_PLAN_INVALID'));
  assert.equal(parseLimit('0.05', 'buildMinutes'), 0.05);
  assert.equal(parseLimit('none', 'maxDiskMb'), null);
  for (const what of ['maxMemoryMb', 'maxDiskMb'] as const) {
    assert.throws(() => parseLimit('0', what), refusedWith('E_PLAN_INVALID'), `${what} 0 would read as unlimited or the platform's default`);
    assert.throws(() => parseLimit(0, what), refusedWith('E_PLAN_INVALID'));
    assert.equal(parseLimit('1', what), 1);
  }
  assert.equal(parseLimit('0', 'maxApps'), 0, 'no apps at all is a real limit');
  assert.equal(parseLimit('0', 'buildMinutes'), 0);
  await createPlan(db, operator, 'one', {}, true);
  await createPlan(db, operator, 'two', {}, true);
  assert.deepEqual((await db('plans').where({ is_default: true })).map((p) => p.name), ['two'], 'one default at a time');
  await assert.rejects(createPlan(db, operator, 'two', {}), refusedWith('E_PLAN_EXISTS'));
});
