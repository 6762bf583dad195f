// core/db/migrations/019-webhook-leases.ts — outgoing webhook deliveries get a lease of their own (issue 13, part 5
// review): the sender claims at most one row per hook at a time and records an attempt only while it holds the lease.
import type { Migration } from './migration.ts';

/**
 * `lease_token` names the claim of the worker sending the row now, `leased_until` when that claim lapses (a crashed
 * controller's row is then claimed again). Both are null while no one sends the row. A hook with a row under a live
 * lease gets no other row claimed (controller/webhook-worker.ts), so one hook's deliveries never overlap, and an
 * attempt's result is written only where the token still matches, so a lapsed claim cannot overwrite a newer one.
 */
export const webhookLeases: Migration = {
  name: '019_webhook_leases',
  async up(knex) {
    await knex.schema.alterTable('webhook_deliveries_out', (t) => {
      t.uuid('lease_token');
      t.timestamp('leased_until', { useTz: true });
    });
    await knex.raw("CREATE INDEX webhook_deliveries_out_pending_hook ON webhook_deliveries_out (webhook_id, next_attempt_at) WHERE status = 'pending'");
  },
  async down(knex) {
    await knex.raw('DROP INDEX IF EXISTS webhook_deliveries_out_pending_hook');
    await knex.schema.alterTable('webhook_deliveries_out', (t) => { t.dropColumn('lease_token'); t.dropColumn('leased_until'); });
  },
};
