// controller/webhook-events.ts — the outgoing webhooks' consumer of the bus. paas.release.created (its own durable
// consumer on NATS) becomes one delivery row per subscribed hook (services/webhook-deliveries.ts). The rows of
// paas.ref.updated (push) and paas.deploy.<id>.status (succeeded, failed) are written by their publishers in the
// transaction that announces them, so they exist even if no controller was listening; here these two subjects only
// wake the worker (their insert again is a no-op, kept for events written before that was so).
import type { Bus } from '../core/bus.ts';
import type { Payload } from '../core/events.ts';
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import { deployEvent, enqueueDeliveries, pushEvent, releaseEvent, type HookEvent } from '../services/webhook-deliveries.ts';

export { enqueueDeliveries } from '../services/webhook-deliveries.ts';

/** Subscribes the three subjects; `wake` tells the worker new rows are due. Returns the unsubscribe functions. */
export function subscribeWebhookEvents(db: Knex, bus: Bus, log: Logger, wake: () => void): Array<() => void> {
  const handle = (make: (p: Record<string, unknown>) => Promise<HookEvent | undefined> | HookEvent | undefined) => async (_s: string, p: Record<string, unknown>) => {
    const e = await make(p);
    if (!e) return;
    await enqueueDeliveries(db, e);
    wake();
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
