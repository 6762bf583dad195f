// services/review-apps.test.ts — review-app settings and access, the review app a branch makes (owner, project,
// config, collaborators), names that never take over another app, branch deletion, the parent's destroy, and the
// expiry sweep called with a "now", and the plans' apps and build minutes for review apps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { accessLevel, appForActor, type Actor } from '../core/access.ts';
import { isPaasError } from '../core/errors.ts';
import type { IsolationState } from '../core/isolation.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { addCollaborator, createApp, destroyApp, listApps, removeCollaborator } from './apps.ts';
import { planOfApp } from './plans.ts';
import { getReviewSettings, updateReviewSettings, type ReviewAppRow } from './review-apps.ts';
import { destroyReviewAppOf, ensureReviewApp, reviewAppOf, reviewParent, sweepExpiredReviewApps, trySweepLock } from './review-push.ts';
import { checkBuildMinutes } from './build-minutes.ts';
import { createPlan, updatePlan } from './plans.ts';
import { branchHash } from '../core/review-names.ts';

const sandbox = { mode: 'sandbox', reason: 'test' } as unknown as IsolationState;
const DAY = 86_400_000;

async function user(db: Knex, email: string): Promise<Actor & { kind: 'user' }> {
  const [u] = await db('users').insert({ email, password_hash: 'x' }).returning('*');
  return { kind: 'user', user: { id: u.id, email, isAdmin: false, disabled: false } };
}

/** `shop` owned by owner@, with review apps on (7d) and a collaborator. */
async function shop(db: Knex) {
  const owner = await user(db, 'owner@example.com');
  const collab = await user(db, 'collab@example.com');
  const stranger = await user(db, 'stranger@example.com');
  const app = await createApp(db, owner.user, 'shop', sandbox);
  const [project] = await db('projects').insert({ name: 'team' }).returning('id');
  await db('apps').where({ id: app.id }).update({ config: JSON.stringify({ A: '1', B: '2' }), project_id: project.id });
  await db('collaborators').insert({ app_id: app.id, user_id: collab.user.id });
  await updateReviewSettings(db, collab, 'shop', { enabled: true, set: ['B=review', 'C=3'] });
  const parent = (await reviewParent(db, 'shop'))!;
  return { owner, collab, stranger, parent, projectId: project.id as number };
}

const destroyedEvents = async (db: Knex) => (await db('outbox').where({ subject: 'paas.app.destroyed' }).select('payload')).map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).app);

test('settings: a collaborator enables (7d by default) and sets overrides; a stranger sees no app; nested is refused', async (t) => {
  const db = await openTestSchema(t, 'rev');
  if (!db) return;
  const { stranger, collab } = await shop(db);
  const s = await getReviewSettings(db, collab, 'shop');
  assert.deepEqual([s.enabled, s.expireSeconds, s.config], [true, 7 * 86_400, { B: 'review', C: '3' }]);
  const changed = await updateReviewSettings(db, collab, 'shop', { expireSeconds: null, unset: ['C'] });
  assert.deepEqual([changed.expireSeconds, changed.config], [null, { B: 'review' }]);
  await assert.rejects(updateReviewSettings(db, collab, 'shop', { unset: ['NOPE'] }), (e) => isPaasError(e, 'E_CONFIG_KEY_NOT_FOUND'));
  await assert.rejects(updateReviewSettings(db, collab, 'shop', { set: ['bad key=1'] }), (e) => isPaasError(e, 'E_CONFIG_KEY_INVALID'));
  await assert.rejects(getReviewSettings(db, stranger, 'shop'), (e) => isPaasError(e, 'E_APP_NOT_FOUND'));
  await assert.rejects(updateReviewSettings(db, stranger, 'shop', { enabled: false }), (e) => isPaasError(e, 'E_APP_NOT_FOUND'));
  const { app } = await ensureReviewApp(db, (await reviewParent(db, 'shop'))!, 'feature', sandbox);
  await assert.rejects(updateReviewSettings(db, collab, app.name, { enabled: true }), (e) => isPaasError(e, 'E_REVIEW_APP_NESTED'));
});

test("a branch's review app: the parent's owner, config with the overrides, linked in its one insert; found again after", async (t) => {
  const db = await openTestSchema(t, 'rev');
  if (!db) return;
  const { owner, parent } = await shop(db);
  const first = await ensureReviewApp(db, parent, 'Feature/X', sandbox, new Date(Date.now() - DAY));
  assert.equal(first.created, true);
  assert.equal(first.app.name, 'shop-feature-x');
  assert.deepEqual([first.app.owner_id, first.app.project_id, first.app.parent_app_id, first.app.review_branch], [owner.user.id, null, parent.id, 'Feature/X']);
  assert.deepEqual(first.app.config, { A: '1', B: 'review', C: '3' });
  assert.deepEqual(await db('collaborators').where({ app_id: first.app.id }), [], 'no copy of the access');
  const again = await ensureReviewApp(db, parent, 'Feature/X', sandbox);
  assert.deepEqual([again.created, again.app.id], [false, first.app.id]);
  const row = await db('apps').where({ id: first.app.id }).first() as ReviewAppRow;
  assert.ok(row.review_updated_at!.getTime() > Date.now() - 60_000, 'a push marks it updated');
});

