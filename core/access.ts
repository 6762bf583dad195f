// core/access.ts — the authorisation boundary: who may act on which app. Every git, CLI and API path calls this.
import type { Knex } from 'knex';
import { PaasError } from './errors.ts';
import { parseAppName } from './names.ts';
import type { User } from './accounts/users.ts';

export interface AppRow {
  id: number; name: string; owner_id: number; config: Record<string, string>;
  formation: Record<string, number>; current_release_id: number | null; created_at: Date;
  /** The app's own uid on the host (migration 006), never shared or reused; its sandboxes run as it. */
  uid: number;
  /** ps:autoscale per process type (migration 011; Kubernetes mode only), kept across releases as the formation is. */
  autoscaling?: Record<string, AutoscaleSetting>;
  /** The project the app belongs to (migration 012), if any; its members' roles grant access (accessLevel). */
  project_id?: number | null;
  /** A review app's parent (migration 018): its access is the parent's, never a copy (accessLevel). */
  parent_app_id?: number | null;
}

/** One type's autoscaling: between min and max instances, aiming at cpu % of the requested CPU (a HorizontalPodAutoscaler). */
export interface AutoscaleSetting { min: number; max: number; cpu: number }

/** Who is acting: a user, or the local operator (the CLI on the platform's own machine, which may do anything). */
export type Actor = { kind: 'user'; user: User } | { kind: 'operator' };

/**
 * What an actor may do with an app, lowest first: `read` (see it, its releases, builds, processes and logs; not its
 * config values, which are secrets), `deploy` (push, config, scale, restart, rollback, domains, certs) and `manage`
 * (destroy, collaborators, moving it between projects). Compare levels with ACCESS_RANK, never by name.
 */
export const ACCESS_RANK = { read: 1, deploy: 2, manage: 3 } as const;
export type AccessLevel = keyof typeof ACCESS_RANK;

/** What a project role grants on the project's apps (project_members.role). */
export const PROJECT_ROLE_ACCESS = { owner: 'manage', member: 'deploy', viewer: 'read' } as const satisfies Record<string, AccessLevel>;
export type ProjectRole = keyof typeof PROJECT_ROLE_ACCESS;

/** The higher of two levels. */
function higher(a: AccessLevel | null, b: AccessLevel | null): AccessLevel | null {
  if (!a) return b;
  if (!b) return a;
  return ACCESS_RANK[a] >= ACCESS_RANK[b] ? a : b;
}

/**
 * The actor's level on the app, or null when they have none: the operator, admins and the app's owner manage; a
 * collaborator deploys; a member of the app's project gets its role's level (the highest of all that apply). A
 * review app has exactly its parent's access (its owner is the parent's owner): its own collaborators and project
 * count for nothing, so removing someone from the parent or its project removes them from its review apps too.
 */
export async function accessLevel(db: Knex, actor: Actor, app: AppRow): Promise<AccessLevel | null> {
  if (actor.kind === 'operator' || actor.user.isAdmin) return 'manage';
  if (app.parent_app_id == null) return ownLevel(db, actor.user.id, app);
  const parent = await db('apps').where({ id: app.parent_app_id }).first() as AppRow | undefined;
  return parent ? ownLevel(db, actor.user.id, parent) : null;
}

/** The level the app's own owner, collaborators and project grant (never following a parent). */
async function ownLevel(db: Knex, userId: number, app: AppRow): Promise<AccessLevel | null> {
  if (app.owner_id === userId) return 'manage';
  const [collab, member] = await Promise.all([
    db('collaborators').where({ app_id: app.id, user_id: userId }).first('user_id'),
    app.project_id == null ? undefined : db('project_members').where({ project_id: app.project_id, user_id: userId }).first('role'),
  ]);
  const byRole = member ? PROJECT_ROLE_ACCESS[member.role as ProjectRole] ?? null : null;
  return higher(collab ? 'deploy' : null, byRole);
}

const NEEDS: Record<AccessLevel, string> = {
  read: 'read access',
  deploy: 'deploy access (the app\'s owner, a collaborator, or an owner or member of its project)',
  manage: 'manage access (the app\'s owner, an owner of its project, or an admin)',
};

/**
 * Returns the app when the actor has at least `need` on it (default `deploy`). Unknown apps and apps the actor has no
 * access to at all look the same (E_APP_NOT_FOUND, no name leaks); an actor who can see the app but needs more gets
 * E_FORBIDDEN, worded by `refusal` when given.
 */
export async function appForActor(db: Knex, actor: Actor, rawName: unknown, need: AccessLevel = 'deploy', refusal?: string): Promise<AppRow> {
  const name = parseAppName(rawName);
  const app = await db('apps').where({ name }).first() as AppRow | undefined;
  const level = app ? await accessLevel(db, actor, app) : null;
  if (!app || !level) throw new PaasError('E_APP_NOT_FOUND', `App "${name}" not found, or you have no access to it`);
  if (ACCESS_RANK[level] < ACCESS_RANK[need]) {
    throw new PaasError('E_FORBIDDEN', refusal ?? `You have ${level} access to ${name}; this needs ${NEEDS[need]}`);
  }
  return app;
}

/** The refusal a viewer meets when asking for config values: they are secrets, so reading them needs deploy access. */
export function configRefusal(app: string): string {
  return `Config values of ${app} are secrets: viewers cannot see them; a project owner can make you a member`;
}

/** True when the actor owns the app (or is admin/operator); project owners manage too: use accessLevel for that. */
export function isOwner(actor: Actor, app: AppRow): boolean {
  return actor.kind === 'operator' || actor.user.isAdmin || actor.user.id === app.owner_id;
}
