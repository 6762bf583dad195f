// controller/webhook-claim.ts — the outgoing-webhook sender's queue operations on webhook_deliveries_out: claim due
// rows under a lease (at most one row per hook at a time, across every controller), and record an attempt only
// while the lease taken for it still holds. Used by controller/webhook-worker.ts.
import type { Knex } from 'knex';

export interface Claimed {
  id: string; webhook_id: number; event: string; payload: Record<string, unknown>; attempt: number; attempts: unknown[];
  created_at: Date; url: string; secret: string; lease_token: string;
}

/** A hook is busy while one of its pending rows is under a live lease: its other rows wait, in order. */
const NOT_BUSY = `NOT EXISTS (SELECT 1 FROM webhook_deliveries_out l
  WHERE l.webhook_id = c.webhook_id AND l.status = 'pending' AND l.leased_until > now())`;

/**
 * Claims up to `limit` due rows, the earliest due of each hook whose hook has nothing in flight; each gets a new lease
 * token and `leased_until` = now + leaseSeconds. One claim at a time per schema (a transaction-scoped advisory lock),
 * so two controllers never both pick a row of the same hook; the outer conditions are checked again on the locked row,
 * so a row recorded meanwhile (a lapsed lease's attempt that finished) is not claimed again.
 */
export async function claimDue(db: Knex, limit: number, leaseSeconds: number): Promise<Claimed[]> {
  return db.transaction(async (trx) => {
    // Keyed by schema too: platforms sharing one database (tests, staging beside production) do not queue behind each other.
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('paas.webhook_deliveries_out.claim'), hashtext(current_schema()))");
    return (await trx.raw(`
      UPDATE webhook_deliveries_out d SET lease_token = gen_random_uuid(), leased_until = now() + make_interval(secs => ?)
      FROM outgoing_webhooks h
      WHERE h.id = d.webhook_id AND d.status = 'pending' AND (d.leased_until IS NULL OR d.leased_until <= now()) AND d.id IN (
        SELECT id FROM (
          SELECT c.id, c.next_attempt_at, c.created_at,
            row_number() OVER (PARTITION BY c.webhook_id ORDER BY c.next_attempt_at, c.created_at, c.id) AS n
          FROM webhook_deliveries_out c
          WHERE c.status = 'pending' AND c.next_attempt_at <= now() AND ${NOT_BUSY}
        ) due WHERE n = 1 ORDER BY next_attempt_at, created_at LIMIT ?)
      RETURNING d.id, d.webhook_id, d.event, d.payload, d.attempt, d.attempts, d.created_at, d.lease_token, h.url, h.secret`,
    [leaseSeconds, limit])).rows as Claimed[];
  });
}

/** When a row not yet claimable may be: the earliest pending row of a hook with nothing in flight (undefined: none). */
export async function nextDue(db: Knex): Promise<Date | undefined> {
  const row = (await db.raw(`SELECT min(c.next_attempt_at) AS at FROM webhook_deliveries_out c WHERE c.status = 'pending' AND ${NOT_BUSY}`)).rows[0];
  return row?.at ? new Date(row.at) : undefined;
}

/** Writes an attempt's outcome where the row is still under this claim's lease; false when the lease was lost. */
export async function recordAttempt(db: Knex, row: Claimed, fields: Record<string, unknown>): Promise<boolean> {
  const n = await db('webhook_deliveries_out').where({ id: row.id, lease_token: row.lease_token, status: 'pending' })
    .update({ ...fields, lease_token: null, leased_until: null });
  return n > 0;
}
