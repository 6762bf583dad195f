// web/git-webhook.ts — POST /hooks/git/<app> on the web port: the webhook a Git host (GitHub, Gitea/Forgejo, or any
// sender of the generic format) calls on a push. No bearer token: the HMAC signature over the raw body, checked by
// services/webhook-receive.ts, is the credential. The body is kept raw (never parsed before it is verified), 1 MiB at
// most. Security boundary (resources): as every route, the web server's limits (core/http-limits.ts: headers deadline,
// minimum body rate, connections per client); and here, since anyone may call it, a cap on requests in flight and a
// deadline for the whole body, so slow or many senders cannot hold memory or sockets for long.
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { PaasError } from '../core/errors.ts';
import { answerRefusal } from '../core/http-limits.ts';
import { receiveWebhook, WEBHOOK_BODY_LIMIT } from '../services/webhook-receive.ts';

/** The endpoint's own limits: requests being read or handled at once, and the time a whole body may take. */
export interface WebhookLimits { maxInFlight: number; bodyDeadlineMs: number }

/** 32 at once (32 MiB of bodies at most); a 1 MiB body has 30 s (Git hosts send a few KiB, and time out at 10 s). */
export const WEBHOOK_LIMITS: WebhookLimits = Object.freeze({ maxInFlight: 32, bodyDeadlineMs: 30_000 });

const jsonBody = (e: { code: string; message: string }) => ({
  type: 'application/json; charset=utf-8', text: JSON.stringify({ error: { code: e.code, message: e.message } }),
});

/** Registers the webhook route in its own scope, where every content type is read as a raw Buffer. */
export async function registerGitWebhook(app: FastifyInstance, db: Knex, limits: WebhookLimits = WEBHOOK_LIMITS): Promise<void> {
  let inFlight = 0;
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.addHook('onRequest', async (req, reply) => {
      if (inFlight >= limits.maxInFlight) {
        reply.header('retry-after', '10');
        throw new PaasError('E_WEBHOOK_BUSY', 'Too many webhook deliveries are arriving at once; send it again in a few seconds');
      }
      inFlight += 1;
      const timer = setTimeout(() => {
        // The body is still arriving: answer 408 on the socket and close it (the handler never runs).
        if (!req.raw.complete) answerRefusal(req.raw.socket, { status: 408, code: 'E_REQUEST_TIMEOUT', message: `The webhook body did not arrive within ${limits.bodyDeadlineMs / 1000} s` }, jsonBody);
      }, limits.bodyDeadlineMs);
      // 'close' comes once the answer is sent or the connection is gone, whichever is first.
      reply.raw.once('close', () => { clearTimeout(timer); inFlight -= 1; });
    });
    scope.post<{ Params: { app: string } }>('/hooks/git/:app', { bodyLimit: WEBHOOK_BODY_LIMIT }, async (req, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const answer = await receiveWebhook(db, req.params.app, req.headers, body);
      return reply.code(answer.status).send(answer.body);
    });
  });
}
