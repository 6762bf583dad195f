// web/dashboard/apps-routes.ts — the apps list (status, URL, last deploy) with the create form, and app
// creation (names validated by the same service as the CLI's apps:create).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listKeys } from '../../core/accounts/users.ts';
import { appSummaries } from '../../services/app-status.ts';
import { createApp, listApps } from '../../services/apps.ts';
import { appUrl } from '../../services/release-spec.ts';
import { remotesFor } from './app-context.ts';
import { attempt, errorView, field, redirect, sendPage, type DashDeps } from './respond.ts';
import { actorOf } from './sessions.ts';

async function appsPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
  const actor = actorOf(req);
  const apps = await listApps(d.db, actor);
  const summaries = await appSummaries(d.db, apps);
  const names = new Map(apps.map((a) => [a.id, a.name]));
  const reviewOf = (a: object) => { const p = (a as { parent_app_id?: number | null }).parent_app_id; return p ? names.get(p) ?? 'another app' : undefined; };
  const rows = apps.map((a) => ({ name: a.name, reviewOf: reviewOf(a), owner: a.owner_email, mine: a.owner_id === actor.user.id, url: appUrl(d.config, a.name), ...summaries.get(a.id)! }));
  const hasKeys = (await listKeys(d.db, actor.user.id)).length > 0;
  return sendPage(d, req, reply, 'apps', { title: 'Apps', nav: 'apps', apps: rows, hasKeys, example: remotesFor(d, req, 'APP'), ...extra }, status);
}

/** Registers /apps. */
export function registerAppsRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get('/apps', async (req, reply) => appsPage(d, req, reply));

  app.post('/apps', async (req, reply) => {
    const actor = actorOf(req);
    const name = field(req, 'name').trim();
    const r = await attempt(() => createApp(d.db, actor.user, name, d.config.isolation));
    if (!r.ok) return appsPage(d, req, reply, { error: errorView(r.error), name: name.slice(0, 100) }, r.error.status);
    return redirect(req, reply, `/apps/${r.value.name}`, `Created ${r.value.name}. Add the git remote below and push to deploy it.`);
  });
}
