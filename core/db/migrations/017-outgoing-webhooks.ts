// core/db/migrations/017-outgoing-webhooks.ts — outgoing webhooks (issue 13, part 5): the URLs an app's deploy events
// are POSTed to, and one delivery row per (hook, event) that the controller's sender works through (durable retries).
import type { Migration } from './migration.ts';

/**
 * `outgoing_webhooks`: an app's receivers; `secret` signs each body (HMAC-SHA256) so it is kept as given (it is shown
 * once, at creation); `events` is the list of event names the hook wants. `webhook_deliveries_out`: one row per
 * (hook, event), unique on `event_key` so a redelivered bus event never makes a second row; `attempts` logs each
 * try ({at, code, error, ms}); `status` pending → succeeded | failed; a pending row is due at `next_attempt_at`.
 * Named apart from the incoming webhooks (deploys from a Git host), which have tables of their own.
 */
export const outgoingWebhooks: Migration = {
  name: '017_outgoing_webhooks',
  async up(knex) {
    await knex.schema.createTable('outgoing_webhooks', (t) => {
      t.increments('id');
      t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE').index();
      t.text('url').notNullable();
      t.text('secret').notNullable();
      t.jsonb('events').notNullable();
      t.integer('created_by').references('users.id').onDelete('SET NULL');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.schema.createTable('webhook_deliveries_out', (t) => {
      t.uuid('id').primary();
      t.integer('webhook_id').notNullable().references('outgoing_webhooks.id').onDelete('CASCADE');
      t.text('event').notNullable();
      t.text('event_key').notNullable();
      t.jsonb('payload').notNullable();
      t.integer('attempt').notNullable().defaultTo(0);
      t.jsonb('attempts').notNullable().defaultTo('[]');
      t.text('status').notNullable().defaultTo('pending');
      t.integer('response_code');
      t.text('error');
      t.timestamp('next_attempt_at', { useTz: true });
      t.timestamp('delivered_at', { useTz: true });
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.unique(['webhook_id', 'event_key']);
      t.index(['webhook_id', 'created_at']);
    });
    await knex.raw("ALTER TABLE webhook_deliveries_out ADD CONSTRAINT webhook_deliveries_out_status_check CHECK (status IN ('pending', 'succeeded', 'failed'))");
    await knex.raw("CREATE INDEX webhook_deliveries_out_due ON webhook_deliveries_out (next_attempt_at) WHERE status = 'pending'");
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('webhook_deliveries_out');
    await knex.schema.dropTableIfExists('outgoing_webhooks');
  },
};
