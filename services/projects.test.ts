// services/projects.test.ts — projects against real PostgreSQL: hostile names, the role axis of the access matrix
// (owner, member, viewer, collaborator, stranger, admin × read, deploy, manage), who may put an app into a project,
// the last owner, and the apps list reaching apps through projects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { openTestSchema } from '../test/support/test-schema.ts';
import { accessLevel, appForActor, type AccessLevel, type Actor, type AppRow } from '../core/access.ts';
import { signUp, type User } from '../core/accounts/users.ts';
import { listApps } from './apps.ts';
import {
  addAppToProject, createProject, listProjects, projectDetail, removeAppFromProject, removeProjectMember, setProjectMember,
} from './projects.ts';

const as = (user: User): Actor => ({ kind: 'user', user });

async function people(db: Knex) {
  const make = (email: string, admin = false) => signUp(db, email, 'correct-horse', { kind: 'operator', admin });
  const admin = await make('admin@example.com', true);
  const [owner, member, viewer, collab, stranger, appOwner] = await Promise.all(
    ['owner', 'member', 'viewer', 'collab', 'stranger', 'appowner'].map((n) => make(`${n}@example.com`)));
  return { admin: admin!, owner: owner!, member: member!, viewer: viewer!, collab: collab!, stranger: stranger!, appOwner: appOwner! };
}

async function newApp(db: Knex, name: string, owner: User): Promise<AppRow> {
  const [row] = await db('apps').insert({ name, owner_id: owner.id }).returning('*');
  return row as AppRow;
}

test('project names are checked like app names; hostile ones are refused with a clear message', async (t) => {
  const db = await openTestSchema(t, 'proj');
  if (!db) return;
  const { owner } = await people(db);
  for (const bad of ['', 'A', '-a', 'a-', 'a b', '../etc', 'a/b', '<script>', 'x'.repeat(64), 'é', 'a\nb', 'a;rm']) {
    await assert.rejects(createProject(db, owner, bad), (e: any) => e.code === 'E_PROJECT_NAME_INVALID' && /not a valid project name/.test(e.message), JSON.stringify(bad));
  }
  await assert.rejects(createProject(db, owner, 42), { code: 'E_PROJECT_NAME_INVALID' });
  const p = await createProject(db, owner, 'x'.repeat(63)); // the longest name passes
  assert.equal(p.name.length, 63);
  await createProject(db, owner, 'team');
  await assert.rejects(createProject(db, owner, 'team'), { code: 'E_PROJECT_EXISTS' });
  assert.deepEqual((await projectDetail(db, as(owner), 'team')).members, [{ email: 'owner@example.com', role: 'owner' }]);
});

