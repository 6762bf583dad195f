// web/metrics-route.ts — GET /metrics on the web port, for Prometheus: the scraper sends PAAS_METRICS_TOKEN as a
// bearer token (compared in constant time, core/metrics/token.ts), or an admin's API token. This is the security
// boundary of the platform's metrics on its public port; the health ports take the metrics token only (core/boot.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import { userForToken } from '../core/accounts/users.ts';
import { PaasError } from '../core/errors.ts';
import { metricsText } from '../core/metrics/registry.ts';
import { bearerOf } from '../core/bearer.ts';
import { sameToken } from '../core/metrics/token.ts';

/** Lets the request through with the metrics token or an admin's API token; throws E_UNAUTHENTICATED / E_FORBIDDEN. */
async function authorize(db: Knex, token: string | undefined, req: FastifyRequest): Promise<void> {
  const given = bearerOf(req.headers.authorization);
  if (given !== undefined && token !== undefined && sameToken(given, token)) return;
  const user = given !== undefined ? await userForToken(db, given) : undefined;
  if (!user) throw new PaasError('E_UNAUTHENTICATED', 'Send the metrics token (PAAS_METRICS_TOKEN) or an admin\'s API token: Authorization: Bearer <token>');
  if (!user.isAdmin) throw new PaasError('E_FORBIDDEN', 'Only the metrics token (PAAS_METRICS_TOKEN) or an admin\'s API token may read /metrics');
}

/** Registers GET /metrics; `token` is config.metrics.token (undefined: admins' tokens only). */
export function registerMetricsRoute(app: FastifyInstance, db: Knex, token: string | undefined): void {
  app.get('/metrics', async (req, reply) => {
    await authorize(db, token, req);
    const { contentType, body } = await metricsText();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
}
