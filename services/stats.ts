// services/stats.ts — what the admin page shows about the whole platform: counts, today's builds and
// failures, disk used by the git repositories, and every user with what they own.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';

export interface SystemStats {
  apps: number; users: number; runningProcesses: number; buildsToday: number; failuresToday: number; repoBytes: number;
}

/** Bytes used by the files under dir (0 when it does not exist); symlinks are not followed. */
export async function diskUsage(dir: string): Promise<number> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await diskUsage(p);
    else if (e.isFile()) total += (await fs.lstat(p)).size;
  }
  return total;
}

const count = async (q: Knex.QueryBuilder): Promise<number> => Number((await q.count({ n: '*' }).first())?.n ?? 0);

/** Platform-wide numbers; "today" starts at midnight in the database's time zone. */
export async function systemStats(db: Knex, dataDir: string): Promise<SystemStats> {
  const today = db.raw("date_trunc('day', now())");
  const [apps, users, runningProcesses, buildsToday, failedBuilds, failedReleases, repoBytes] = await Promise.all([
    count(db('apps')), count(db('users')), count(db('processes').where({ state: 'up' })),
    count(db('builds').where('created_at', '>=', today)),
    count(db('builds').where({ status: 'failed' }).where('created_at', '>=', today)),
    count(db('releases').where({ status: 'failed' }).where('created_at', '>=', today)),
    diskUsage(path.join(dataDir, 'repos')), // gitd's repo store ($PAAS_DATA_DIR/repos, see gitd/repos.ts)
  ]);
  return { apps, users, runningProcesses, buildsToday, failuresToday: failedBuilds + failedReleases, repoBytes };
}

export interface UserOverview { id: number; email: string; isAdmin: boolean; disabled: boolean; createdAt: Date; apps: number; keys: number }

/** Every user with the number of apps they own and SSH keys they have. */
export async function userOverview(db: Knex): Promise<UserOverview[]> {
  const rows = await db('users').orderBy('id').select('id', 'email', 'is_admin', 'disabled', 'created_at',
    db('apps').count('*').whereRaw('apps.owner_id = users.id').as('apps'),
    db('ssh_keys').count('*').whereRaw('ssh_keys.user_id = users.id').as('keys'));
  return rows.map((r) => ({ id: r.id, email: r.email, isAdmin: r.is_admin, disabled: r.disabled, createdAt: r.created_at, apps: Number(r.apps), keys: Number(r.keys) }));
}
