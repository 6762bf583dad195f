// web/dashboard/app-webhooks-routes.ts — an app's Webhooks tab: its outgoing webhooks (add, showing the secret once;
// remove after a confirmation) and the delivery log with a Redeliver button, as the webhooks:* commands do.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PaasError } from '../../core/errors.ts';
import { addWebhook, listDeliveries, listWebhooks, redeliver, removeWebhook, WEBHOOK_EVENTS } from '../../services/webhooks.ts';
import { appPageCtx, loadApp, type AppContext } from './app-context.ts';
import { attempt, errorView, field, redirect, sendPage, type DashDeps } from './respond.ts';

type AppParams = { Params: { app: string } };

async function webhooksPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, ctx: AppContext, extra: Record<string, unknown> = {}, status = 200) {
  const [{ hooks }, { deliveries }] = await Promise.all([listWebhooks(d.db, ctx.actor, ctx.app.name), listDeliveries(d.db, ctx.actor, ctx.app.name)]);
  const chosen = (extra.events as string[] | undefined) ?? [];
  const events = WEBHOOK_EVENTS.map((name) => ({ name, checked: chosen.includes(name) }));
  return sendPage(d, req, reply, 'app-webhooks', appPageCtx(ctx, 'Webhooks', {
    hooks: hooks.map((h) => ({ ...h, events: h.events.join(', ') })), deliveries, eventChoices: events, ...extra,
  }), status);
}

/** The form's checked events (one field per box); none checked: every event. */
function checkedEvents(req: FastifyRequest): string[] {
  const v = (req.body as Record<string, unknown> | undefined)?.events;
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((e): e is string => typeof e === 'string').slice(0, WEBHOOK_EVENTS.length * 2);
}

/** Registers /apps/:app/webhooks and its forms. */
export function registerAppWebhookRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get<AppParams>('/apps/:app/webhooks', async (req, reply) => webhooksPage(d, req, reply, await loadApp(d, req, req.params.app, 'webhooks')));

  app.post<AppParams>('/apps/:app/webhooks', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'webhooks');
    const url = field(req, 'url');
    const events = checkedEvents(req);
    const r = await attempt(() => addWebhook(d.db, ctx.actor, ctx.app.name, url, events.length ? events : undefined, d.config.webhooks.allowPrivate));
    if (!r.ok) return webhooksPage(d, req, reply, ctx, { error: errorView(r.error), url: url.slice(0, 2048), events }, r.error.status);
    // Shown on this answer only (no redirect): the secret is never stored anywhere the browser can ask for it again.
    return webhooksPage(d, req, reply, ctx, { created: { id: r.value.id, url: r.value.url, secret: r.value.secret } }, 201);
  });

  app.get<AppParams & { Querystring: { id?: string } }>('/apps/:app/webhooks/remove', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'webhooks');
    const id = String(req.query.id ?? '');
    const hook = (await listWebhooks(d.db, ctx.actor, ctx.app.name)).hooks.find((h) => String(h.id) === id);
    if (!hook) throw new PaasError('E_HOOK_NOT_FOUND', `No webhook ${id.slice(0, 20)} on ${ctx.app.name}`);
    return sendPage(d, req, reply, 'confirm', {
      title: 'Remove webhook', nav: 'apps', action: `/apps/${ctx.app.name}/webhooks/remove`, fields: [{ name: 'id', value: id }],
      button: `Remove webhook ${id}`, cancel: `/apps/${ctx.app.name}/webhooks`, message: `Stop sending ${ctx.app.name}'s events to ${hook.url}?`,
    });
  });

  app.post<AppParams & { Querystring: { id?: string } }>('/apps/:app/webhooks/remove', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'webhooks');
    const id = field(req, 'id') || String(req.query.id ?? '');
    await removeWebhook(d.db, ctx.actor, ctx.app.name, id);
    return redirect(req, reply, `/apps/${ctx.app.name}/webhooks`, `Removed webhook ${id}.`);
  });

  app.post<AppParams>('/apps/:app/webhooks/redeliver', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'webhooks');
    const id = await redeliver(d.db, ctx.actor, ctx.app.name, field(req, 'delivery'));
    return redirect(req, reply, `/apps/${ctx.app.name}/webhooks`, `Queued delivery ${id}.`);
  });
}
