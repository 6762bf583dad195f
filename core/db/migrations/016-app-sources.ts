// core/db/migrations/016-app-sources.ts — deploys from a Git host (issue 13 §5): an app's connected repository
// (`app_sources`) and the webhook deliveries it received (`webhook_deliveries`, remembered to refuse replays).
import type { Migration } from './migration.ts';

/**
 * `app_sources`: one per app at most. `webhook_secret` is kept in the clear because verifying an HMAC needs it (as
 * config vars are kept); `deploy_key_private` (OpenSSH ed25519) is never shown again after it is made.
 * `webhook_deliveries`: unique on (app, delivery id), so a replayed delivery is refused; `outcome` says what it did.
 */
export const appSources: Migration = {
  name: '016_app_sources',
  async up(knex) {
    await knex.schema.createTable('app_sources', (t) => {
      t.integer('app_id').primary().references('apps.id').onDelete('CASCADE');
      t.text('repo_url').notNullable();
      t.text('branch').notNullable();
      t.text('webhook_secret').notNullable();
      t.text('deploy_key_private').notNullable();
      t.text('deploy_key_public').notNullable();
      t.integer('connected_by').references('users.id').onDelete('SET NULL');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.schema.createTable('webhook_deliveries', (t) => {
      t.increments('id');
      t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
      t.text('delivery_id').notNullable();
      t.text('format').notNullable();
      t.text('event').notNullable();
      t.text('ref');
      t.text('rev');
      t.text('outcome').notNullable();
      t.text('detail');
      t.uuid('build_id');
      t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.unique(['app_id', 'delivery_id']);
      t.index(['app_id', 'received_at']);
    });
  },
  async down(knex) {
    await knex.schema.dropTable('webhook_deliveries');
    await knex.schema.dropTable('app_sources');
  },
};
