// web/dashboard/index.ts — mounts the server-rendered htmx dashboard on the web server: cookies and
// websockets, the session and CSRF hooks, security headers, the error pages, static assets and every route module.
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import type { Bus } from '../../core/bus.ts';
import type { Config } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { RuntimeReader } from '../../runtime/reader.ts';
import { registerAccountRoutes } from './account-routes.ts';
import { registerAdminRoutes } from './admin-routes.ts';
import { registerUsageRoutes } from './usage-routes.ts';
import { registerAppAccessRoutes } from './app-access-routes.ts';
import { registerAppReviewRoutes } from './app-review-routes.ts';
import { registerAppSourceRoutes } from './app-source-routes.ts';
import { registerAppCertsRoutes } from './app-certs-routes.ts';
import { registerAppConfigRoutes } from './app-config-routes.ts';
import { registerAppMetricsRoutes } from './app-metrics-routes.ts';
import { registerAppPageRoutes } from './app-page-routes.ts';
import { registerAppResourcesRoutes } from './app-resources-routes.ts';
import { registerAppWebhookRoutes } from './app-webhooks-routes.ts';
import { registerAppsRoutes } from './apps-routes.ts';
import { registerProjectsRoutes } from './projects-routes.ts';
import { registerAuthRoutes } from './auth-routes.ts';
import { registerDocsRoutes } from './docs-routes.ts';
import { csrfGuard } from './csrf.ts';
import { routerSecret } from '../../core/router-secret.ts';
import { edgeOf, type Edge } from './edge.ts';
import { dashboardErrorHandler, notFoundPage, wantsHtml } from './error-pages.ts';
import { registerKeysRoutes } from './keys-routes.ts';
import { registerLive } from './live.ts';
import { loadViews, VIEWS_DIR } from './render.ts';
import type { DashDeps } from './respond.ts';
import { loadAuth, type Auth } from './sessions.ts';
import { registerSetupRoutes } from './setup-routes.ts';
import { registerSignInRoutes } from './sign-in-routes.ts';
import { registerStatic } from './static.ts';

export interface DashboardOptions {
  db: Knex; config: Config; log: Logger; bus: Bus; reader: RuntimeReader; viewsDir?: string;
  /** How often open websockets re-check the session and the app's access (default 15 s). */
  liveRecheckMs?: number;
  /** How often the Metrics tab polls its charts, in seconds (default 10 s for the hour, 60 s for the day). */
  metricsPollSeconds?: number;
  /** The user docs' folder (default docs/user); tests serve other pages. */
  docsDir?: string;
}

export interface Dashboard {
  /** True when an unknown route should get the dashboard's HTML 404 page rather than the API's JSON. */
  wantsHtml(req: FastifyRequest): boolean;
  notFound(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
}

// Nothing loads from elsewhere: scripts, styles and sockets come from this server; no inline script or style runs.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY').header('referrer-policy', 'same-origin');
}

/** Registers the dashboard at / (next to /api, /<app>.git and the probes); returns its 404 page for the server. */
export async function registerDashboard(app: FastifyInstance, opts: DashboardOptions): Promise<Dashboard> {
  const d: DashDeps = {
    db: opts.db, config: opts.config, log: opts.log.child({ module: 'dashboard' }), bus: opts.bus, reader: opts.reader,
    views: loadViews(opts.viewsDir ?? VIEWS_DIR), liveRecheckMs: opts.liveRecheckMs ?? 15_000,
    metricsPollSeconds: opts.metricsPollSeconds,
  };
  await app.register(cookie);
  // At the root, so the 404 page (outside the scope below) names its cookies as every page does.
  // With PAAS_DOMAIN in local mode the router forwards the platform host with the data dir's secret.
  const edge = edgeOf(opts.config, opts.config.platformDomain && opts.config.edge === 'router' ? routerSecret(opts.config.dataDir) : undefined);
  app.decorateRequest('edge', null as unknown as Edge);
  app.addHook('onRequest', async (req) => { req.edge = edge; });
  await app.register(websocket, {
    options: { maxPayload: 4096 },
    // On shutdown, end live streams at once rather than waiting out each socket's close handshake.
    preClose(done) {
      for (const client of this.websocketServer.clients) client.terminate();
      this.websocketServer.close(() => done());
    },
  });
  await app.register(async (scope) => {
    await scope.register(formbody);
    scope.decorateRequest('auth', null as unknown as Auth);
    scope.addHook('onRequest', async (_req, reply) => securityHeaders(reply));
    scope.addHook('preHandler', async (req) => {
      if (!req.url.startsWith('/static/')) await loadAuth(d.db, req);
      await csrfGuard(req);
    });
    scope.setErrorHandler(dashboardErrorHandler(d));
    registerStatic(scope);
    registerDocsRoutes(scope, d, opts.docsDir);
    registerAuthRoutes(scope, d);
    registerSetupRoutes(scope, d);
    registerSignInRoutes(scope, d);
    registerKeysRoutes(scope, d);
    registerAccountRoutes(scope, d);
    registerAppsRoutes(scope, d);
    registerProjectsRoutes(scope, d);
    registerAppPageRoutes(scope, d);
    registerAppMetricsRoutes(scope, d);
    registerAppConfigRoutes(scope, d);
    registerAppResourcesRoutes(scope, d);
    registerAppWebhookRoutes(scope, d);
    registerAppCertsRoutes(scope, d);
    registerAppAccessRoutes(scope, d);
    registerAppReviewRoutes(scope, d);
    registerAppSourceRoutes(scope, d);
    registerAdminRoutes(scope, d);
    registerUsageRoutes(scope, d);
    registerLive(scope, d);
  });
  return {
    wantsHtml,
    notFound: async (req, reply) => { securityHeaders(reply); return notFoundPage(d, req, reply); },
  };
}