test("a review app has the parent's access and plan, now: leaving the parent or its project ends it at once", async (t) => {
  const db = await openTestSchema(t, 'rev');
  if (!db) return;
  const { owner, collab, stranger, parent, projectId } = await shop(db);
  const member = await user(db, 'member@example.com');
  await db('project_members').insert({ project_id: projectId, user_id: member.user.id, role: 'member' });
  const { app } = await ensureReviewApp(db, parent, 'feature', sandbox);
  const level = async (a: Actor) => accessLevel(db, a, await db('apps').where({ id: app.id }).first());
  assert.deepEqual([await level(owner), await level(collab), await level(member), await level(stranger)], ['manage', 'deploy', 'deploy', null]);
  assert.deepEqual((await listApps(db, member)).map((a) => a.name), ['shop', 'shop-feature']);
  const [plan] = await db('plans').insert({ name: 'team-plan', max_instances: 3 }).returning('id');
  await db('projects').where({ id: projectId }).update({ plan_id: plan.id });
  assert.deepEqual((await planOfApp(db, app.id))?.subject, { kind: 'project', id: projectId }, "the parent's project's plan");
  await assert.rejects(addCollaborator(db, owner, app.name, 'stranger@example.com'), (e) => isPaasError(e, 'E_COLLABORATOR_INVALID') && /parent shop/.test((e as Error).message));
  await removeCollaborator(db, owner, 'shop', 'collab@example.com');
  await assert.rejects(appForActor(db, collab, app.name, 'read'), (e) => isPaasError(e, 'E_APP_NOT_FOUND'));
  await db('apps').where({ id: parent.id }).update({ project_id: null }); // the parent leaves the project
  assert.equal(await level(member), null);
  assert.deepEqual((await listApps(db, member)).map((a) => a.name), []);
  assert.deepEqual((await planOfApp(db, app.id))?.subject, { kind: 'user', id: owner.user.id });
  // Rows a review app got from older versions (a copied collaborator, project) grant nothing.
  await db('collaborators').insert({ app_id: app.id, user_id: stranger.user.id });
  await db('apps').where({ id: app.id }).update({ project_id: projectId });
  assert.deepEqual([await level(stranger), await level(member), (await planOfApp(db, app.id))?.subject.kind], [null, null, 'user']);
  assert.deepEqual((await listApps(db, stranger)).map((a) => a.name), []);
});

test('names never take over another app: a taken or reserved name gets the hash; all taken is refused', async (t) => {
  const db = await openTestSchema(t, 'rev');
  if (!db) return;
  const { owner, parent } = await shop(db);
  await createApp(db, owner.user, 'shop-feature-x', sandbox); // an ordinary app of that name
  const { app } = await ensureReviewApp(db, parent, 'feature-x', sandbox);
  assert.equal(app.name, `shop-feature-x-${branchHash('feature-x', 6)}`);
  const other = await ensureReviewApp(db, parent, 'feature/x', sandbox); // same slug, another branch
  assert.equal(other.app.name, `shop-feature-x-${branchHash('feature/x', 6)}`);
  const mta = await createApp(db, owner.user, 'mta', sandbox);
  await db('apps').where({ id: mta.id }).update({ review_apps_enabled: true });
  const sts = await ensureReviewApp(db, (await reviewParent(db, 'mta'))!, 'sts', sandbox);
  assert.equal(sts.app.name, `mta-sts-${branchHash('sts', 6)}`, 'mta-sts is reserved');
  for (const n of [`shop-taken-${branchHash('taken', 6)}`, `shop-taken-${branchHash('taken', 10)}`, 'shop-taken']) await createApp(db, owner.user, n, sandbox);
  await assert.rejects(ensureReviewApp(db, parent, 'taken', sandbox), (e) => isPaasError(e, 'E_REVIEW_APP_NAME_TAKEN'));
  // Made by apps:create's service, so its refusals (here single-tenant mode; plan limits likewise) refuse the push.
  const single = { mode: 'none', reason: 'test' } as unknown as IsolationState;
  await assert.rejects(ensureReviewApp(db, parent, 'refused', single), (e) => isPaasError(e, 'E_SINGLE_TENANT'));
  assert.equal(await db('apps').where({ name: 'shop-refused' }).first(), undefined);
  assert.equal((await db('apps').where({ name: 'shop-taken' }).first()).parent_app_id, null, 'the other app is untouched');
});

