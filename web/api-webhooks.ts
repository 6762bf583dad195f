// web/api-webhooks.ts — the JSON API of an app's outgoing webhooks: list, add (the answer holds the secret, once),
// remove, the delivery log (all hooks, or one) and redeliver. Registered by api.ts inside its authenticated scope;
// services/webhooks.ts checks the app's access first, so another user's app answers the same 404 as a missing one.
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import type { Knex } from 'knex';
import type { Actor } from '../core/access.ts';
import type { Config } from '../core/config.ts';
import { MAX_WEBHOOK_URL_LENGTH } from '../core/webhook-target.ts';
import { addWebhook, listDeliveries, listWebhooks, redeliver, removeWebhook, WEBHOOK_EVENTS, type WebhookView } from '../services/webhooks.ts';
import { invalidInput } from './api-schemas.ts';

const appParams = { type: 'object', properties: { app: { type: 'string' } }, required: ['app'] } as const;
const hookParams = { type: 'object', properties: { app: { type: 'string' }, id: { type: 'string' } }, required: ['app', 'id'] } as const;
const deliveryParams = { type: 'object', properties: { app: { type: 'string' }, delivery: { type: 'string' } }, required: ['app', 'delivery'] } as const;

const schemas = {
  app: { params: appParams },
  hook: { params: hookParams },
  delivery: { params: deliveryParams },
  /** `{"url": "https://…", "events": ["push", "deploy.failed"]}`; no events: all of them. */
  add: {
    params: appParams,
    body: {
      type: 'object', required: ['url'], additionalProperties: false,
      properties: {
        url: { type: 'string', maxLength: MAX_WEBHOOK_URL_LENGTH },
        events: { type: 'array', maxItems: WEBHOOK_EVENTS.length, items: { type: 'string', maxLength: 40 } },
      },
    },
  },
} satisfies Record<string, FastifySchema>;

const addErrors = invalidInput({
  'body/url': { code: 'E_HOOK_URL_INVALID', message: `url must be an http:// or https:// URL of at most ${MAX_WEBHOOK_URL_LENGTH} characters` },
  'body/events': { code: 'E_HOOK_EVENTS_INVALID', message: `events must be a list of ${WEBHOOK_EVENTS.join(', ')}` },
});

const hookJson = (h: WebhookView) => ({ id: h.id, url: h.url, events: h.events, createdAt: h.createdAt });

type AppParams = { Params: { app: string } };
type HookParams = { Params: { app: string; id: string } };

/** Registers /api/apps/:app/webhooks…; `actorOf` is api.ts's authenticated caller. */
export function registerWebhookRoutes(api: FastifyInstance, db: Knex, config: Config, actorOf: (req: FastifyRequest) => Actor): void {
  const bad = invalidInput();
  api.get<AppParams>('/api/apps/:app/webhooks', { schema: schemas.app, schemaErrorFormatter: bad }, async (req) => {
    const { hooks } = await listWebhooks(db, actorOf(req), req.params.app);
    return hooks.map(hookJson);
  });
  api.post<AppParams & { Body: { url: string; events?: string[] } }>('/api/apps/:app/webhooks', { schema: schemas.add, schemaErrorFormatter: addErrors }, async (req, reply) => {
    const events = req.body.events?.length ? req.body.events : undefined;
    const hook = await addWebhook(db, actorOf(req), req.params.app, req.body.url, events, config.webhooks.allowPrivate);
    return reply.code(201).send({ ...hookJson(hook), secret: hook.secret });
  });
  api.delete<HookParams>('/api/apps/:app/webhooks/:id', { schema: schemas.hook, schemaErrorFormatter: bad }, async (req, reply) => {
    await removeWebhook(db, actorOf(req), req.params.app, req.params.id);
    return reply.code(204).send();
  });
  api.get<AppParams>('/api/apps/:app/webhooks/deliveries', { schema: schemas.app, schemaErrorFormatter: bad },
    async (req) => (await listDeliveries(db, actorOf(req), req.params.app)).deliveries);
  api.get<HookParams>('/api/apps/:app/webhooks/:id/deliveries', { schema: schemas.hook, schemaErrorFormatter: bad },
    async (req) => (await listDeliveries(db, actorOf(req), req.params.app, req.params.id)).deliveries);
  api.post<{ Params: { app: string; delivery: string } }>('/api/apps/:app/webhooks/deliveries/:delivery/redeliver', { schema: schemas.delivery, schemaErrorFormatter: bad },
    async (req, reply) => reply.code(202).send({ id: await redeliver(db, actorOf(req), req.params.app, req.params.delivery) }));
}
