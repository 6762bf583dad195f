// web/dashboard/app-source-routes.ts — the app's "Git host" tab (issue 13 §5): connect a repository and branch,
// see the webhook URL, secret and deploy key to enter at the Git host, and the recent deliveries with their builds.
// Only users who may deploy the app reach it, the page too (it shows the webhook secret): a project viewer gets 403.
// Forms carry the CSRF token as every form does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { connectSource, disconnectSource, findSource, listDeliveries } from '../../services/git-sources.ts';
import { appPageCtx, loadApp, type AppContext } from './app-context.ts';
import { isTls } from './edge.ts';
import { attempt, errorView, field, redirect, sendPage, type DashDeps } from './respond.ts';

type AppParams = { Params: { app: string } };

/** What a viewer is told: the tab holds the webhook secret, so even reading it needs deploy access. */
const refusal = (app: string) => `The Git host settings of ${app} hold its webhook secret: they need deploy access (the app's owner, a collaborator, or an owner or member of its project)`;
const loadSourceApp = (d: DashDeps, req: FastifyRequest, app: string) => loadApp(d, req, app, 'source', 'deploy', refusal(app));
/** Deliveries still on their way to a build's end: while one is, the deliveries card refreshes itself. */
const PENDING = new Set(['queued', 'fetching', 'building']);

async function sourcePage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, ctx: AppContext, extra: Record<string, unknown> = {}, status = 200) {
  const source = await findSource(d.db, ctx.actor, ctx.app.name);
  const deliveries = source ? await listDeliveries(d.db, ctx.actor, ctx.app.name) : [];
  const base = `${isTls(req) ? 'https' : 'http'}://${req.host || `${d.config.baseDomain}:${d.config.endpoints.httpPort}`}`;
  return sendPage(d, req, reply, 'app-source', appPageCtx(ctx, 'Git host', {
    source, webhookUrl: source ? base + source.webhookPath : undefined, deliveries,
    formRepoUrl: source?.repoUrl ?? '', formBranch: source?.branch ?? 'main', ...extra,
    ...(deliveries.some((x) => PENDING.has(x.outcome)) ? { pending: true, refresh: 3 } : {}),
  }), status);
}

/** Registers /apps/:app/source (the tab), its connect form and disconnect. */
export function registerAppSourceRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get<AppParams>('/apps/:app/source', async (req, reply) => sourcePage(d, req, reply, await loadSourceApp(d, req, req.params.app)));

  app.post<AppParams>('/apps/:app/source', async (req, reply) => {
    const ctx = await loadSourceApp(d, req, req.params.app);
    const repoUrl = field(req, 'repoUrl').trim();
    const branch = field(req, 'branch').trim() || 'main';
    const r = await attempt(() => connectSource(d.db, ctx.actor, ctx.app.name, { repoUrl, branch, rotate: field(req, 'rotate') === 'on' }, d.config.gitSources.allowPrivate));
    if (!r.ok) return sourcePage(d, req, reply, ctx, { error: errorView(r.error), formRepoUrl: repoUrl.slice(0, 500), formBranch: branch.slice(0, 200) }, r.error.status);
    return redirect(req, reply, `/apps/${ctx.app.name}/source`, `${ctx.app.name} deploys from ${r.value.repoUrl} (${r.value.branch}) once the webhook is added at the Git host.`);
  });

  app.post<AppParams>('/apps/:app/source/disconnect', async (req, reply) => {
    const ctx = await loadSourceApp(d, req, req.params.app);
    const r = await attempt(() => disconnectSource(d.db, ctx.actor, ctx.app.name));
    if (!r.ok) return sourcePage(d, req, reply, ctx, { error: errorView(r.error) }, r.error.status);
    return redirect(req, reply, `/apps/${ctx.app.name}/source`, `${ctx.app.name} is no longer connected to a repository; remove the webhook at the Git host too.`);
  });
}
