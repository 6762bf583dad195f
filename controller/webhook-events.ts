// controller/webhook-events.ts — the outgoing webhooks' consumer of the bus: paas.ref.updated (push),
// paas.release.created and paas.deploy.<id>.status (succeeded, failed) become one delivery row per subscribed hook,
// written before anything is sent (the database is the source of truth); controller/webhook-worker.ts sends them.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Bus } from '../core/bus.ts';
import type { Payload } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type { WebhookEvent } from '../services/webhooks.ts';

/** One event as hooks receive it, before the worker adds the delivery id. */
export interface HookEvent { app: string; event: WebhookEvent; key: string; data: Record<string, unknown> }

/**
 * Writes a pending delivery for each of the app's hooks that wants the event. `key` identifies the event, so a
 * redelivered bus message (or a second controller) adds nothing. Returns how many rows were new.
 */
export async function enqueueDeliveries(db: Knex, e: HookEvent): Promise<number> {
  const hooks = await db('outgoing_webhooks as h').join('apps', 'apps.id', 'h.app_id').where('apps.name', e.app)
    .whereRaw('h.events \\? ?', [e.event]).select('h.id');
  if (!hooks.length) return 0;
  const createdAt = new Date().toISOString();
  const rows = hooks.map((h) => ({
    id: crypto.randomUUID(), webhook_id: h.id, event: e.event, event_key: e.key, next_attempt_at: db.fn.now(),
    payload: JSON.stringify({ event: e.event, app: e.app, created_at: createdAt, data: e.data }),
  }));
  const inserted = await db('webhook_deliveries_out').insert(rows).onConflict(['webhook_id', 'event_key']).ignore().returning('id');
  return inserted.length;
}

const ZEROS = /^0+$/;

/** paas.ref.updated → push: the branch, its old and new revision, and who pushed. */
async function pushEvent(db: Knex, p: Payload<'refUpdated'>): Promise<HookEvent> {
  const user = p.userId === undefined ? undefined : await db('users').where({ id: p.userId }).first('email');
  return {
    app: p.app, event: 'push', key: `push:${p.ref}:${p.oldRev}:${p.newRev}`,
    data: { ref: p.ref, before: p.oldRev, after: p.newRev, created: ZEROS.test(p.oldRev), deleted: ZEROS.test(p.newRev), pusher: user ? { email: user.email } : null },
  };
}

function releaseEvent(p: Payload<'releaseCreated'>): HookEvent {
  return {
    app: p.app, event: 'release.created', key: `release:${p.releaseId}`,
    data: { release: { id: p.releaseId, version: p.version }, build_id: p.buildId ?? null, source: p.source, description: p.description },
  };
}

function deployEvent(p: Payload<'deployStatus'>): HookEvent | undefined {
  if (p.status !== 'succeeded' && p.status !== 'failed') return undefined;
  return {
    app: p.app, event: `deploy.${p.status}`, key: `deploy:${p.releaseId}:${p.status}`,
    data: { release: { id: p.releaseId, version: p.version }, build_id: p.buildId ?? null, url: p.url ?? null, error: p.error ?? null },
  };
}

/** Subscribes the three subjects; `wake` tells the worker new rows are due. Returns the unsubscribe functions. */
export function subscribeWebhookEvents(db: Knex, bus: Bus, log: Logger, wake: () => void): Array<() => void> {
  const handle = (make: (p: Record<string, unknown>) => Promise<HookEvent | undefined> | HookEvent | undefined) => async (_s: string, p: Record<string, unknown>) => {
    const e = await make(p);
    if (e && await enqueueDeliveries(db, e) > 0) wake();
  };
  const on = (pattern: string, make: Parameters<typeof handle>[0], durable?: string) =>
    bus.subscribe(pattern, async (s, p) => {
      // Rethrown: on NATS a work item is then redelivered; the insert is idempotent.
      try { await handle(make)(s, p); } catch (err) { log.error({ err, subject: s }, 'could not record webhook deliveries'); throw err; }
    }, durable ? { durable } : undefined);
  return [
    on('paas.ref.updated', (p) => pushEvent(db, p as unknown as Payload<'refUpdated'>)),
    on('paas.release.created', (p) => releaseEvent(p as unknown as Payload<'releaseCreated'>), 'controller-webhooks'),
    on('paas.deploy.*.status', (p) => deployEvent(p as unknown as Payload<'deployStatus'>)),
  ];
}
