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
}

/** One type's autoscaling: between min and max instances, aiming at cpu % of the requested CPU (a HorizontalPodAutoscaler). */
export interface AutoscaleSetting { min: number; max: number; cpu: number }

/** Who is acting: a user, or the local operator (the CLI on the platform's own machine, which may do anything). */
export type Actor = { kind: 'user'; user: User } | { kind: 'operator' };

/** Returns the app when the actor may use it; unknown apps and apps without access look the same (no name leaks). */
export async function appForActor(db: Knex, actor: Actor, rawName: unknown): Promise<AppRow> {
  const name = parseAppName(rawName);
  const app = await db('apps').where({ name }).first() as AppRow | undefined;
  const notFound = new PaasError('E_APP_NOT_FOUND', `App "${name}" not found, or you have no access to it`);
  if (!app) throw notFound;
  if (actor.kind === 'operator' || actor.user.isAdmin || app.owner_id === actor.user.id) return app;
  const collab = await db('collaborators').where({ app_id: app.id, user_id: actor.user.id }).first();
  if (!collab) throw notFound;
  return app;
}

/** True when the actor owns the app (or is admin/operator): owners manage collaborators and destroy apps. */
export function isOwner(actor: Actor, app: AppRow): boolean {
  return actor.kind === 'operator' || actor.user.isAdmin || actor.user.id === app.owner_id;
}
