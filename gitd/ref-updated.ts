// gitd/ref-updated.ts — the one place gitd announces that a ref of an app's repo moved (paas.ref.updated): after
// post-receive, when a deploy moves the ref of a push whose client left (pre-receive.ts), and when the reconciler
// moves the ref of a push that deployed after gitd lost it (ref-reconcile.ts). No platform process listens: it is
// the integration point for consumers outside the platform (docs/events.md).
import type { Knex } from 'knex';
import { enqueueEvent } from '../core/outbox.ts';
import type { RefUpdate } from './refs.ts';

/** Writes paas.ref.updated to the outbox (the relay publishes it once the write is committed). */
export async function announceRefUpdated(db: Knex, app: string, u: RefUpdate, userId: number | undefined): Promise<void> {
  await enqueueEvent(db, 'refUpdated', { app, ref: u.ref, oldRev: u.oldRev, newRev: u.newRev, userId });
}
