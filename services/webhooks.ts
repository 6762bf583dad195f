// services/webhooks.ts — an app's outgoing webhooks as users manage them (CLI, API, dashboard): list, add (the secret
// is shown once), remove, the delivery log, and redeliver. Access is the app's deploy right (core/access.ts).
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { appForActor, type Actor } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { checkTarget, parseWebhookUrl } from '../core/webhook-target.ts';

/** The events a hook can receive; a hook added without a list receives them all. */
export const WEBHOOK_EVENTS = ['push', 'release.created', 'deploy.succeeded', 'deploy.failed'] as const;
export type WebhookEvent = typeof WEBHOOK_EVENTS[number];

/** The most hooks one app may have. */
export const MAX_HOOKS_PER_APP = 10;
/** The most redeliveries one hook may have waiting to be sent; more are refused until some are through. */
export const MAX_QUEUED_REDELIVERIES = 5;
/** The suffix a redelivery adds to the event key it copies (one only: a redelivery of a redelivery replaces it). */
const REDELIVER_SUFFIX = /#redeliver:[0-9a-f-]{36}$/;
/** The most deliveries the log shows. */
export const DELIVERY_LOG_LIMIT = 50;

export interface WebhookView { id: number; url: string; events: WebhookEvent[]; createdAt: Date }
export interface DeliveryView {
  id: string; webhookId: number; event: string; status: string; attempts: number; responseCode: number | null;
  error: string | null; createdAt: Date; deliveredAt: Date | null; nextAttemptAt: Date | null;
}

/** Reads an event list ("push,deploy.failed", or an array); empty or absent: every event. */
export function parseWebhookEvents(raw: unknown): WebhookEvent[] {
  if (raw === undefined || raw === null || raw === '') return [...WEBHOOK_EVENTS];
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  if (!list || list.length > WEBHOOK_EVENTS.length * 2) throw new PaasError('E_HOOK_EVENTS_INVALID', `Events are a comma-separated list of ${WEBHOOK_EVENTS.join(', ')}`);
  const names = list.map((e) => (typeof e === 'string' ? e.trim() : ''));
  const bad = names.find((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
  if (bad !== undefined) throw new PaasError('E_HOOK_EVENTS_INVALID', `Unknown event "${bad.slice(0, 40)}"; the events are ${WEBHOOK_EVENTS.join(', ')}`);
  return WEBHOOK_EVENTS.filter((e) => names.includes(e));
}

function toView(row: { id: number; url: string; events: WebhookEvent[]; created_at: Date }): WebhookView {
  return { id: row.id, url: row.url, events: row.events, createdAt: row.created_at };
}

/** A hook id as users type it: a positive whole number, else not found. */
function hookId(raw: unknown): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || !/^\d{1,9}$/.test(String(raw))) throw new PaasError('E_HOOK_NOT_FOUND', `No webhook ${String(raw).slice(0, 20)} on this app`);
  return n;
}

/** The app's hooks (never their secrets). */
export async function listWebhooks(db: Knex, actor: Actor, appName: unknown): Promise<{ app: string; hooks: WebhookView[] }> {
  const app = await appForActor(db, actor, appName);
  const rows = await db('outgoing_webhooks').where({ app_id: app.id }).orderBy('id').select('id', 'url', 'events', 'created_at');
  return { app: app.name, hooks: rows.map(toView) };
}

/** Registers a receiver after the SSRF checks; returns it with its secret, which is never shown again. */
export async function addWebhook(db: Knex, actor: Actor, appName: unknown, rawUrl: unknown, rawEvents: unknown, allowPrivate: boolean): Promise<WebhookView & { secret: string }> {
  const app = await appForActor(db, actor, appName);
  const url = parseWebhookUrl(rawUrl);
  const events = parseWebhookEvents(rawEvents);
  await checkTarget(url, allowPrivate);
  const secret = crypto.randomBytes(32).toString('hex');
  const row = await db.transaction(async (trx) => {
    await trx('apps').where({ id: app.id }).forUpdate().first('id'); // one add at a time per app: the cap holds
    const { n } = (await trx('outgoing_webhooks').where({ app_id: app.id }).count('* as n').first())!;
    if (Number(n) >= MAX_HOOKS_PER_APP) throw new PaasError('E_HOOK_LIMIT', `${app.name} already has ${MAX_HOOKS_PER_APP} webhooks; remove one first`);
    const [created] = await trx('outgoing_webhooks').insert({
      app_id: app.id, url: url.href, secret, events: JSON.stringify(events), created_by: actor.kind === 'user' ? actor.user.id : null,
    }).returning(['id', 'url', 'events', 'created_at']);
    return created;
  });
  return { ...toView(row), secret };
}

