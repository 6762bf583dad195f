// web/dashboard/live.ts — the dashboard's websockets (htmx-ext-ws): a build's log, an app's logs, and an
// app's status and activity. Each refuses other sites' pages (Origin, origin.ts), then checks the session and the
// app's access before the upgrade (another user's app is a 404, as for pages), and again every few seconds while
// open, so sign-out or lost access ends the stream.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appForActor, type AppRow } from '../../core/access.ts';
import { lookupSession } from '../../core/accounts/sessions.ts';
import { appSummaries } from '../../services/app-status.ts';
import type { BuildRow } from '../../services/builds.ts';
import { activityOf } from './activity.ts';
import { appLogLineView, type LogLineView } from './ansi.ts';
import { loadApp } from './app-context.ts';
import { LOG_LINES } from './app-page-routes.ts';
import { buildState } from './build-view.ts';
import { BuildFollower, type LiveSocket } from './live-build.ts';
import { requireSameOrigin } from './origin.ts';
import type { DashDeps } from './respond.ts';
import { cookieName } from './edge.ts';
import { requireUser, SESSION_COOKIE } from './sessions.ts';

const targets = new WeakMap<FastifyRequest, { app: AppRow; build?: BuildRow }>();

type AppParams = { Params: { app: string } };

/** Closes the socket (1008: htmx does not reconnect) once the session ends or the user loses the app. */
function watch(d: DashDeps, socket: LiveSocket, req: FastifyRequest, app: AppRow): void {
  const userId = requireUser(req).id;
  const timer = setInterval(() => {
    void (async () => {
      const s = await lookupSession(d.db, req.cookies[cookieName(req, SESSION_COOKIE)]);
      if (s.state !== 'valid' || s.user.id !== userId) throw new Error('session ended');
      await appForActor(d.db, { kind: 'user', user: s.user }, app.name, 'read'); // viewers may watch
    })().catch(() => socket.close(1008, 'access ended'));
  }, d.liveRecheckMs).unref();
  socket.on('close', () => clearInterval(timer));
}

/** Sends batches of lines into #<target>, at most one message per 50 ms. */
function lineSender(d: DashDeps, socket: LiveSocket, target: string): (line: LogLineView) => void {
  let batch: LogLineView[] = [];
  let timer: NodeJS.Timeout | undefined;
  socket.on('close', () => clearTimeout(timer));
  return (line) => {
    batch.push(line);
    timer ??= setTimeout(() => {
      timer = undefined;
      if (socket.readyState === socket.OPEN) socket.send(d.views.partial('log-swap', { target, swap: 'beforeend', lines: batch }));
      batch = [];
    }, 50);
  };
}

/**
 * The app's output through the runtime's read port: its last lines replace the page's (the socket may reconnect),
 * then every new line is appended, until the socket closes.
 */
function followAppLogs(d: DashDeps, socket: LiveSocket, app: AppRow): void {
  const send = lineSender(d, socket, 'app-log');
  const tail: LogLineView[] = [];
  let following = false;
  const stop = new AbortController();
  socket.on('close', () => stop.abort());
  const onTailEnd = () => {
    following = true;
    if (socket.readyState === socket.OPEN) socket.send(d.views.partial('log-swap', { target: 'app-log', swap: 'innerHTML', lines: tail }));
  };
  d.reader.logs(app.name, { lines: LOG_LINES, follow: true, signal: stop.signal, onTailEnd }, (line) => {
    const view = appLogLineView(line);
    if (following) send(view);
    else tail.push(view);
  }).catch((err: unknown) => {
    d.log.warn({ err, app: app.name }, 'following the app log failed');
    socket.close(1011, 'the app log is unavailable');
  });
}

/** The app's status badge (and activity list when asked) as the socket opens, then whenever a build, release or deploy of it changes. */
function followAppEvents(d: DashDeps, socket: LiveSocket, app: AppRow, withActivity: boolean): void {
  let timer: NodeJS.Timeout | undefined;
  // One snapshot per message: the badge and the activity list are read in one repeatable-read transaction, so a
  // build recorded halfway through never shows in the list while the badge still says there is none.
  const refresh = () => d.db.transaction(async (trx) => {
    const fresh = (await trx('apps').where({ id: app.id }).first()) as AppRow | undefined;
    if (!fresh) { socket.close(1000, 'app destroyed'); return; }
    const summary = (await appSummaries(trx, [fresh])).get(fresh.id)!;
    let html = d.views.partial('badge', { status: summary.status, id: 'app-status', oob: true }) + d.views.partial('app-version', { summary, oob: true });
    if (withActivity) html += d.views.partial('activity', { app: fresh, activity: await activityOf(trx, fresh), oob: true });
    if (socket.readyState === socket.OPEN) socket.send(html);
  }, { isolationLevel: 'repeatable read', readOnly: true });
  const onEvent = (_s: string, p: Record<string, unknown>) => {
    if (p.app !== app.name || timer) return;
    timer = setTimeout(() => { timer = undefined; refresh().catch((err: unknown) => d.log.warn({ err, app: app.name }, 'live refresh failed')); }, 150);
  };
  const unsubs = ['paas.build.*.status', 'paas.deploy.*.status', 'paas.release.created'].map((s) => d.bus.subscribe(s, onEvent));
  socket.on('close', () => { clearTimeout(timer); unsubs.forEach((u) => u()); });
  // What changed between the page's render and this subscription (a deploy that ended while the socket connected,
  // later still behind a boosted navigation) sent no event this socket saw: send the state as it is now, once.
  refresh().catch((err: unknown) => d.log.warn({ err, app: app.name }, 'live refresh failed'));
}

/** Registers the three websocket routes. */
export function registerLive(app: FastifyInstance, d: DashDeps): void {
  app.get<AppParams & { Params: { n: string } }>('/apps/:app/builds/:n/live', {
    websocket: true,
    preHandler: async (req) => {
      requireSameOrigin(req);
      const ctx = await loadApp(d, req, req.params.app, 'activity');
      targets.set(req, { app: ctx.app, build: (await buildState(d.db, ctx.app, req.params.n)).build });
    },
  }, async (socket, req) => {
    const t = targets.get(req)!;
    watch(d, socket, req, t.app);
    const follower = new BuildFollower(d, socket, t.build!);
    await follower.start();
  });

  app.get<AppParams>('/apps/:app/logs/live', {
    websocket: true,
    preHandler: async (req) => {
      requireSameOrigin(req);
      targets.set(req, { app: (await loadApp(d, req, req.params.app, 'logs')).app });
    },
  }, (socket, req) => {
    const t = targets.get(req)!;
    watch(d, socket, req, t.app);
    followAppLogs(d, socket, t.app);
  });

  app.get<AppParams & { Querystring: { activity?: string } }>('/apps/:app/live', {
    websocket: true,
    preHandler: async (req) => {
      requireSameOrigin(req);
      targets.set(req, { app: (await loadApp(d, req, req.params.app, 'overview')).app });
    },
  }, (socket, req) => {
    const t = targets.get(req)!;
    watch(d, socket, req, t.app);
    followAppEvents(d, socket, t.app, req.query.activity === '1');
  });
}
