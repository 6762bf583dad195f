// core/db/migrations/012-projects-plans.ts — projects (members with roles) and plans (limits), issue 13; both parts
// meet here: a plan is assigned to a user or to a project, so the two tables are made together.
import type { Migration } from './migration.ts';

/**
 * `projects` group apps (`apps.project_id`, at most one project per app); `project_members` gives a user one role in
 * a project: owner, member (deploys) or viewer (reads). `plans` hold limits (null = unlimited); `users.plan_id` and
 * `projects.plan_id` assign one; the default plan for new users is the plan with `is_default` (at most one).
 */
export const projectsPlans: Migration = {
  name: '012_projects_plans',
  async up(knex) {
    await knex.schema.createTable('plans', (t) => {
      t.increments('id');
      t.text('name').notNullable().unique();
      t.integer('max_apps');
      t.integer('max_instances');
      t.integer('max_memory_mb');
      t.integer('build_minutes');
      t.integer('max_disk_mb');
      t.boolean('is_default').notNullable().defaultTo(false);
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.raw('CREATE UNIQUE INDEX plans_one_default ON plans (is_default) WHERE is_default');
    await knex.schema.createTable('projects', (t) => {
      t.increments('id');
      t.text('name').notNullable().unique();
      t.integer('plan_id').references('plans.id').onDelete('SET NULL');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.schema.createTable('project_members', (t) => {
      t.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE');
      t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
      t.text('role').notNullable();
      t.primary(['project_id', 'user_id']);
    });
    await knex.raw("ALTER TABLE project_members ADD CONSTRAINT project_members_role CHECK (role IN ('owner', 'member', 'viewer'))");
    await knex.schema.alterTable('apps', (t) => { t.integer('project_id').references('projects.id').onDelete('SET NULL'); });
    await knex.schema.alterTable('users', (t) => { t.integer('plan_id').references('plans.id').onDelete('SET NULL'); });
  },
  async down(knex) {
    await knex.schema.alterTable('users', (t) => { t.dropColumn('plan_id'); });
    await knex.schema.alterTable('apps', (t) => { t.dropColumn('project_id'); });
    await knex.schema.dropTableIfExists('project_members');
    await knex.schema.dropTableIfExists('projects');
    await knex.schema.dropTableIfExists('plans');
  },
};
