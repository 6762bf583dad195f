// web/dashboard/activity.ts — an app's activity feed: builds and releases merged, newest first, with the
// rollback offered on every earlier release that has a build. The activity page and its live updates use it.
import type { Knex } from 'knex';
import type { AppRow } from '../../core/access.ts';
import { listBuilds } from '../../services/builds.ts';
import { listReleases } from '../../services/releases.ts';

export interface ActivityItem {
  at: Date;
  build?: { number: number; status: string; ref: string; rev: string; email: string | null; error: string | null };
  release?: { version: number; status: string; description: string; email: string | null; error: string | null; current: boolean; canRollback: boolean };
}

/** The newest `limit` builds and releases of the app, newest first. */
export async function activityOf(db: Knex, app: AppRow, limit = 40): Promise<ActivityItem[]> {
  const [builds, releases] = await Promise.all([listBuilds(db, app, limit), listReleases(db, app, limit)]);
  const items: ActivityItem[] = [
    ...builds.map((b) => ({ at: new Date(b.created_at), build: { number: b.number, status: b.status, ref: b.ref, rev: b.rev, email: b.email, error: b.error } })),
    ...releases.map((r) => ({
      at: new Date(r.created_at),
      release: {
        version: r.version, status: r.status, description: r.description, email: r.email, error: r.error,
        current: r.id === app.current_release_id,
        canRollback: r.id !== app.current_release_id && r.build_id !== null && (r.status === 'succeeded' || r.status === 'failed'),
      },
    })),
  ];
  // A push's release is created just after its build: on equal times the release goes first (it is newer).
  return items.sort((a, b) => b.at.getTime() - a.at.getTime() || (a.release ? -1 : 1)).slice(0, limit);
}
