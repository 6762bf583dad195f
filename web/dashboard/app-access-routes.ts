// web/dashboard/app-access-routes.ts — who may use an app (collaborators by email; only the owner manages
// them) and destroying it (the owner types its name to confirm). Both go through controller/apps.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addCollaborator, destroyApp, listCollaborators, removeCollaborator } from '../../services/apps.ts';
import { appPageCtx, loadApp, type AppContext } from './app-context.ts';
import { settingsPage } from './app-review-routes.ts';
import { attempt, errorView, field, redirect, sendPage, type DashDeps } from './respond.ts';

type AppParams = { Params: { app: string } };

async function accessPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, ctx: AppContext, extra: Record<string, unknown> = {}, status = 200) {
  const [collaborators, owner] = await Promise.all([listCollaborators(d.db, ctx.app), d.db('users').where({ id: ctx.app.owner_id }).first('email')]);
  return sendPage(d, req, reply, 'app-access', appPageCtx(ctx, 'Access', { collaborators, ownerEmail: owner?.email, ...extra }), status);
}

/** Registers /apps/:app/access and /apps/:app/settings (review apps: app-review-routes.ts; destroy). */
export function registerAppAccessRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get<AppParams>('/apps/:app/access', async (req, reply) => accessPage(d, req, reply, await loadApp(d, req, req.params.app, 'access')));

  app.post<AppParams>('/apps/:app/access', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'access');
    const email = field(req, 'email');
    const r = await attempt(() => addCollaborator(d.db, ctx.actor, ctx.app.name, email));
    if (!r.ok) return accessPage(d, req, reply, ctx, { error: errorView(r.error), email: email.slice(0, 254) }, r.error.status);
    return redirect(req, reply, `/apps/${ctx.app.name}/access`, `Added ${r.value.email}: they can push to and manage ${ctx.app.name} now.`);
  });

  app.get<AppParams & { Querystring: { email?: string } }>('/apps/:app/access/remove', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'access');
    const email = String(req.query.email ?? '').slice(0, 254);
    return sendPage(d, req, reply, 'confirm', {
      title: 'Remove collaborator', nav: 'apps', action: `/apps/${ctx.app.name}/access/remove`, fields: [{ name: 'email', value: email }],
      button: 'Remove access', cancel: `/apps/${ctx.app.name}/access`, message: `Remove ${email}'s access to ${ctx.app.name}?`,
    });
  });

  app.post<AppParams & { Querystring: { email?: string } }>('/apps/:app/access/remove', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'access');
    const email = field(req, 'email') || String(req.query.email ?? ''); // the form's field, or htmx's hx-post URL
    const r = await attempt(() => removeCollaborator(d.db, ctx.actor, ctx.app.name, email));
    if (!r.ok) return accessPage(d, req, reply, ctx, { error: errorView(r.error) }, r.error.status);
    return redirect(req, reply, `/apps/${ctx.app.name}/access`, `Removed ${email.trim().toLowerCase()} from ${ctx.app.name}.`);
  });

  app.get<AppParams>('/apps/:app/settings', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'settings');
    return settingsPage(d, req, reply, ctx);
  });

  app.post<AppParams>('/apps/:app/destroy', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'settings');
    const r = await attempt(() => destroyApp(d.db, ctx.actor, ctx.app.name, field(req, 'confirm').trim()));
    if (!r.ok) return settingsPage(d, req, reply, ctx, { error: errorView(r.error) }, r.error.status);
    return redirect(req, reply, '/apps', `Destroyed ${ctx.app.name}, its releases and its git repository.`);
  });
}
