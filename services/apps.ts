// services/apps.ts — apps, their collaborators and domains; each call checks the actor's access first.
import type { Knex } from 'knex';
import { appForActor, type Actor, type AppRow } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { parseCustomDomain, type PlatformHosts } from '../core/hostnames.ts';
import { parseHostname, parseNewAppName } from '../core/names.ts';
import { enqueueEvent } from '../core/outbox.ts';
import { releaseAppCertificates } from './cert-store.ts';
import { checkAppsQuota } from './quotas.ts';
import { getUserByEmail, type User } from '../core/accounts/users.ts';
import type { IsolationState } from '../core/isolation.ts';

/**
 * Creates an app owned by the user; every face (API, dashboard, SSH and local CLI) creates apps here, so this is the
 * one check of reserved names and of single-tenant mode (no sandbox: apps would run as the platform's own user, so
 * only admins may own apps), and of the owner's plan's max apps (services/quotas.ts). `columns` are set in the same
 * insert (a review app's link to its parent: never an app row without it); `db` may be the caller's transaction.
 */
export async function createApp(db: Knex, owner: User, rawName: string, isolation: IsolationState, columns: Record<string, unknown> = {}): Promise<AppRow> {
  if (isolation.mode === 'none' && !owner.isAdmin) {
    throw new PaasError('E_SINGLE_TENANT', `This platform runs in single-tenant mode (${isolation.reason}): apps are not sandboxed, so only admins can create them`);
  }
  const name = parseNewAppName(rawName);
  return db.transaction(async (trx) => {
    await checkAppsQuota(trx, owner.id); // the plan's max apps: review apps and every face count here
    const [row] = await trx('apps').insert({ ...columns, name, owner_id: owner.id }).onConflict('name').ignore().returning('*');
    if (!row) throw new PaasError('E_APP_EXISTS', `An app named ${name} already exists; pick another name`);
    return row as AppRow;
  });
}

/** Apps the actor can see: all for the operator and admins, else owned ones, shared ones and those of their projects. */
export async function listApps(db: Knex, actor: Actor): Promise<Array<AppRow & { owner_email: string; project_name: string | null }>> {
  const q = db('apps').join('users', 'users.id', 'apps.owner_id').leftJoin('projects', 'projects.id', 'apps.project_id')
    .select('apps.*', 'users.email as owner_email', 'projects.name as project_name').orderBy('apps.name');
  if (actor.kind === 'user' && !actor.user.isAdmin) {
    const uid = actor.user.id;
    // A review app is listed by its parent's access (core/access.ts), never by its own collaborators or project.
    q.where((w) => w.where((own) => ownAccess(own.whereNull('apps.parent_app_id'), 'apps', uid))
      .orWhereIn('apps.parent_app_id', ownAccess(db('apps as p').select('p.id'), 'p', uid)));
  }
  return q;
}

/** Limits `q` to the apps (`t`: the table's alias) the user owns, collaborates on or reaches through a project. */
function ownAccess<Q extends Knex.QueryBuilder>(q: Q, t: string, uid: number): Q {
  return q.where((w) => w.where(`${t}.owner_id`, uid)
    .orWhereIn(`${t}.id`, (s) => s.from('collaborators').select('app_id').where({ user_id: uid }))
    .orWhereIn(`${t}.project_id`, (s) => s.from('project_members').select('project_id').where({ user_id: uid }))) as Q;
}

/** Destroys an app and everything it has; only its owner may, and the name must be confirmed. */
export async function destroyApp(db: Knex, actor: Actor, rawName: string, confirm: string | undefined): Promise<void> {
  const app = await appForActor(db, actor, rawName, 'manage', `Only the owner of ${rawName} (or an owner of its project) can destroy it`);
  if (confirm !== app.name) throw new PaasError('E_CONFIRM_REQUIRED', `This destroys ${app.name} and its releases. To proceed, run: apps:destroy ${app.name} --confirm ${app.name}`);
  await db.transaction((trx) => removeApp(trx, app));
}

/**
 * Removes an app's rows and announces paas.app.destroyed (the controller stops its processes and removes its slugs
 * and routes, gitd its repo); its review apps go with it. The caller has checked the right to do so.
 */
export async function removeApp(trx: Knex.Transaction, app: Pick<AppRow, 'id' | 'name'>): Promise<void> {
  const reviewApps = await trx('apps').where({ parent_app_id: app.id }).select('id', 'name');
  for (const child of reviewApps) await removeApp(trx, child);
  await trx('releases').where({ app_id: app.id }).delete();
  await releaseAppCertificates(trx, app.id); // its ACME certificates are kept a week, in case the names come back
  await trx('apps').where({ id: app.id }).delete();
  await trx('push_locks').where({ app: app.name }).delete();
  await enqueueEvent(trx, 'appDestroyed', { app: app.name });
}

