// services/projects.ts — projects: groups of apps with members in roles (owner, member, viewer). Every face (CLI, SSH,
// API, dashboard) calls these; what a role grants on the project's apps is core/access.ts's (PROJECT_ROLE_ACCESS).
import type { Knex } from 'knex';
import { appForActor, isOwner, PROJECT_ROLE_ACCESS, type Actor, type ProjectRole } from '../core/access.ts';
import { getUserByEmail, type User } from '../core/accounts/users.ts';
import { PaasError } from '../core/errors.ts';
import { parseProjectName } from '../core/names.ts';

export interface ProjectRow { id: number; name: string; plan_id: number | null; created_at: Date }

/** A project as the actor sees it: their role (admins and the operator count as owners). */
export interface ProjectForActor { project: ProjectRow; role: ProjectRole; admin: boolean }

export interface ProjectSummary { name: string; role: ProjectRole; apps: number; members: number; createdAt: Date }
export interface ProjectDetail { name: string; role: ProjectRole; apps: Array<{ name: string; owner: string }>; members: Array<{ email: string; role: ProjectRole }>; createdAt: Date }

export const PROJECT_ROLES: readonly ProjectRole[] = Object.keys(PROJECT_ROLE_ACCESS) as ProjectRole[];

/** Returns the role if it is one of owner, member, viewer (exact match), else E_PROJECT_ROLE_INVALID. */
export function parseProjectRole(raw: unknown): ProjectRole {
  if (typeof raw === 'string' && (PROJECT_ROLES as readonly string[]).includes(raw)) return raw as ProjectRole;
  throw new PaasError('E_PROJECT_ROLE_INVALID', `"${String(raw).slice(0, 40)}" is not a project role: use ${PROJECT_ROLES.join(', ')}`);
}

const isAdmin = (actor: Actor) => actor.kind === 'operator' || actor.user.isAdmin;

/**
 * The project when the actor is a member (any role) or an admin; with `manage`, only its owners and admins. A
 * project the actor is not in looks like one that does not exist (E_PROJECT_NOT_FOUND), as apps do.
 */
export async function projectForActor(db: Knex, actor: Actor, rawName: unknown, need: 'read' | 'manage' = 'read'): Promise<ProjectForActor> {
  const name = parseProjectName(rawName);
  const project = await db('projects').where({ name }).first() as ProjectRow | undefined;
  const member = project && actor.kind === 'user' ? await db('project_members').where({ project_id: project.id, user_id: actor.user.id }).first('role') : undefined;
  const admin = isAdmin(actor);
  if (!project || (!member && !admin)) throw new PaasError('E_PROJECT_NOT_FOUND', `Project "${name}" not found, or you are not a member of it`);
  const role: ProjectRole = admin ? 'owner' : member.role;
  if (need === 'manage' && role !== 'owner') throw new PaasError('E_FORBIDDEN', `Only owners of project ${name} can change its apps and members (you are a ${role})`);
  return { project, role, admin };
}

/** Creates a project; its creator is its first owner. */
export async function createProject(db: Knex, creator: User, rawName: unknown): Promise<ProjectRow> {
  const name = parseProjectName(rawName);
  return db.transaction(async (trx) => {
    const [row] = await trx('projects').insert({ name }).onConflict('name').ignore().returning('*');
    if (!row) throw new PaasError('E_PROJECT_EXISTS', `A project named ${name} already exists; pick another name`);
    await trx('project_members').insert({ project_id: row.id, user_id: creator.id, role: 'owner' });
    return row as ProjectRow;
  });
}

/** The projects the actor is a member of (all of them for admins and the operator), with counts. */
export async function listProjects(db: Knex, actor: Actor): Promise<ProjectSummary[]> {
  const q = db('projects').orderBy('projects.name').select('projects.name', 'projects.created_at',
    db('apps').count('*').whereRaw('apps.project_id = projects.id').whereNull('apps.parent_app_id').as('apps'),
    db('project_members').count('*').whereRaw('project_members.project_id = projects.id').as('members'));
  if (actor.kind === 'user') {
    q.leftJoin('project_members as mine', (j) => j.on('mine.project_id', 'projects.id').andOnVal('mine.user_id', actor.user.id)).select('mine.role');
    if (!actor.user.isAdmin) q.whereNotNull('mine.role');
  }
  const rows = await q;
  return rows.map((r) => ({ name: r.name, role: isAdmin(actor) && r.role !== 'owner' ? 'owner' : r.role, apps: Number(r.apps), members: Number(r.members), createdAt: r.created_at }));
}

