// services/webhook-deliveries.ts — turns the events outgoing webhooks receive into delivery rows, one per subscribed
// hook. Called in the same transaction as the outbox row that announces the event (gitd/ref-updated.ts for push,
// controller/deployer.ts and controller.ts for deploy.succeeded and deploy.failed), so a delivery exists even when no
// controller listened when the event was published; and by the controller's bus consumer (controller/webhook-events.ts)
// for release.created. The event key makes every second write of the same event a no-op.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Payload } from '../core/events.ts';
import type { WebhookEvent } from './webhooks.ts';

/** One event as hooks receive it, before the worker adds the delivery id. */
export interface HookEvent { app: string; event: WebhookEvent; key: string; data: Record<string, unknown> }

/**
 * Writes a pending delivery for each of the app's hooks that wants the event (nothing for undefined). `key`
 * identifies the event, so a redelivered bus message, a second controller or a second writer adds nothing.
 * Returns how many rows were new.
 */
export async function enqueueDeliveries(db: Knex | Knex.Transaction, e: HookEvent | undefined): Promise<number> {
  if (!e) return 0;
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
export async function pushEvent(db: Knex | Knex.Transaction, p: Payload<'refUpdated'>): Promise<HookEvent> {
  const user = p.userId === undefined ? undefined : await db('users').where({ id: p.userId }).first('email');
  return {
    app: p.app, event: 'push', key: `push:${p.ref}:${p.oldRev}:${p.newRev}`,
    data: { ref: p.ref, before: p.oldRev, after: p.newRev, created: ZEROS.test(p.oldRev), deleted: ZEROS.test(p.newRev), pusher: user ? { email: user.email } : null },
  };
}

/** paas.release.created → release.created. */
export function releaseEvent(p: Payload<'releaseCreated'>): HookEvent {
  return {
    app: p.app, event: 'release.created', key: `release:${p.releaseId}`,
    data: { release: { id: p.releaseId, version: p.version }, build_id: p.buildId ?? null, source: p.source, description: p.description },
  };
}

/** paas.deploy.<id>.status → deploy.succeeded or deploy.failed (other statuses are no hook event). */
export function deployEvent(p: Payload<'deployStatus'>): HookEvent | undefined {
  if (p.status !== 'succeeded' && p.status !== 'failed') return undefined;
  return {
    app: p.app, event: `deploy.${p.status}`, key: `deploy:${p.releaseId}:${p.status}`,
    data: { release: { id: p.releaseId, version: p.version }, build_id: p.buildId ?? null, url: p.url ?? null, error: p.error ?? null },
  };
}
