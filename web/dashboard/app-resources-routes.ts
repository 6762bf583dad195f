// web/dashboard/app-resources-routes.ts — an app's processes (scale per process type, as ps:scale; autoscaling, as
// ps:autoscale and ps:autoscale:off) and its
// custom domains (add, and remove after a confirmation, as domains:add/remove); the page itself is domains-page.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PaasError } from '../../core/errors.ts';
import { addDomain, listDomains, removeDomain } from '../../services/apps.ts';
import { autoscalingAvailable, autoscalingOf, describeAutoscale, removeAutoscale, setAutoscale } from '../../services/autoscaling.ts';
import { formationOf, parseScale, scaleApp } from '../../services/formation.ts';
import { appPageCtx, loadApp, type AppContext } from './app-context.ts';
import { domainsPage } from './domains-page.ts';
import { attempt, errorView, field, redirect, sendPage, type DashDeps } from './respond.ts';

type AppParams = { Params: { app: string } };

async function processesPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, ctx: AppContext, extra: Record<string, unknown> = {}, status = 200) {
  const [formation, procs] = await Promise.all([formationOf(d.db, ctx.app), d.reader.status(ctx.app.name)]);
  const fromAppJson = formation.fromAppJson !== undefined;
  const autoscaled = autoscalingOf(ctx.app).map((a) => ({ type: a.type, described: describeAutoscale(a) }));
  const types = formation.entries.map((e) => ({ ...e, autoscaled: autoscaled.find((a) => a.type === e.type)?.described }));
  const kubernetes = autoscalingAvailable(d.config);
  return sendPage(d, req, reply, 'app-processes', appPageCtx(ctx, 'Processes', { types, fromAppJson, procs, autoscaled, kubernetes, ...extra }), status);
}

/** The TYPE=N pairs of the scale form (fields named qty_<type>). */
function scalePairs(req: FastifyRequest): string[] {
  const body = (req.body ?? {}) as Record<string, unknown>;
  return Object.entries(body).filter(([k]) => k.startsWith('qty_')).map(([k, v]) => `${k.slice(4)}=${String(v).trim()}`);
}

/** Registers /apps/:app/processes and /apps/:app/domains. */
export function registerAppResourcesRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get<AppParams>('/apps/:app/processes', async (req, reply) => processesPage(d, req, reply, await loadApp(d, req, req.params.app, 'processes')));

  app.post<AppParams>('/apps/:app/processes', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'processes');
    const r = await attempt(async () => {
      const quantities = parseScale(scalePairs(req));
      await scaleApp(d.db, ctx.actor, ctx.app.name, quantities);
      return quantities;
    });
    if (!r.ok) return processesPage(d, req, reply, ctx, { error: errorView(r.error) }, r.error.status);
    const said = Object.entries(r.value).map(([t, n]) => `${t}=${n}`).join(' ');
    return redirect(req, reply, `/apps/${ctx.app.name}/processes`, `Scaled ${ctx.app.name}: ${said}.`);
  });

  app.post<AppParams>('/apps/:app/autoscaling', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'processes');
    const type = field(req, 'type');
    const r = await attempt(() => setAutoscale(d.db, d.config.mode, ctx.actor, ctx.app.name, type, { min: field(req, 'min'), max: field(req, 'max'), cpu: field(req, 'cpu') }));
    if (!r.ok) return processesPage(d, req, reply, ctx, { autoscaleError: errorView(r.error) }, r.error.status);
    return redirect(req, reply, `/apps/${ctx.app.name}/processes`, `Autoscaling ${type} of ${ctx.app.name}: ${describeAutoscale(r.value)}.`);
  });

  app.post<AppParams>('/apps/:app/autoscaling/off', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'processes');
    const type = field(req, 'type');
    const r = await attempt(() => removeAutoscale(d.db, d.config.mode, ctx.actor, ctx.app.name, type));
    if (!r.ok) return processesPage(d, req, reply, ctx, { autoscaleError: errorView(r.error) }, r.error.status);
    return redirect(req, reply, `/apps/${ctx.app.name}/processes`, r.value ? `Autoscaling of ${type} is off: its ps:scale count applies again.` : `${type} was not autoscaled.`);
  });

  app.get<AppParams>('/apps/:app/domains', async (req, reply) => domainsPage(d, req, reply, await loadApp(d, req, req.params.app, 'domains')));

  app.post<AppParams>('/apps/:app/domains', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'domains');
    const host = field(req, 'hostname');
    const r = await attempt(() => addDomain(d.db, ctx.actor, ctx.app.name, host, d.config));
    if (!r.ok) return domainsPage(d, req, reply, ctx, { error: errorView(r.error), hostname: host.slice(0, 253) }, r.error.status);
    return redirect(req, reply, `/apps/${ctx.app.name}/domains`, `Added ${r.value}. Point its DNS at this platform's router.`);
  });

  app.get<AppParams & { Querystring: { hostname?: string } }>('/apps/:app/domains/remove', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'domains');
    const host = String(req.query.hostname ?? '');
    if (!(await listDomains(d.db, ctx.app.id)).includes(host)) throw new PaasError('E_DOMAIN_NOT_FOUND', `${host.slice(0, 253)} is not attached to ${ctx.app.name}`);
    return sendPage(d, req, reply, 'confirm', {
      title: 'Remove domain', nav: 'apps', action: `/apps/${ctx.app.name}/domains/remove`, fields: [{ name: 'hostname', value: host }],
      button: `Remove ${host}`, cancel: `/apps/${ctx.app.name}/domains`, message: `Stop routing ${host} to ${ctx.app.name}?`,
    });
  });

  app.post<AppParams & { Querystring: { hostname?: string } }>('/apps/:app/domains/remove', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'domains');
    const host = field(req, 'hostname') || String(req.query.hostname ?? ''); // the form's field, or htmx's hx-post URL
    await removeDomain(d.db, ctx.actor, ctx.app.name, host);
    return redirect(req, reply, `/apps/${ctx.app.name}/domains`, `Removed ${host}.`);
  });
}