test("deleting the branch, disabling, and destroying the parent destroy review apps (paas.app.destroyed each)", async (t) => {
  const db = await openTestSchema(t, 'rev');
  if (!db) return;
  const { owner, collab, parent } = await shop(db);
  await ensureReviewApp(db, parent, 'a', sandbox);
  await ensureReviewApp(db, parent, 'b', sandbox);
  await ensureReviewApp(db, parent, 'c', sandbox);
  assert.equal(await destroyReviewAppOf(db, parent, 'a'), 'shop-a');
  assert.equal(await destroyReviewAppOf(db, parent, 'a'), undefined, 'gone already');
  assert.equal(await destroyReviewAppOf(db, parent, 'zzz'), undefined);
  const off = await updateReviewSettings(db, collab, 'shop', { enabled: false });
  assert.deepEqual(off.destroyed, ['shop-b', 'shop-c']);
  await updateReviewSettings(db, collab, 'shop', { enabled: true });
  await ensureReviewApp(db, (await reviewParent(db, 'shop'))!, 'd', sandbox);
  await destroyApp(db, owner, 'shop', 'shop');
  assert.deepEqual(await db('apps').pluck('name'), []);
  assert.deepEqual((await destroyedEvents(db)).sort(), ['shop', 'shop-a', 'shop-b', 'shop-c', 'shop-d']);
});

test('the expiry sweep destroys review apps not pushed to within their expiry at "now", at the boundary too', async (t) => {
  const db = await openTestSchema(t, 'rev');
  if (!db) return;
  const { owner, collab, parent } = await shop(db);
  const now = new Date('2030-01-10T12:00:00Z');
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY);
  await ensureReviewApp(db, parent, 'old', sandbox, at(8));
  await ensureReviewApp(db, parent, 'edge', sandbox, at(7));
  await ensureReviewApp(db, parent, 'fresh', sandbox, new Date(at(7).getTime() + 1000));
  const forever = await createApp(db, owner.user, 'keep', sandbox);
  await db('apps').where({ id: forever.id }).update({ review_apps_enabled: true });
  await ensureReviewApp(db, (await reviewParent(db, 'keep'))!, 'old', sandbox, at(400)); // expiry never: kept
  assert.deepEqual(await sweepExpiredReviewApps(db, now), ['shop-edge', 'shop-old']);
  assert.deepEqual(await sweepExpiredReviewApps(db, now), [], 'nothing twice');
  await updateReviewSettings(db, collab, 'shop', { expireSeconds: 3600 });
  assert.deepEqual(await sweepExpiredReviewApps(db, now), ['shop-fresh'], 'a shorter expiry applies to existing review apps');
  assert.deepEqual((await db('apps').orderBy('name').pluck('name')), ['keep', 'keep-old', 'shop']);
});

test("the sweep's lock is per schema: another schema's sweep does not stop this one; a sweep of this schema does", async (t) => {
  const db = await openTestSchema(t, 'rev');
  const other = await openTestSchema(t, 'rev');
  if (!db || !other) return;
  const { parent } = await shop(db);
  const now = new Date('2030-01-10T12:00:00Z');
  await ensureReviewApp(db, parent, 'old', sandbox, new Date(now.getTime() - 8 * DAY));
  await db.transaction(async (trx) => {
    assert.equal(await trySweepLock(trx), true);
    assert.deepEqual(await sweepExpiredReviewApps(db, now), [], 'one sweep at a time in a schema');
  });
  await other.transaction(async (trx) => {
    assert.equal(await trySweepLock(trx), true);
    assert.deepEqual(await sweepExpiredReviewApps(db, now), ['shop-old'], 'a sweep in another schema (another platform, another test) does not block');
  });
});

test("review apps meet the plans: a new one counts against the owner's apps; its pushes are charged to its project's build minutes", async (t) => {
  const db = await openTestSchema(t, 'review_plans');
  if (!db) return;
  const { parent, projectId } = await shop(db);
  const plan = await createPlan(db, { kind: 'operator' }, 'one-app', { maxApps: 1 }, true);
  await assert.rejects(ensureReviewApp(db, parent, 'feature', sandbox), (err: unknown) => isPaasError(err, 'E_QUOTA_APPS'));
  assert.equal(await reviewAppOf(db, parent, 'feature'), undefined, 'nothing was made');
  await updatePlan(db, { kind: 'operator' }, plan.name, { maxApps: 2 });
  const { app } = await ensureReviewApp(db, parent, 'feature', sandbox);
  await checkBuildMinutes(db, app.name); // the project has no plan: the owner's default, no minutes limit
  const none = await createPlan(db, { kind: 'operator' }, 'no-minutes', { buildMinutes: 0 });
  await db('projects').where({ id: projectId }).update({ plan_id: none.id });
  await assert.rejects(checkBuildMinutes(db, app.name), (err: unknown) => isPaasError(err, 'E_QUOTA_BUILD_MINUTES') && /Plan "no-minutes"/.test(err.message));
});
