// services/usage.ts — what a user uses against their plan (issue 13 §3): apps, process instances and disk per app,
// memory per process, build minutes this UTC month. The CLI's `usage`, GET /api/usage and the dashboard's usage
// page show one user's; admins get every user's (GET /api/admin/usage, the admin usage page), sortable.
import path from 'node:path';
import type { Knex } from 'knex';
import type { Actor, AppRow } from '../core/access.ts';
import { appSlugsDir, dirBytes } from '../core/app-disk.ts';
import { getUserByEmail, type User } from '../core/accounts/users.ts';
import { PaasError } from '../core/errors.ts';
import { requireAdmin } from '../core/settings.ts';
import { buildSecondsUsed } from './build-minutes.ts';
import { formationOf } from './formation.ts';
import { planOfUser, type Plan } from './plans.ts';
import { totalInstances } from './quotas.ts';

/** One of the user's apps: instances it runs (autoscaled types at their maximum) and its disk (repo and slugs). */
export interface AppUsage { app: string; instances: number; diskBytes: number }

/** A user's usage; each `limit` null is unlimited. */
export interface Usage {
  email: string;
  plan: string | null;
  apps: { used: number; limit: number | null };
  /** Per app: the most instances of any app against the plan's per-app limit. */
  instances: { used: number; limit: number | null };
  memoryMb: { limit: number | null; platform: number };
  buildMinutes: { used: number; limit: number | null };
  /** Per app: the largest app's disk against the plan's per-app limit. */
  diskMb: { used: number; limit: number | null };
  perApp: AppUsage[];
}

const MB = 1024 * 1024;
const round2 = (n: number): number => Math.round(n * 100) / 100;

async function appUsage(db: Knex, dataDir: string, app: AppRow): Promise<AppUsage> {
  const { entries } = await formationOf(db, app);
  const quantities = new Map(entries.map((e) => [e.type, e.quantity]));
  const instances = totalInstances([...quantities.keys()], (t) => quantities.get(t) ?? 0, app.autoscaling);
  const repo = path.join(dataDir, 'repos', `${app.name}.git`); // gitd's repo store (gitd/repos.ts)
  const [repoBytes, slugBytes] = await Promise.all([dirBytes(repo), dirBytes(appSlugsDir(dataDir, app.name))]);
  return { app: app.name, instances, diskBytes: repoBytes + slugBytes };
}

/** The usage of one user against their own plan (their project's plans are the projects'). */
export async function usageOf(db: Knex, dataDir: string, platformMemoryMb: number, user: Pick<User, 'id' | 'email'>): Promise<Usage> {
  const plan: Plan | undefined = await planOfUser(db, user.id);
  const apps = (await db('apps').where({ owner_id: user.id }).orderBy('name')) as AppRow[];
  const perApp = await Promise.all(apps.map((a) => appUsage(db, dataDir, a)));
  const seconds = await buildSecondsUsed(db, { kind: 'user', id: user.id });
  return {
    email: user.email, plan: plan?.name ?? null,
    apps: { used: apps.length, limit: plan?.maxApps ?? null },
    instances: { used: Math.max(0, ...perApp.map((a) => a.instances)), limit: plan?.maxInstances ?? null },
    memoryMb: { limit: plan?.maxMemoryMb ?? null, platform: platformMemoryMb },
    buildMinutes: { used: round2(seconds / 60), limit: plan?.buildMinutes ?? null },
    diskMb: { used: round2(Math.max(0, ...perApp.map((a) => a.diskBytes)) / MB), limit: plan?.maxDiskMb ?? null },
    perApp,
  };
}

/** `usage [EMAIL]`: your own; another user's for admins (and the local operator, who must name one). */
export async function usageFor(db: Knex, dataDir: string, platformMemoryMb: number, actor: Actor, email?: string): Promise<Usage> {
  if (email === undefined) {
    if (actor.kind !== 'user') throw new PaasError('E_USAGE', 'Name the user: usage EMAIL');
    return usageOf(db, dataDir, platformMemoryMb, actor.user);
  }
  // Admin first: a non-admin must not learn from E_USER_NOT_FOUND which emails have accounts.
  if (actor.kind === 'user' && actor.user.email.toLowerCase() !== email.trim().toLowerCase()) requireAdmin(actor, "see other users' usage");
  const user = await getUserByEmail(db, email);
  if (actor.kind === 'user' && actor.user.id !== user.id) requireAdmin(actor, "see other users' usage");
  return usageOf(db, dataDir, platformMemoryMb, user);
}

/** The columns the admin list sorts by (`?sort=`), each with its value. */
export const USAGE_SORTS = {
  email: (u: Usage) => u.email, plan: (u: Usage) => u.plan ?? '', apps: (u: Usage) => u.apps.used,
  instances: (u: Usage) => u.instances.used, minutes: (u: Usage) => u.buildMinutes.used, disk: (u: Usage) => u.diskMb.used,
} as const;
export type UsageSort = keyof typeof USAGE_SORTS;

/** Reads `?sort=` and `?dir=` (unknown values: by email, ascending). */
export function parseUsageSort(sort: unknown, dir: unknown): { sort: UsageSort; desc: boolean } {
  const key = typeof sort === 'string' && Object.hasOwn(USAGE_SORTS, sort) ? (sort as UsageSort) : 'email';
  return { sort: key, desc: dir === 'desc' };
}

/** Every user's usage (admins), sorted by one column; ties by email. */
export async function allUsage(db: Knex, dataDir: string, platformMemoryMb: number, actor: Actor, order = parseUsageSort(undefined, undefined)): Promise<Usage[]> {
  requireAdmin(actor, "see every user's usage");
  const users = (await db('users').orderBy('email').select('id', 'email')) as Array<{ id: number; email: string }>;
  const rows = await Promise.all(users.map((u) => usageOf(db, dataDir, platformMemoryMb, u)));
  const value = USAGE_SORTS[order.sort];
  const cmp = (a: Usage, b: Usage): number => {
    const [x, y] = [value(a), value(b)];
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return (order.desc ? -c : c) || a.email.localeCompare(b.email);
  };
  return rows.sort(cmp);
}
