// core/db/migrations/018-review-apps.ts — review apps (issue 13, part 6): a parent's settings, and each review app's
// link to its parent and branch.
import type { Migration } from './migration.ts';

/**
 * On the parent: `review_apps_enabled`, `review_config` (overrides laid over the parent's config) and
 * `review_expire_seconds` (null = never). On a review app: `parent_app_id` and `review_branch` (one review app per
 * parent and branch) and `review_updated_at` (its last push; the expiry counts from it). Destroying a parent destroys
 * its review apps in services/apps.ts (processes, repo and routes too); SET NULL only guards a row deleted by hand.
 */
export const reviewApps: Migration = {
  name: '018_review_apps',
  async up(knex) {
    await knex.schema.alterTable('apps', (t) => {
      t.boolean('review_apps_enabled').notNullable().defaultTo(false);
      t.jsonb('review_config').notNullable().defaultTo('{}');
      t.integer('review_expire_seconds');
      t.integer('parent_app_id').references('apps.id').onDelete('SET NULL');
      t.text('review_branch');
      t.timestamp('review_updated_at', { useTz: true });
    });
    await knex.raw('CREATE UNIQUE INDEX apps_review_branch ON apps (parent_app_id, review_branch) WHERE parent_app_id IS NOT NULL');
  },
  async down(knex) {
    await knex.raw('DROP INDEX IF EXISTS apps_review_branch');
    await knex.schema.alterTable('apps', (t) => {
      for (const c of ['review_apps_enabled', 'review_config', 'review_expire_seconds', 'parent_app_id', 'review_branch', 'review_updated_at']) t.dropColumn(c);
    });
  },
};