/** Removes a hook and its delivery log. */
export async function removeWebhook(db: Knex, actor: Actor, appName: unknown, rawId: unknown): Promise<void> {
  const app = await appForActor(db, actor, appName);
  const removed = await db('outgoing_webhooks').where({ app_id: app.id, id: hookId(rawId) }).delete();
  if (!removed) throw new PaasError('E_HOOK_NOT_FOUND', `No webhook ${String(rawId).slice(0, 20)} on ${app.name}`);
}

/** The latest deliveries of the app's hooks (of one hook when `rawHookId` is given), newest first. */
export async function listDeliveries(db: Knex, actor: Actor, appName: unknown, rawHookId?: unknown): Promise<{ app: string; deliveries: DeliveryView[] }> {
  const app = await appForActor(db, actor, appName);
  const q = db('webhook_deliveries_out as d').join('outgoing_webhooks as h', 'h.id', 'd.webhook_id').where('h.app_id', app.id);
  if (rawHookId !== undefined) {
    const id = hookId(rawHookId);
    if (!await db('outgoing_webhooks').where({ app_id: app.id, id }).first('id')) throw new PaasError('E_HOOK_NOT_FOUND', `No webhook ${id} on ${app.name}`);
    q.where('h.id', id);
  }
  const rows = await q.orderBy([{ column: 'd.created_at', order: 'desc' }, { column: 'd.id', order: 'desc' }]).limit(DELIVERY_LOG_LIMIT)
    .select('d.id', 'd.webhook_id', 'd.event', 'd.status', 'd.attempt', 'd.response_code', 'd.error', 'd.created_at', 'd.delivered_at', 'd.next_attempt_at');
  return {
    app: app.name,
    deliveries: rows.map((r) => ({
      id: r.id, webhookId: r.webhook_id, event: r.event, status: r.status, attempts: r.attempt, responseCode: r.response_code ?? null,
      error: r.error ?? null, createdAt: r.created_at, deliveredAt: r.delivered_at ?? null, nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
    })),
  };
}

/** Sends a delivery again, as a new delivery (new id) with the same event and payload; returns the new id. */
export async function redeliver(db: Knex, actor: Actor, appName: unknown, rawDeliveryId: unknown): Promise<string> {
  const app = await appForActor(db, actor, appName);
  const uuid = typeof rawDeliveryId === 'string' && /^[0-9a-f-]{36}$/.test(rawDeliveryId) ? rawDeliveryId : undefined;
  const old = uuid && await db('webhook_deliveries_out as d').join('outgoing_webhooks as h', 'h.id', 'd.webhook_id')
    .where({ 'h.app_id': app.id, 'd.id': uuid }).first('d.webhook_id', 'd.event', 'd.event_key', 'd.payload');
  if (!old) throw new PaasError('E_HOOK_NOT_FOUND', `No delivery ${String(rawDeliveryId).slice(0, 40)} on ${app.name}`);
  const id = crypto.randomUUID();
  await db.transaction(async (trx) => {
    await trx('outgoing_webhooks').where({ id: old.webhook_id }).forUpdate().first('id'); // one redeliver at a time per hook: the cap holds
    const { n } = (await trx('webhook_deliveries_out').where({ webhook_id: old.webhook_id, status: 'pending' }).whereLike('event_key', '%#redeliver:%').count('* as n').first())!;
    if (Number(n) >= MAX_QUEUED_REDELIVERIES) {
      throw new PaasError('E_HOOK_REDELIVER_LIMIT', `This webhook already has ${MAX_QUEUED_REDELIVERIES} redeliveries waiting to be sent; wait until they are through`);
    }
    await trx('webhook_deliveries_out').insert({
      id, webhook_id: old.webhook_id, event: old.event, event_key: `${String(old.event_key).replace(REDELIVER_SUFFIX, '')}#redeliver:${id}`,
      payload: JSON.stringify(old.payload), next_attempt_at: trx.fn.now(),
    });
  });
  return id;
}
