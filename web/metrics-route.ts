// web/metrics-route.ts — GET /metrics on the web port, for Prometheus: the scraper sends PAAS_METRICS_TOKEN as a
// bearer token (compared in constant time), or an admin's API token. This is the security boundary of the
// platform's metrics on its public port; the health ports of the split deployment serve them without a token.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import { userForToken } from '../core/accounts/users.ts';
import { PaasError } from '../core/errors.ts';
import { metricsText } from '../core/metrics/registry.ts';

/** True when `given` is `expected`; hashed first, so the comparison takes the same time whatever the lengths. */
export function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

/** Lets the request through with the metrics token or an admin's API token; throws E_UNAUTHENTICATED / E_FORBIDDEN. */
async function authorize(db: Knex, token: string | undefined, req: FastifyRequest): Promise<void> {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (m && token !== undefined && sameToken(m[1]!, token)) return;
  const user = m ? await userForToken(db, m[1]!) : undefined;
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
