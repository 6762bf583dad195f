// gitd/ref-updated.ts — the one place gitd announces that a ref of an app's repo moved (paas.ref.updated): after
// post-receive, when a deploy moves the ref of a push whose client left (pre-receive.ts), and when the reconciler
// moves the ref of a push that deployed after gitd lost it (ref-reconcile.ts), and when a webhook deploy from a Git
// host moves the deploy branch (source-deploy.ts). The integration point for consumers outside the platform, and the
// outgoing webhooks' `push` event (docs/events.md).
import type { Knex } from 'knex';
import { enqueueEvent } from '../core/outbox.ts';
import { enqueueDeliveries, pushEvent } from '../services/webhook-deliveries.ts';
import type { RefUpdate } from './refs.ts';

/**
 * Writes paas.ref.updated to the outbox (the relay publishes it once the write is committed) and, in the same
 * transaction, the app's outgoing-webhook `push` deliveries, so they do not depend on a controller listening then.
 */
export async function announceRefUpdated(db: Knex, app: string, u: RefUpdate, userId: number | undefined): Promise<void> {
  const announced = { app, ref: u.ref, oldRev: u.oldRev, newRev: u.newRev, userId };
  await db.transaction(async (trx) => {
    await enqueueEvent(trx, 'refUpdated', announced);
    await enqueueDeliveries(trx, await pushEvent(trx, announced));
  });
}