const manageCollaborators = (app: string) => `Only the owner of ${app} (or an owner of its project) can manage its collaborators`;

/** Adds a collaborator by email; only the owner (or a project owner) may. */
export async function addCollaborator(db: Knex, actor: Actor, rawName: string, email: string): Promise<User> {
  const app = await appForActor(db, actor, rawName, 'manage', manageCollaborators(rawName));
  if (app.parent_app_id != null) {
    const parent = await db('apps').where({ id: app.parent_app_id }).first('name');
    throw new PaasError('E_COLLABORATOR_INVALID', `${app.name} is a review app: it has the access of its parent ${parent?.name ?? ''}; add collaborators there`);
  }
  const user = await getUserByEmail(db, email);
  if (user.id === app.owner_id) throw new PaasError('E_COLLABORATOR_INVALID', `${user.email} already owns ${app.name}`);
  const inserted = await db('collaborators').insert({ app_id: app.id, user_id: user.id }).onConflict(['app_id', 'user_id']).ignore().returning('user_id');
  if (!inserted.length) throw new PaasError('E_COLLABORATOR_INVALID', `${user.email} is already a collaborator on ${app.name}`);
  return user;
}

export async function removeCollaborator(db: Knex, actor: Actor, rawName: string, email: string): Promise<void> {
  const app = await appForActor(db, actor, rawName, 'manage', manageCollaborators(rawName));
  const user = await getUserByEmail(db, email);
  const n = await db('collaborators').where({ app_id: app.id, user_id: user.id }).delete();
  if (!n) throw new PaasError('E_USER_NOT_FOUND', `${user.email} is not a collaborator on ${app.name}`);
}

/** The app's collaborators; a review app's are its parent's (it has the parent's access: core/access.ts). */
export async function listCollaborators(db: Knex, app: AppRow): Promise<string[]> {
  const rows = await db('collaborators').join('users', 'users.id', 'collaborators.user_id').where({ app_id: app.parent_app_id ?? app.id }).orderBy('email').select('email');
  return rows.map((r) => r.email as string);
}

/** Custom domains routed to the app besides <app>.<base domain>. */
export async function listDomains(db: Knex, appId: number): Promise<string[]> {
  return (await db('domains').where({ app_id: appId }).orderBy('hostname')).map((r) => r.hostname as string);
}

/**
 * Attaches a custom domain. core/hostnames.ts refuses IP literals and the platform's own hosts: names under the base
 * domain (`<app>.<base>` belongs to the app of that name) and the dashboard's host, whose cookies an app must never get.
 */
/**
 * Custom domains one app may have. Each may get an ACME certificate from the platform's one account, whose rate
 * limits every tenant shares (controller/certificates.ts budgets orders too); Heroku's limit is higher, Dokku has none.
 */
export const MAX_DOMAINS_PER_APP = 50;

export async function addDomain(db: Knex, actor: Actor, rawName: string, rawHost: string, platform: PlatformHosts): Promise<string> {
  const app = await appForActor(db, actor, rawName);
  const hostname = parseCustomDomain(rawHost, platform);
  await db.transaction(async (trx) => {
    await trx('apps').where({ id: app.id }).forUpdate().first('id'); // one count at a time per app
    const counted = await trx('domains').where({ app_id: app.id }).count({ n: '*' }).first();
    if (Number(counted?.n ?? 0) >= MAX_DOMAINS_PER_APP) throw new PaasError('E_DOMAIN_LIMIT', `${app.name} has ${MAX_DOMAINS_PER_APP} custom domains, as many as an app may have; remove one first (domains:remove)`);
    const [row] = await trx('domains').insert({ hostname, app_id: app.id }).onConflict('hostname').ignore().returning('hostname');
    if (!row) throw new PaasError('E_DOMAIN_EXISTS', `${hostname} is already attached to an app`);
    await enqueueEvent(trx, 'domainsUpdated', { app: app.name });
  });
  return hostname;
}

export async function removeDomain(db: Knex, actor: Actor, rawName: string, rawHost: string): Promise<void> {
  const app = await appForActor(db, actor, rawName);
  const hostname = parseHostname(rawHost);
  await db.transaction(async (trx) => {
    const n = await trx('domains').where({ app_id: app.id, hostname }).delete();
    if (!n) throw new PaasError('E_DOMAIN_NOT_FOUND', `${hostname} is not attached to ${app.name}`);
    await enqueueEvent(trx, 'domainsUpdated', { app: app.name });
  });
}