/** A project's apps and members, for any member. */
export async function projectDetail(db: Knex, actor: Actor, rawName: unknown): Promise<ProjectDetail> {
  const { project, role } = await projectForActor(db, actor, rawName);
  const [apps, members] = await Promise.all([
    db('apps').join('users', 'users.id', 'apps.owner_id').where({ project_id: project.id, parent_app_id: null }).orderBy('apps.name').select('apps.name', 'users.email as owner'),
    db('project_members').join('users', 'users.id', 'project_members.user_id').where({ project_id: project.id }).orderBy('users.email').select('users.email', 'project_members.role'),
  ]);
  return { name: project.name, role, apps, members, createdAt: project.created_at };
}

/**
 * Puts an app into a project (moving it out of any other): the actor must own the app (or be admin) and be an
 * owner of the project. Returns the project it left, if any.
 */
export async function addAppToProject(db: Knex, actor: Actor, rawProject: unknown, rawApp: unknown): Promise<string | undefined> {
  const { project } = await projectForActor(db, actor, rawProject, 'manage');
  const app = await appForActor(db, actor, rawApp, 'read');
  if (!isOwner(actor, app)) throw new PaasError('E_FORBIDDEN', `Only the owner of ${app.name} can move it into a project`);
  if (app.parent_app_id != null) throw new PaasError('E_PROJECT_APP_INVALID', `${app.name} is a review app: it follows its parent's project; move the parent instead`);
  if (app.project_id === project.id) throw new PaasError('E_PROJECT_APP_INVALID', `${app.name} is already in project ${project.name}`);
  const from = app.project_id == null ? undefined : await db('projects').where({ id: app.project_id }).first('name');
  await db('apps').where({ id: app.id }).update({ project_id: project.id });
  return from?.name;
}

/**
 * Takes an app out of its project; a project owner or the app's owner may. The app's owner needs no membership (one
 * removed from the project can still take their app out), and learns nothing of other projects: a project the app
 * is not in gets the same answer whether it exists or not.
 */
export async function removeAppFromProject(db: Knex, actor: Actor, rawProject: unknown, rawApp: unknown): Promise<void> {
  const name = parseProjectName(rawProject);
  const app = await appForActor(db, actor, rawApp, 'read');
  const owner = isOwner(actor, app);
  const { project, role } = owner ? { project: await projectOfApp(db, app), role: undefined } : await projectForActor(db, actor, name);
  if (project?.name !== name || app.project_id !== project.id) throw new PaasError('E_PROJECT_APP_INVALID', `${app.name} is not in project ${name}`);
  if (!owner && role !== 'owner') throw new PaasError('E_FORBIDDEN', `Only owners of project ${name} or the owner of ${app.name} can take it out`);
  await db('apps').where({ id: app.id }).update({ project_id: null });
}

async function projectOfApp(db: Knex, app: { project_id?: number | null }): Promise<ProjectRow | undefined> {
  return app.project_id == null ? undefined : db('projects').where({ id: app.project_id }).first();
}

/** Owners left after a change, counted under the project's row lock so two removals cannot both pass. */
async function assertOwnerLeft(trx: Knex.Transaction, projectId: number, name: string): Promise<void> {
  const left = await trx('project_members').where({ project_id: projectId, role: 'owner' }).count({ n: '*' }).first();
  if (Number(left?.n ?? 0) < 1) throw new PaasError('E_PROJECT_LAST_OWNER', `Project ${name} needs at least one owner: make someone else an owner first`);
}

/** Adds a member with a role, or changes the role of one already in (owners and admins only). Returns whether the user was new. */
export async function setProjectMember(db: Knex, actor: Actor, rawProject: unknown, email: string, rawRole: unknown): Promise<{ user: User; added: boolean }> {
  const role = parseProjectRole(rawRole);
  const { project } = await projectForActor(db, actor, rawProject, 'manage');
  const user = await getUserByEmail(db, email);
  const added = await db.transaction(async (trx) => {
    await trx('projects').where({ id: project.id }).forUpdate().first('id');
    const before = await trx('project_members').where({ project_id: project.id, user_id: user.id }).first('role');
    await trx('project_members').insert({ project_id: project.id, user_id: user.id, role }).onConflict(['project_id', 'user_id']).merge(['role']);
    await assertOwnerLeft(trx, project.id, project.name);
    return !before;
  });
  return { user, added };
}

/** Removes a member (owners and admins only); the last owner stays. */
export async function removeProjectMember(db: Knex, actor: Actor, rawProject: unknown, email: string): Promise<User> {
  const { project } = await projectForActor(db, actor, rawProject, 'manage');
  const user = await getUserByEmail(db, email);
  await db.transaction(async (trx) => {
    await trx('projects').where({ id: project.id }).forUpdate().first('id');
    const n = await trx('project_members').where({ project_id: project.id, user_id: user.id }).delete();
    if (!n) throw new PaasError('E_PROJECT_MEMBER_NOT_FOUND', `${user.email} is not a member of project ${project.name}`);
    await assertOwnerLeft(trx, project.id, project.name);
  });
  return user;
}
