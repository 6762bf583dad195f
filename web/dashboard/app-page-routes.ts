// web/dashboard/app-page-routes.ts — an app's read pages: overview (URL, release, processes, remotes),
// activity with rollback, a build's log (live while it runs), and the app's logs (live).
import type { FastifyInstance } from 'fastify';
import { listKeys } from '../../core/accounts/users.ts';
import { recentLogLines } from '../../runtime/reader.ts';
import { formationOf } from '../../services/formation.ts';
import { findSource } from '../../services/git-sources.ts';
import { currentRelease, rollback } from '../../services/releases.ts';
import { activityOf } from './activity.ts';
import { appLogLineView } from './ansi.ts';
import { appPageCtx, loadApp, remotesFor } from './app-context.ts';
import { buildHistoryOf } from './build-history.ts';
import { buildState, storedLines } from './build-view.ts';
import { redirect, sendPage, type DashDeps } from './respond.ts';

type AppParams = { Params: { app: string } };

/** How many of the app's last log lines its logs page (and its live socket) starts with. */
export const LOG_LINES = 200;

/** Registers /apps/:app, /activity, /builds/:n, /logs and the rollback. */
export function registerAppPageRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get<AppParams>('/apps/:app', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'overview');
    // Who may deploy sees where the app deploys from (the Git host tab is theirs too); viewers see the git remotes.
    const [release, types, procs, activity, keys, source] = await Promise.all([
      currentRelease(d.db, ctx.app), formationOf(d.db, ctx.app), d.reader.status(ctx.app.name),
      activityOf(d.db, ctx.app, 5), listKeys(d.db, ctx.actor.user.id),
      ctx.level === 'read' ? undefined : findSource(d.db, ctx.actor, ctx.app.name),
    ]);
    const processes = types.entries.map(({ type, quantity }) => ({
      type, quantity, up: procs.filter((p) => p.type === type && p.state === 'up').length,
    }));
    return sendPage(d, req, reply, 'app-overview', appPageCtx(ctx, 'Overview', {
      release, processes, activity, hasKeys: keys.length > 0, remotes: remotesFor(d, req, ctx.app.name),
      source: source && { repoUrl: source.repoUrl, branch: source.branch },
    }));
  });

  app.get<AppParams>('/apps/:app/activity', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'activity');
    const [activity, history] = await Promise.all([activityOf(d.db, ctx.app), buildHistoryOf(d.db, ctx.app)]);
    return sendPage(d, req, reply, 'app-activity', appPageCtx(ctx, 'Activity', { activity, history, liveActivity: true }));
  });

  app.get<AppParams & { Params: { n: string } }>('/apps/:app/builds/:n', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'activity');
    const state = await buildState(d.db, ctx.app, req.params.n);
    const { lines } = await storedLines(d.db, state.build.id);
    return sendPage(d, req, reply, 'app-build', appPageCtx(ctx, `Build ${state.build.number}`, {
      ...state, lines, refresh: state.running ? 3 : undefined,
    }));
  });

  app.get<AppParams>('/apps/:app/logs', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'logs');
    const lines = (await recentLogLines(d.reader, ctx.app.name, LOG_LINES)).map((l) => appLogLineView(l));
    return sendPage(d, req, reply, 'app-logs', appPageCtx(ctx, 'Logs', { lines }));
  });

  app.get<AppParams & { Params: { v: string } }>('/apps/:app/releases/:v/rollback', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'activity');
    const v = req.params.v.replace(/^v/, '').slice(0, 9);
    return sendPage(d, req, reply, 'confirm', {
      title: 'Roll back', nav: 'apps', action: `/apps/${ctx.app.name}/releases/${encodeURIComponent(v)}/rollback`, button: `Roll back to v${v}`,
      cancel: `/apps/${ctx.app.name}/activity`,
      message: `Roll back ${ctx.app.name} to v${v}? This makes a new release with v${v}'s build and config, and deploys it.`,
    });
  });

  app.post<AppParams & { Params: { v: string } }>('/apps/:app/releases/:v/rollback', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'activity');
    const release = await rollback(d.db, ctx.actor, ctx.app.name, req.params.v);
    return redirect(req, reply, `/apps/${ctx.app.name}/activity`, `${release.description}: v${release.version} is deploying.`);
  });
}
