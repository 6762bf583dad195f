// web/web.ts — the web server: JSON API, the dashboard, git smart HTTP (mounted from gitd), and health probes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import { errorCodes, isPaasError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { registerApi } from './api.ts';
import { registerDashboard } from './dashboard/index.ts';

/** `bus` feeds the dashboard's live views (build logs, app logs, status); `liveRecheckMs` is how often they re-check access. */
export interface WebDeps { db: Knex; config: Config; log: Logger; bus: Bus; liveRecheckMs?: number; mount?: (app: FastifyInstance) => Promise<void> }

/** Creates the fastify app (not listening); the caller mounts gitd's HTTP routes through `mount`. */
export async function createWeb(deps: WebDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log.child({ module: 'web' }) as FastifyBaseLogger, disableRequestLogging: true, bodyLimit: 1024 * 1024 }) as unknown as FastifyInstance;
  app.setErrorHandler((err, req, reply) => {
    if (isPaasError(err)) return reply.code(err.status).send({ error: { code: err.code, message: err.message } });
    const e = err as { statusCode?: number; message: string };
    if (e.statusCode && e.statusCode < 500) return reply.code(e.statusCode).send({ error: { code: 'E_BAD_REQUEST', message: e.message } });
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
    return { ok: true };
  });
  await registerApi(app, deps.db, deps.config);
  if (deps.mount) await deps.mount(app);
  return app;
}