test('the access matrix: each role on a project app, at each level; strangers see "not found", viewers a clear refusal', async (t) => {
  const db = await openTestSchema(t, 'proj');
  if (!db) return;
  const u = await people(db);
  await createProject(db, u.owner, 'team');
  const app = await newApp(db, 'shop', u.owner);
  await addAppToProject(db, as(u.owner), 'team', 'shop');
  await setProjectMember(db, as(u.owner), 'team', 'member@example.com', 'member');
  await setProjectMember(db, as(u.owner), 'team', 'viewer@example.com', 'viewer');
  await db('collaborators').insert({ app_id: app.id, user_id: u.collab.id });
  const expected: Array<[User, AccessLevel | null]> = [
    [u.admin, 'manage'], [u.owner, 'manage'], [u.member, 'deploy'], [u.collab, 'deploy'], [u.viewer, 'read'], [u.stranger, null],
  ];
  const fresh = (await db('apps').where({ name: 'shop' }).first()) as AppRow;
  for (const [user, level] of expected) {
    assert.equal(await accessLevel(db, as(user), fresh), level, user.email);
    for (const need of ['read', 'deploy', 'manage'] as const) {
      const rank = { read: 1, deploy: 2, manage: 3 };
      const call = appForActor(db, as(user), 'shop', need);
      if (level && rank[level] >= rank[need]) assert.equal((await call).name, 'shop', `${user.email} ${need}`);
      else if (!level) await assert.rejects(call, { code: 'E_APP_NOT_FOUND', message: 'App "shop" not found, or you have no access to it' });
      else await assert.rejects(call, (e: any) => e.code === 'E_FORBIDDEN' && e.message.startsWith(`You have ${level} access to shop; this needs ${need} access`), `${user.email} ${need}`);
    }
  }
  // The default level is deploy, so call sites that pass none stay safe: a viewer cannot change anything.
  await assert.rejects(appForActor(db, as(u.viewer), 'shop'), { code: 'E_FORBIDDEN' });
  // A stranger's answer for a project app is the one for a missing app.
  await assert.rejects(appForActor(db, as(u.stranger), 'nope', 'read'), { code: 'E_APP_NOT_FOUND', message: 'App "nope" not found, or you have no access to it' });
  // Leaving the project ends the access; taking the app out ends it for everyone in the project.
  await removeProjectMember(db, as(u.owner), 'team', 'viewer@example.com');
  await assert.rejects(appForActor(db, as(u.viewer), 'shop', 'read'), { code: 'E_APP_NOT_FOUND' });
  await removeAppFromProject(db, as(u.owner), 'team', 'shop');
  await assert.rejects(appForActor(db, as(u.member), 'shop', 'read'), { code: 'E_APP_NOT_FOUND' });
});

test('an app joins a project only by its owner who also owns the project; it is in at most one', async (t) => {
  const db = await openTestSchema(t, 'proj');
  if (!db) return;
  const u = await people(db);
  await createProject(db, u.owner, 'team');
  await createProject(db, u.appOwner, 'other');
  await newApp(db, 'mine', u.appOwner);
  await newApp(db, 'theirs', u.owner);
  await setProjectMember(db, as(u.owner), 'team', 'appowner@example.com', 'member');
  // Owns the app but is only a member of the project.
  await assert.rejects(addAppToProject(db, as(u.appOwner), 'team', 'mine'), { code: 'E_FORBIDDEN' });
  // Owns the project but not the app (and cannot see it): the app is not found.
  await assert.rejects(addAppToProject(db, as(u.owner), 'team', 'mine'), { code: 'E_APP_NOT_FOUND' });
  // A stranger learns nothing of the project.
  await assert.rejects(addAppToProject(db, as(u.stranger), 'team', 'mine'), { code: 'E_PROJECT_NOT_FOUND', message: 'Project "team" not found, or you are not a member of it' });
  await assert.rejects(projectDetail(db, as(u.stranger), 'team'), { code: 'E_PROJECT_NOT_FOUND' });
  assert.equal(await addAppToProject(db, as(u.appOwner), 'other', 'mine'), undefined);
  await setProjectMember(db, as(u.owner), 'team', 'appowner@example.com', 'owner');
  assert.equal(await addAppToProject(db, as(u.appOwner), 'team', 'mine'), 'other', 'moved, not copied');
  await assert.rejects(addAppToProject(db, as(u.appOwner), 'team', 'mine'), { code: 'E_PROJECT_APP_INVALID' });
  assert.deepEqual((await projectDetail(db, as(u.appOwner), 'other')).apps, []);
  assert.deepEqual((await projectDetail(db, as(u.owner), 'team')).apps, [{ name: 'mine', owner: 'appowner@example.com' }]);
  // Admins may do it for anyone's app.
  assert.equal(await addAppToProject(db, as(u.admin), 'other', 'theirs'), undefined);
});

