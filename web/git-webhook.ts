// web/git-webhook.ts — POST /hooks/git/<app> on the web port: the webhook a Git host (GitHub, Gitea/Forgejo, or any
// sender of the generic format) calls on a push. No bearer token: the HMAC signature over the raw body, checked by
// services/webhook-receive.ts, is the credential. The body is kept raw (never parsed before it is verified), 1 MiB at most.
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { receiveWebhook, WEBHOOK_BODY_LIMIT } from '../services/webhook-receive.ts';

/** Registers the webhook route in its own scope, where every content type is read as a raw Buffer. */
export async function registerGitWebhook(app: FastifyInstance, db: Knex): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { app: string } }>('/hooks/git/:app', { bodyLimit: WEBHOOK_BODY_LIMIT }, async (req, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const answer = await receiveWebhook(db, req.params.app, req.headers, body);
      return reply.code(answer.status).send(answer.body);
    });
  });
}
