// web/web.ts — the web server: JSON API, the dashboard, git smart HTTP (mounted from gitd), and health probes.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import { errorCodes, frameworkErrorCode, isPaasError } from '../core/errors.ts';
import { answerClientError, applyHttpLimits, serverOptions, type RefusalBody } from '../core/http-limits.ts';
import type { Logger } from '../core/logger.ts';
import type { RuntimeReader } from '../runtime/reader.ts';
import { registerApi } from './api.ts';
import { registerGitWebhook } from './git-webhook.ts';
import { registerDashboard } from './dashboard/index.ts';
import { registerMetricsRoute } from './metrics-route.ts';
import { attachHttpServer } from '../core/metrics/platform-sources.ts';
import { traceRequests } from './request-tracing.ts';

/**
 * `bus` feeds the dashboard's live views (build logs, status); `reader` is the runtime's read port (processes, app
 * logs) for the dashboard and the API; `liveRecheckMs` is how often live views re-check access.
 */
/** PAAS_TRUST_PROXY as fastify takes it: a hop count is a function of the hop (its types take no number). */
function toTrust(trust: number | readonly string[]): string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : [...trust];
}

/** A refusal the HTTP limits make (408, 431, 400), in the API's error shape. */
const jsonRefusal: RefusalBody = (e) => ({
  type: 'application/json; charset=utf-8', text: JSON.stringify({ error: { code: e.code, message: e.message } }),
});

export interface WebDeps {
  db: Knex; config: Config; log: Logger; bus: Bus; reader: RuntimeReader; liveRecheckMs?: number;
  /** The Metrics tab's poll interval in seconds (default 10 s for the hour, 60 s for the day); tests shorten it. */
  metricsPollSeconds?: number;
  /** The user docs' folder (default docs/user); tests serve other pages. */
  docsDir?: string;
  mount?: (app: FastifyInstance) => Promise<void>;
}

/** Creates the fastify app (not listening); the caller mounts gitd's HTTP routes through `mount`. */
export async function createWeb(deps: WebDeps): Promise<FastifyInstance> {
  const limits = deps.config.httpLimits;
  const app = Fastify({
    loggerInstance: deps.log.child({ module: 'web' }) as FastifyBaseLogger, bodyLimit: 1024 * 1024,
    // Slow, stalled or oversized requests are cut off (core/http-limits.ts); the refusal keeps the API's error shape.
    http: serverOptions(limits), connectionTimeout: limits.idleTimeoutMs,
    clientErrorHandler: (err, socket) => answerClientError(err, socket, jsonRefusal),
    logController: new LogController({ disableRequestLogging: true }),
    // req.ip (the sign-in limiter's client) comes from X-Forwarded-For only through the proxies PAAS_TRUST_PROXY names.
    ...(deps.config.trustProxy !== undefined ? { trustProxy: toTrust(deps.config.trustProxy) } : {}),
    // The API's schemas mean what they say: 42 is not a string (an app name "42" must not come from a number).
    ajv: { customOptions: { coerceTypes: false, allowUnionTypes: true } },
    // A malformed URL or an over-long path part never reaches a route or the error handler: same error shape.
    frameworkErrors: (err, _req, reply) => void (reply as unknown as FastifyReply).code(err.statusCode ?? 400).send({
      error: { code: 'E_BAD_REQUEST', message: err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A part of the URL is too long' : 'The URL is not valid' },
    }),
  }) as unknown as FastifyInstance;
  applyHttpLimits(app.server, limits, jsonRefusal);
  traceRequests(app);
  app.setErrorHandler((err, req, reply) => {
    if (isPaasError(err)) return reply.code(err.status).send({ error: { code: err.code, message: err.message } });
    const e = err as { statusCode?: number; message: string };
    if (e.statusCode && e.statusCode < 500) return reply.code(e.statusCode).send({ error: { code: frameworkErrorCode(e.statusCode), message: e.message } });
    const ref = crypto.randomUUID().slice(0, 8);
    req.log.error({ err, ref, reqId: req.id }, 'request failed');
    return reply.code(500).send({ error: { code: 'E_INTERNAL', message: `Internal error (reference ${ref})` } });
  });
  const dashboard = await registerDashboard(app, deps);
  app.setNotFoundHandler((req, reply) => {
    if (dashboard.wantsHtml(req)) return dashboard.notFound(req, reply);
    return reply.code(404).send({ error: { code: 'E_NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]}` } });
  });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await deps.db.raw('SELECT 1');
    } catch {
      return reply.code(503).send({ error: { code: 'E_DATABASE_UNAVAILABLE', message: errorCodes.E_DATABASE_UNAVAILABLE.doc } });
    }
    if (!deps.bus.ready()) return reply.code(503).send({ error: { code: 'E_BUS_UNAVAILABLE', message: errorCodes.E_BUS_UNAVAILABLE.doc } });
    return { ok: true, isolation: deps.config.isolation };
  });
  registerMetricsRoute(app, deps.db, deps.config.metrics.token);
  // Connections open to this port, for /metrics; no longer reported once the server closes.
  const detachHttp = attachHttpServer(app.server);
  app.addHook('onClose', async () => detachHttp());
  await registerApi(app, deps.db, deps.config, deps.reader);
  await registerGitWebhook(app, deps.db);
  if (deps.mount) await deps.mount(app);
  return app;
}