test('members: owners manage them, roles are exact, the last owner stays; the apps list reaches project apps', async (t) => {
  const db = await openTestSchema(t, 'proj');
  if (!db) return;
  const u = await people(db);
  await createProject(db, u.owner, 'team');
  await newApp(db, 'shop', u.owner);
  await addAppToProject(db, as(u.owner), 'team', 'shop');
  for (const bad of ['admin', 'Owner', ' owner', 'owner ', '', 'viewer,owner']) {
    await assert.rejects(setProjectMember(db, as(u.owner), 'team', 'member@example.com', bad), { code: 'E_PROJECT_ROLE_INVALID' }, bad);
  }
  assert.deepEqual(await setProjectMember(db, as(u.owner), 'team', 'member@example.com', 'member').then((r) => r.added), true);
  assert.deepEqual(await setProjectMember(db, as(u.owner), 'team', 'member@example.com', 'viewer').then((r) => r.added), false);
  await assert.rejects(setProjectMember(db, as(u.member), 'team', 'stranger@example.com', 'owner'), { code: 'E_FORBIDDEN' }, 'a viewer cannot add members');
  await assert.rejects(setProjectMember(db, as(u.owner), 'team', 'nobody@example.com', 'member'), { code: 'E_USER_NOT_FOUND' });
  await assert.rejects(removeProjectMember(db, as(u.owner), 'team', 'owner@example.com'), { code: 'E_PROJECT_LAST_OWNER' });
  await assert.rejects(setProjectMember(db, as(u.owner), 'team', 'owner@example.com', 'member'), { code: 'E_PROJECT_LAST_OWNER' });
  await assert.rejects(removeProjectMember(db, as(u.owner), 'team', 'stranger@example.com'), { code: 'E_PROJECT_MEMBER_NOT_FOUND' });
  // Two owners removing each other at once: one stays.
  await setProjectMember(db, as(u.owner), 'team', 'collab@example.com', 'owner');
  const raced = await Promise.allSettled([
    removeProjectMember(db, as(u.owner), 'team', 'collab@example.com'), removeProjectMember(db, as(u.collab), 'team', 'owner@example.com'),
  ]);
  assert.equal(raced.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(raced));
  assert.equal((await db('project_members').where({ role: 'owner' })).length, 1);
  // The viewer's apps list and projects list.
  assert.deepEqual((await listApps(db, as(u.member))).map((a) => [a.name, a.project_name]), [['shop', 'team']]);
  assert.deepEqual((await listApps(db, as(u.stranger))), []);
  assert.deepEqual((await listProjects(db, as(u.member))).map((p) => [p.name, p.role, p.apps]), [['team', 'viewer', 1]]);
  assert.deepEqual(await listProjects(db, as(u.stranger)), []);
  assert.deepEqual((await listProjects(db, as(u.admin))).map((p) => [p.name, p.role]), [['team', 'owner']]);
});

test("an app's owner takes it out of a project they were removed from; others learn nothing of the project", async (t) => {
  const db = await openTestSchema(t, 'proj');
  if (!db) return;
  const u = await people(db);
  await createProject(db, u.owner, 'team');
  await createProject(db, u.owner, 'secret');
  await newApp(db, 'mine', u.appOwner);
  await setProjectMember(db, as(u.owner), 'team', 'appowner@example.com', 'owner');
  await addAppToProject(db, as(u.appOwner), 'team', 'mine');
  await setProjectMember(db, as(u.owner), 'team', 'member@example.com', 'member');
  await removeProjectMember(db, as(u.owner), 'team', 'appowner@example.com');
  await assert.rejects(removeAppFromProject(db, as(u.member), 'team', 'mine'), { code: 'E_FORBIDDEN' }, 'a member may not');
  // The same answer for a project that exists and one that does not.
  for (const other of ['secret', 'nosuch']) {
    await assert.rejects(removeAppFromProject(db, as(u.appOwner), other, 'mine'), { code: 'E_PROJECT_APP_INVALID', message: `mine is not in project ${other}` });
  }
  await removeAppFromProject(db, as(u.appOwner), 'team', 'mine');
  assert.equal((await db('apps').where({ name: 'mine' }).first()).project_id, null);
  await assert.rejects(removeAppFromProject(db, as(u.appOwner), 'team', 'mine'), { code: 'E_PROJECT_APP_INVALID' });
  await assert.rejects(removeAppFromProject(db, as(u.appOwner), '../x', 'mine'), { code: 'E_PROJECT_NAME_INVALID' });
});
