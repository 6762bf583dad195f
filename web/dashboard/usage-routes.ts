// web/dashboard/usage-routes.ts — usage against plans in the dashboard: /account/usage (the user's own, a meter per
// limit) and /admin/usage (every user, sortable by column through ?sort=&dir=, links only: it works without JS).
// Non-admins get 404 at /admin/usage, as at /admin. services/usage.ts computes both.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PaasError } from '../../core/errors.ts';
import { allUsage, parseUsageSort, usageOf, USAGE_SORTS, type Usage } from '../../services/usage.ts';
import { fmtBytes } from './metrics-view.ts';
import { sendPage, type DashDeps } from './respond.ts';
import { actorOf, requireUser } from './sessions.ts';

/** One meter: the value, the limit and how full (0-100) it is; no limit, no meter (just the value). */
function meter(label: string, used: number, limit: number | null, unit = '') {
  const percent = limit === null ? undefined : limit === 0 ? 100 : Math.min(100, Math.round((used / limit) * 100));
  return { label, used: `${used}${unit}`, limit: limit === null ? undefined : `${limit}${unit}`, percent, max: limit ?? undefined, value: used, full: percent !== undefined && percent >= 100 };
}

/** The meters of the usage page, one per limit of the plan. */
export function meters(u: Usage) {
  return [
    meter('Apps', u.apps.used, u.apps.limit),
    meter('Process instances (busiest app)', u.instances.used, u.instances.limit),
    meter('Build minutes this month (UTC)', u.buildMinutes.used, u.buildMinutes.limit),
    meter('Disk (largest app)', u.diskMb.used, u.diskMb.limit, ' MB'),
  ];
}

/** One row of the admin list, values as the page prints them. */
function adminRow(u: Usage) {
  const of = (used: number | string, limit: number | null) => (limit === null ? `${used}` : `${used} / ${limit}`);
  return {
    email: u.email, plan: u.plan, apps: of(u.apps.used, u.apps.limit), instances: of(u.instances.used, u.instances.limit),
    minutes: of(u.buildMinutes.used, u.buildMinutes.limit), disk: of(`${u.diskMb.used} MB`, u.diskMb.limit),
  };
}

const LABELS: Record<keyof typeof USAGE_SORTS, string> = { email: 'User', plan: 'Plan', apps: 'Apps', instances: 'Instances', minutes: 'Build minutes', disk: 'Disk' };

/** Column headers whose links sort by them (again: the other direction). */
function headers(order: { sort: string; desc: boolean }) {
  return Object.entries(LABELS).map(([key, label]) => {
    const current = order.sort === key;
    const dir = current && !order.desc ? 'desc' : 'asc';
    return { label, key, dir, sort: current ? (order.desc ? 'descending' : 'ascending') : undefined };
  });
}

function adminActor(req: FastifyRequest) {
  const actor = actorOf(req);
  if (!actor.user.isAdmin) throw new PaasError('E_NOT_FOUND', 'There is no such page');
  return actor;
}

/** Registers /account/usage and /admin/usage. */
export function registerUsageRoutes(app: FastifyInstance, d: DashDeps): void {
  const memory = d.config.appLimits.memoryMb;
  app.get('/account/usage', async (req, reply) => {
    const u = await usageOf(d.db, d.config.dataDir, memory, requireUser(req));
    const apps = u.perApp.map((a) => ({ name: a.app, instances: a.instances, disk: fmtBytes(a.diskBytes) }));
    const memoryText = u.memoryMb.limit === null ? `${u.memoryMb.platform} MB (the platform's)` : `${u.memoryMb.limit} MB`;
    return sendPage(d, req, reply, 'usage', { title: 'Usage', nav: 'account', section: 'usage', usage: u, meters: meters(u), apps, memoryText });
  });
  app.get<{ Querystring: { sort?: string; dir?: string } }>('/admin/usage', async (req, reply) => {
    const actor = adminActor(req);
    const order = parseUsageSort(req.query.sort, req.query.dir);
    const rows = (await allUsage(d.db, d.config.dataDir, memory, actor, order)).map(adminRow);
    return sendPage(d, req, reply, 'admin-usage', { title: 'Usage by user', nav: 'admin', rows, headers: headers(order) });
  });
}
