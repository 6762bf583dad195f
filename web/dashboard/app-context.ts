// web/dashboard/app-context.ts — what every app page shares: the access check (another user's app is a
// 404, as in the API), the status badge, the tabs and the git remotes to copy.
import type { FastifyRequest } from 'fastify';
import { accessLevel, appForActor, type AccessLevel, type Actor, type AppRow } from '../../core/access.ts';
import { appSummaries, type AppSummary } from '../../services/app-status.ts';
import { hasWebUrl } from '../../services/formation.ts';
import { appUrl } from '../../services/release-spec.ts';
import type { DashDeps } from './respond.ts';
import { isTls } from './edge.ts';
import { actorOf } from './sessions.ts';

export const TABS = [
  ['overview', 'Overview', ''], ['activity', 'Activity', '/activity'], ['config', 'Config', '/config'],
  ['processes', 'Processes', '/processes'], ['domains', 'Domains', '/domains'], ['logs', 'Logs', '/logs'],
  ['webhooks', 'Webhooks', '/webhooks'],
  ['metrics', 'Metrics', '/metrics'],
  ['source', 'Git host', '/source'], ['access', 'Access', '/access'], ['settings', 'Settings', '/settings'],
] as const;

export type Tab = (typeof TABS)[number][0];

export interface AppContext {
  app: AppRow; actor: Actor & { kind: 'user' }; owner: boolean; summary: AppSummary;
  /** The user's level on the app (core/access.ts): viewers (read) see pages without the forms that change things. */
  level: AccessLevel;
  /** Undefined when the live release runs no web process (nothing answers at the app's URL). */
  url: string | undefined;
  tabs: Array<{ href: string; label: string; current: boolean }>;
  /** The name of the app's project, for the header's crumbs (those who see an app see its project's name, as in the apps list). */
  project: string | undefined;
}

/** The git remotes as this browser reaches the platform: SSH on the SSH port, HTTP on this very server. */
export function remotesFor(d: DashDeps, req: FastifyRequest, app: string): { ssh: string; http: string } {
  const host = req.hostname.replace(/:\d+$/, '') || d.config.baseDomain;
  const httpHost = req.host || `${host}:${d.config.endpoints.httpPort}`;
  return { ssh: `ssh://git@${host}:${d.config.endpoints.sshPort}/${app}.git`, http: `${isTls(req) ? 'https' : 'http'}://${httpHost}/${app}.git` };
}

/**
 * Loads the app for the signed-in user (E_APP_NOT_FOUND when not theirs) with what its page header shows. A page
 * (GET, websockets too) needs read access and anything else deploy access, unless the route asks for more (`need`).
 */
export async function loadApp(d: DashDeps, req: FastifyRequest, name: string, tab: Tab, need?: AccessLevel, refusal?: string): Promise<AppContext> {
  const actor = actorOf(req);
  const app = await appForActor(d.db, actor, name, need ?? (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'deploy'), refusal);
  const level = (await accessLevel(d.db, actor, app))!;
  const summary = (await appSummaries(d.db, [app])).get(app.id)!;
  const tabs = TABS.map(([id, label, suffix]) => ({ href: `/apps/${app.name}${suffix}`, label, current: id === tab }));
  const url = (await hasWebUrl(d.db, app)) ? appUrl(d.config, app.name) : undefined;
  const project = app.project_id == null ? undefined : (await d.db('projects').where({ id: app.project_id }).first('name'))?.name as string | undefined;
  return { app, actor, owner: level === 'manage', level, summary, url, tabs, project };
}

/** The template context of an app page: the header's data plus the page's own. */
export function appPageCtx(ctx: AppContext, title: string, extra: Record<string, unknown>): Record<string, unknown> {
  return { title: `${title} · ${ctx.app.name}`, nav: 'apps', app: ctx.app, summary: ctx.summary, url: ctx.url, tabs: ctx.tabs, project: ctx.project, owner: ctx.owner, readOnly: ctx.level === 'read', ...extra };
}
