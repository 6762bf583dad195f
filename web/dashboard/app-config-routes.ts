// web/dashboard/app-config-routes.ts — config vars: hidden until revealed, added or edited (KEY and value),
// removed after a confirmation. Each change goes through releases.ts, so it makes a release like config:set.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PaasError } from '../../core/errors.ts';
import { configRefusal } from '../../core/access.ts';
import { parseConfigKey } from '../../core/names.ts';
import { setConfig, unsetConfig, type ReleaseRow } from '../../services/releases.ts';
import { appPageCtx, loadApp, type AppContext } from './app-context.ts';
import { attempt, errorView, field, isHtmx, redirect, sendFragment, sendPage, type DashDeps } from './respond.ts';

type AppParams = { Params: { app: string } };
type KeyParams = { Params: { app: string; key: string } };
type PageQuery = { Querystring: { reveal?: string; edit?: string } };

/** The value of one set key, or E_CONFIG_KEY_NOT_FOUND. */
function valueOf(ctx: AppContext, rawKey: string): string {
  const key = parseConfigKey(rawKey);
  const value = ctx.app.config[key];
  if (value === undefined) throw new PaasError('E_CONFIG_KEY_NOT_FOUND', `${key} is not set on ${ctx.app.name}`);
  return value;
}

function configPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, ctx: AppContext, opts: { reveal?: string; edit?: string; extra?: Record<string, unknown>; status?: number }) {
  const vars = Object.keys(ctx.app.config).sort().map((key) => ({
    key, revealed: key === opts.reveal || key === opts.edit, editing: key === opts.edit,
    value: key === opts.reveal || key === opts.edit ? ctx.app.config[key] : undefined,
  }));
  return sendPage(d, req, reply, 'app-config', appPageCtx(ctx, 'Config', { vars, ...opts.extra }), opts.status ?? 200);
}

const released = (what: string, r: ReleaseRow | undefined) =>
  r ? `${what}: release v${r.version} is deploying.` : `${what}. It applies on the first git push.`;

/** Registers /apps/:app/config. */
export function registerAppConfigRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get<AppParams & PageQuery>('/apps/:app/config', async (req, reply) => {
    const { reveal, edit } = req.query;
    // Viewers see the keys; a value (reveal, edit) needs deploy access, as the API's and the CLI's config do.
    const ctx = await loadApp(d, req, req.params.app, 'config', reveal || edit ? 'deploy' : 'read', configRefusal(req.params.app));
    if (reveal) valueOf(ctx, reveal);
    if (edit) valueOf(ctx, edit);
    return configPage(d, req, reply, ctx, { reveal, edit });
  });

  app.get<KeyParams>('/apps/:app/config/:key/reveal', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'config', 'deploy', configRefusal(req.params.app));
    const value = valueOf(ctx, req.params.key);
    if (!isHtmx(req)) return reply.redirect(`/apps/${ctx.app.name}/config?reveal=${encodeURIComponent(req.params.key)}`, 303);
    return sendFragment(d, reply, 'config-value', { value });
  });

  app.post<AppParams>('/apps/:app/config', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'config');
    const key = field(req, 'key').trim();
    const value = field(req, 'value');
    const r = await attempt(() => setConfig(d.db, ctx.actor, ctx.app.name, [`${key}=${value}`]));
    if (!r.ok) return configPage(d, req, reply, ctx, { status: r.error.status, extra: { error: errorView(r.error), newKey: key.slice(0, 200) } });
    return redirect(req, reply, `/apps/${ctx.app.name}/config`, released(`Set ${key}`, r.value));
  });

  app.get<KeyParams>('/apps/:app/config/:key/remove', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'config', 'deploy');
    valueOf(ctx, req.params.key);
    return sendPage(d, req, reply, 'confirm', {
      title: 'Remove config var', nav: 'apps', action: `/apps/${ctx.app.name}/config/${req.params.key}/remove`, button: `Remove ${req.params.key}`,
      cancel: `/apps/${ctx.app.name}/config`, message: `Remove ${req.params.key} from ${ctx.app.name}? This makes a new release without it.`,
    });
  });

  app.post<KeyParams>('/apps/:app/config/:key/remove', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'config');
    const key = parseConfigKey(req.params.key);
    const release = await unsetConfig(d.db, ctx.actor, ctx.app.name, [key]);
    return redirect(req, reply, `/apps/${ctx.app.name}/config`, released(`Removed ${key}`, release));
  });
}
