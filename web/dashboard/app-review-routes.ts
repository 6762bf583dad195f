// web/dashboard/app-review-routes.ts — the Review apps section of an app's settings page: turn them on or off, set
// the expiry and the config overrides, and the list of review apps with links. services/review-apps.ts checks access.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatExpiry, parseExpiry } from '../../core/review-names.ts';
import { appUrl } from '../../services/release-spec.ts';
import { getReviewSettings, updateReviewSettings, type ReviewAppRow, type ReviewChange } from '../../services/review-apps.ts';
import { appPageCtx, loadApp, type AppContext } from './app-context.ts';
import { attempt, errorView, field, redirect, sendPage, type DashDeps } from './respond.ts';

type AppParams = { Params: { app: string } };

/** The settings page (review apps and destroy); `extra` carries an error of either section. */
export async function settingsPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, ctx: AppContext, extra: Record<string, unknown> = {}, status = 200) {
  // Viewers (read access) get the page without the review section: its overrides are config values.
  if (ctx.level === 'read') return sendPage(d, req, reply, 'app-settings', appPageCtx(ctx, 'Settings', { ...extra }), status);
  const s = await getReviewSettings(d.db, ctx.actor, ctx.app.name);
  const review = {
    enabled: s.enabled, isReviewApp: (ctx.app as ReviewAppRow).parent_app_id !== null,
    expire: formatExpiry(s.expireSeconds),
    overrides: Object.entries(s.config).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => ({ key, value })),
    apps: s.reviewApps.map((r) => ({ ...r, branchName: r.branch, url: r.live ? appUrl(d.config, r.name) : undefined, expiresAt: r.expiresAt?.toISOString() ?? 'never' })),
  };
  return sendPage(d, req, reply, 'app-settings', appPageCtx(ctx, 'Settings', { review, ...extra }), status);
}

/** Applies one change from a form and comes back to the settings page (with the error in its section on failure). */
async function change(d: DashDeps, req: FastifyRequest, reply: FastifyReply, toChange: () => ReviewChange, done: (destroyed: string[]) => string) {
  const ctx = await loadApp(d, req, (req.params as { app: string }).app, 'settings');
  const r = await attempt(() => updateReviewSettings(d.db, ctx.actor, ctx.app.name, toChange()));
  if (!r.ok) return settingsPage(d, req, reply, ctx, { reviewError: errorView(r.error) }, r.error.status);
  return redirect(req, reply, `/apps/${ctx.app.name}/settings#review-apps`, done(r.value.destroyed));
}

/** Registers the review-app forms' POST routes (the page itself is GET /apps/:app/settings). */
export function registerAppReviewRoutes(app: FastifyInstance, d: DashDeps): void {
  app.post<AppParams>('/apps/:app/review-apps', (req, reply) => change(d, req, reply,
    () => ({ enabled: field(req, 'enabled') === 'on', expireSeconds: parseExpiry(field(req, 'expire') || '7d') }),
    (destroyed) => (field(req, 'enabled') === 'on' ? 'Review apps are on: push a branch to get its review app.'
      : `Review apps are off.${destroyed.length ? ` Destroyed ${destroyed.join(', ')}.` : ''}`)));
  app.post<AppParams>('/apps/:app/review-apps/config', (req, reply) => change(d, req, reply,
    () => ({ set: [`${field(req, 'key').trim()}=${field(req, 'value')}`] }), () => `Set the review-app override ${field(req, 'key').trim()}.`));
  app.post<AppParams>('/apps/:app/review-apps/config/unset', (req, reply) => change(d, req, reply,
    () => ({ unset: [field(req, 'key').trim()] }), () => `Removed the review-app override ${field(req, 'key').trim()}.`));
}
