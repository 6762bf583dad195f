// core/db/migrations/014-plan-usage.ts — plans and quotas (issue 13 §3): build minutes may be fractional, and a
// ledger of build time per month that outlives the app (destroying an app must not give its minutes back).
import type { Migration } from './migration.ts';

/**
 * `plans.build_minutes` becomes numeric (two decimals: 0.05 minutes is 3 s, what a test plan needs). `build_usage`
 * records each finished build's seconds, charged to the app's owner, or to its project when the project's plan was
 * the app's plan then (`project_id` set). No foreign key to builds or apps: the row stays after apps:destroy.
 */
export const planUsage: Migration = {
  name: '014_plan_usage',
  async up(knex) {
    await knex.raw('ALTER TABLE plans ALTER COLUMN build_minutes TYPE numeric(10, 2)');
    await knex.schema.createTable('build_usage', (t) => {
      t.uuid('build_id').primary();
      t.integer('user_id').references('users.id').onDelete('CASCADE');
      t.integer('project_id').references('projects.id').onDelete('CASCADE');
      t.text('app').notNullable();
      t.double('seconds').notNullable();
      t.timestamp('started_at', { useTz: true }).notNullable();
      t.index(['user_id', 'started_at']);
      t.index(['project_id', 'started_at']);
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('build_usage');
    await knex.raw('ALTER TABLE plans ALTER COLUMN build_minutes TYPE integer USING ceil(build_minutes)');
  },
};
