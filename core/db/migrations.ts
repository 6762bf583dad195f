// core/db/migrations.ts — the one set of schema migrations, used for embedded and external PostgreSQL alike.
import type { Knex } from 'knex';
import type { Migration } from './migrations/migration.ts';
import { projectsPlans } from './migrations/012-projects-plans.ts';
import { planUsage } from './migrations/014-plan-usage.ts';
import { outgoingWebhooks } from './migrations/017-outgoing-webhooks.ts';
import { reviewApps } from './migrations/018-review-apps.ts';
import { webhookLeases } from './migrations/019-webhook-leases.ts';
import { appSources } from './migrations/016-app-sources.ts';
import { userIdentities } from './migrations/015-user-identities.ts';

// From 012 on (issue 13), each migration is a file of its own in core/db/migrations/, listed in `all` below.

const initial: Migration = {
  name: '001_initial',
  async up(knex) {
    await knex.schema.createTable('users', (t) => {
      t.increments('id');
      t.text('email').notNullable().unique();
      t.text('password_hash').notNullable();
      t.boolean('is_admin').notNullable().defaultTo(false);
      t.boolean('disabled').notNullable().defaultTo(false);
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.schema.createTable('ssh_keys', (t) => {
      t.increments('id');
      t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
      t.text('type').notNullable();
      t.integer('bits');
      t.text('fingerprint').notNullable().unique();
      t.text('public_key').notNullable();
      t.text('comment').notNullable().defaultTo('');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('last_used_at', { useTz: true });
    });
    await knex.schema.createTable('api_tokens', (t) => {
      t.increments('id');
      t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
      t.text('token_hash').notNullable().unique();
      t.text('prefix').notNullable();
      t.text('description').notNullable().defaultTo('');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('last_used_at', { useTz: true });
      t.timestamp('revoked_at', { useTz: true });
    });
    await knex.schema.createTable('apps', (t) => {
      t.increments('id');
      t.text('name').notNullable().unique();
      t.integer('owner_id').notNullable().references('users.id');
      t.jsonb('config').notNullable().defaultTo('{}');
      t.jsonb('formation').notNullable().defaultTo('{}');
      t.integer('current_release_id');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.schema.createTable('collaborators', (t) => {
      t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
      t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
      t.primary(['app_id', 'user_id']);
    });
    await knex.schema.createTable('domains', (t) => {
      t.text('hostname').primary();
      t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.schema.createTable('builds', (t) => {
      t.uuid('id').primary();
      t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
      t.integer('number').notNullable();
      t.text('ref').notNullable();
      t.text('rev').notNullable();
      t.text('status').notNullable();
      t.text('runtime');
      t.jsonb('process_types');
      t.jsonb('path_prepend');
      t.text('slug_dir');
      t.text('error');
      t.integer('user_id').references('users.id').onDelete('SET NULL');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('finished_at', { useTz: true });
      t.unique(['app_id', 'number']);
    });
    await knex.schema.createTable('build_log_lines', (t) => {
      t.uuid('build_id').notNullable().references('builds.id').onDelete('CASCADE');
      t.integer('seq').notNullable();
      t.text('line').notNullable();
      t.primary(['build_id', 'seq']);
    });
    await knex.schema.createTable('releases', (t) => {
      t.increments('id');
      t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
      t.integer('version').notNullable();
      t.uuid('build_id').references('builds.id');
      t.jsonb('config').notNullable().defaultTo('{}');
      t.text('description').notNullable();
      t.text('status').notNullable();
      t.text('error');
      t.integer('user_id').references('users.id').onDelete('SET NULL');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('finished_at', { useTz: true });
      t.unique(['app_id', 'version']);
    });
    await knex.schema.createTable('push_locks', (t) => {
      t.text('app').primary();
      t.text('holder').notNullable();
      t.integer('user_id');
      t.timestamp('expires_at', { useTz: true }).notNullable();
    });
    await knex.schema.createTable('processes', (t) => {
      t.text('app').notNullable();
      t.text('type').notNullable();
      t.integer('index').notNullable();
      t.integer('version').notNullable();
      t.text('state').notNullable();
      t.integer('pid');
      t.integer('port');
      t.integer('restarts').notNullable().defaultTo(0);
      t.timestamp('since', { useTz: true }).notNullable();
      t.primary(['app', 'type', 'index']);
    });
    await knex.schema.createTable('outbox', (t) => {
      t.bigIncrements('id');
      t.text('subject').notNullable();
      t.jsonb('payload').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('published_at', { useTz: true });
      t.index(['published_at', 'id']);
    });
  },
  async down(knex) {
    for (const t of ['outbox', 'processes', 'push_locks', 'releases', 'build_log_lines', 'builds', 'domains', 'collaborators', 'apps', 'api_tokens', 'ssh_keys', 'users']) {
      await knex.schema.dropTableIfExists(t);
    }
  },
};

const kubernetes: Migration = {
  name: '003_kubernetes',
  async up(knex) {
    await knex.schema.alterTable('builds', (t) => {
      t.text('image'); // <registry>/<app>@sha256:… in Kubernetes mode
    });
    await knex.schema.createTable('build_tokens', (t) => {
      t.uuid('build_id').primary().references('builds.id').onDelete('CASCADE');
      t.text('token_hash').notNullable().unique();
      t.timestamp('expires_at', { useTz: true }).notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('build_tokens');
    await knex.schema.alterTable('builds', (t) => t.dropColumn('image'));
  },
};

const leases: Migration = {
  name: '004_leases_dead_letters',
  async up(knex) {
    // A build or deploy in progress holds a lease; a crashed worker's lease expires and the work can be resumed.
    await knex.schema.alterTable('builds', (t) => { t.timestamp('lease_expires_at', { useTz: true }); });
    await knex.schema.alterTable('releases', (t) => { t.timestamp('lease_expires_at', { useTz: true }); });
    await knex.schema.createTable('dead_letters', (t) => {
      t.bigIncrements('id');
      t.text('subject').notNullable();
      t.text('payload').notNullable();
      t.text('reason').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('dead_letters');
    await knex.schema.alterTable('releases', (t) => t.dropColumn('lease_expires_at'));
    await knex.schema.alterTable('builds', (t) => t.dropColumn('lease_expires_at'));
  },
};

/** The dashboard: browser sessions (ids stored hashed), platform settings, and failed sign-ins for the rate limit. */
const dashboard: Migration = {
  name: '002_dashboard',
  async up(knex) {
    await knex.schema.createTable('sessions', (t) => {
      t.text('id_hash').primary();
      t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE').index();
      t.text('csrf_secret').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('expires_at', { useTz: true }).notNullable();
    });
    await knex.schema.createTable('settings', (t) => {
      t.text('key').primary();
      t.jsonb('value').notNullable();
    });
    await knex.schema.createTable('login_failures', (t) => {
      t.bigIncrements('id');
      t.text('key').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['key', 'created_at']);
    });
  },
  async down(knex) {
    for (const t of ['login_failures', 'settings', 'sessions']) await knex.schema.dropTableIfExists(t);
  },
};

/** "Runtime" named three things; a build's detected language is now its stack (docs/design.md, Names). */
const stack: Migration = {
  name: '005_builds_stack',
  async up(knex) { await knex.schema.alterTable('builds', (t) => t.renameColumn('runtime', 'stack')); },
  async down(knex) { await knex.schema.alterTable('builds', (t) => t.renameColumn('stack', 'runtime')); },
};

/**
 * Each app's own uid on the host (and the reason a process is in its state), for its sandboxes (runtime/local/jail.ts): drawn from a sequence, so never reused
 * even after apps:destroy, and unique, so never shared. 200000 and up stays clear of system and login users and of the
 * usual subuid ranges (100000-165535); an operator may move the range with ALTER SEQUENCE app_uid_seq RESTART.
 */
const appUids: Migration = {
  name: '006_app_uids',
  async up(knex) {
    await knex.raw('CREATE SEQUENCE app_uid_seq START 200000 MINVALUE 200000 MAXVALUE 2000000000 NO CYCLE');
    await knex.raw("ALTER TABLE apps ADD COLUMN uid integer NOT NULL DEFAULT nextval('app_uid_seq') UNIQUE");
    await knex.raw('ALTER SEQUENCE app_uid_seq OWNED BY apps.uid');
    // Why a process is in its state, when the runtime knows ('out of memory'); `ps` shows it.
    await knex.schema.alterTable('processes', (t) => { t.text('reason'); });
  },
  async down(knex) {
    await knex.schema.alterTable('processes', (t) => t.dropColumn('reason'));
    await knex.schema.alterTable('apps', (t) => t.dropColumn('uid'));
    await knex.raw('DROP SEQUENCE IF EXISTS app_uid_seq');
  },
};

/**
 * Accounts (issue 8): the one-time set-up token and admins' invites (only hashes stored), and the sign-in limiter as
 * one counter row per key, bumped by a single upsert so parallel attempts cannot all pass a read-then-write check.
 */
const accounts: Migration = {
  name: '007_accounts',
  async up(knex) {
    await knex.schema.createTable('invites', (t) => {
      t.increments('id');
      t.text('kind').notNullable(); // 'setup' (the first admin) or 'invite' (a plain user)
      t.text('token_hash').notNullable().unique();
      t.integer('created_by').references('users.id').onDelete('CASCADE');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('expires_at', { useTz: true });
      t.timestamp('used_at', { useTz: true });
      t.integer('used_by').references('users.id').onDelete('SET NULL');
    });
    await knex.schema.createTable('login_attempts', (t) => {
      t.text('key').primary();
      t.integer('count').notNullable();
      t.timestamp('window_start', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.schema.dropTableIfExists('login_failures');
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('login_attempts');
    await knex.schema.dropTableIfExists('invites');
    await knex.schema.createTable('login_failures', (t) => {
      t.bigIncrements('id');
      t.text('key').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['key', 'created_at']);
    });
  },
};

/**
 * Certificates for the router's HTTPS port (issue 10): ACME certificates, one row per host (app_id NULL for the
 * platform's own host), and each app's one uploaded certificate, whose `names` are its DNS names (wildcards too).
 * The two kinds have their own unique indexes, so a tenant's upload never collides with another app's row. Keys are
 * kept here (the database is the source of truth) and are never logged or shown. Also each app's edge options.
 */
const certificates: Migration = {
  name: '008_certificates',
  async up(knex) {
    await knex.schema.createTable('certificates', (t) => {
      t.increments('id');
      // An app's destroy deletes its upload and releases its ACME rows (services/apps.ts); SET NULL is the safety net.
      t.integer('app_id').references('apps.id').onDelete('SET NULL');
      t.text('host').notNullable();
      t.text('source').notNullable(); // 'acme' | 'upload'
      t.text('state').notNullable(); // 'pending' | 'issued' | 'failed'
      t.text('cert_pem');
      t.text('key_pem');
      t.specificType('names', 'text[]').notNullable().defaultTo('{}');
      t.timestamp('expires_at', { useTz: true });
      t.text('error');
      t.integer('attempts').notNullable().defaultTo(0);
      t.timestamp('next_attempt_at', { useTz: true });
      // When an ACME row's host left its app: kept a week (certificate, failures and backoff), so a host removed and
      // added again reuses them instead of ordering anew (a CA's rate limits are per account: every tenant's).
      t.timestamp('released_at', { useTz: true });
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['app_id']);
    });
    await knex.raw("ALTER TABLE certificates ADD CONSTRAINT certificates_source_check CHECK (source IN ('acme', 'upload'))");
    await knex.raw("ALTER TABLE certificates ADD CONSTRAINT certificates_state_check CHECK (state IN ('pending', 'issued', 'failed'))");
    await knex.raw("CREATE UNIQUE INDEX certificates_acme_host ON certificates (host) WHERE source = 'acme'");
    await knex.raw("CREATE UNIQUE INDEX certificates_upload_app ON certificates (app_id) WHERE source = 'upload'");
    await knex.schema.createTable('acme_accounts', (t) => {
      t.text('directory').primary();
      t.text('email').notNullable();
      t.text('key_pem').notNullable();
      t.text('url').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.schema.alterTable('apps', (t) => {
      t.boolean('https_redirect').notNullable().defaultTo(false);
      t.boolean('hsts').notNullable().defaultTo(false);
    });
  },
  async down(knex) {
    await knex.schema.alterTable('apps', (t) => { t.dropColumn('https_redirect'); t.dropColumn('hsts'); });
    await knex.schema.dropTableIfExists('acme_accounts');
    await knex.schema.dropTableIfExists('certificates');
  },
};

/**
 * Heroku's process model (issue 11): a build keeps the app.json it was pushed with (`app_json`: formation, scripts,
 * healthchecks, env, as builders/app-json.ts validated them). The default formation changes from "every type x1" to
 * "web x1, others 0"; apps deployed before keep what runs now: every type of their live release without an explicit
 * quantity gets 1 written into its formation.
 */
const processModel: Migration = {
  name: '009_process_model',
  async up(knex) {
    await knex.schema.alterTable('builds', (t) => { t.jsonb('app_json'); });
    await knex.raw(`
      UPDATE apps SET formation = kept.formation FROM (
        SELECT apps.id, (SELECT jsonb_object_agg(t.type, 1) FROM jsonb_object_keys(builds.process_types) AS t(type)
                         WHERE t.type <> 'release') || apps.formation AS formation
        FROM apps JOIN releases ON releases.id = apps.current_release_id JOIN builds ON builds.id = releases.build_id
        WHERE builds.process_types IS NOT NULL AND jsonb_typeof(builds.process_types) = 'object'
      ) AS kept WHERE kept.id = apps.id AND kept.formation IS NOT NULL`);
  },
  async down(knex) {
    await knex.schema.alterTable('builds', (t) => { t.dropColumn('app_json'); });
  },
};

/**
 * Observability (issue 12).
 * - `outbox.trace`: the W3C traceparent of the operation that wrote the row, so the event carries the trace on.
 * - `app_metrics`: each app's own time series, the dashboard's Metrics tab. A ring: rows at 10 s resolution are kept
 *   for an hour, rows at 60 s for a day (the controller's sampler writes and trims both). One row per bucket:
 *   - `type` '' is the app's router traffic (requests by status class, latency bucket counts, bytes), all deltas
 *     over the bucket; `latency_counts[i]` counts requests that took at most LATENCY_BOUNDS[i] ms and more than the
 *     bound before it (not cumulative), with runtime/router/stats.ts's bounds;
 *   - `type` 'web', 'worker'…: that process type's usage: `cpu_seconds` used over the bucket by all its instances,
 *     `memory_bytes` their summed resident memory at the bucket's end, `instances`, and `restarts` new in the bucket.
 *     During a deploy's overlap `instances` (and memory, CPU) counts old and new instances (docs/metrics-sampling.md).
 */
const observability: Migration = {
  name: '010_observability',
  async up(knex) {
    await knex.schema.alterTable('outbox', (t) => { t.text('trace'); });
    await knex.schema.createTable('app_metrics', (t) => {
      t.integer('app_id').notNullable().references('apps.id').onDelete('CASCADE');
      t.text('type').notNullable().defaultTo('');
      t.smallint('resolution').notNullable();
      t.timestamp('at', { useTz: true }).notNullable();
      for (const c of ['r1xx', 'r2xx', 'r3xx', 'r4xx', 'r5xx', 'latency_sum_ms', 'bytes_in', 'bytes_out', 'cpu_seconds', 'memory_bytes', 'restarts']) {
        t.double(c).notNullable().defaultTo(0);
      }
      t.specificType('latency_counts', 'double precision[]');
      t.integer('instances').notNullable().defaultTo(0);
      t.primary(['app_id', 'resolution', 'type', 'at']);
    });
    await knex.schema.alterTable('app_metrics', (t) => { t.index(['resolution', 'at']); });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('app_metrics');
    await knex.schema.alterTable('outbox', (t) => { t.dropColumn('trace'); });
  },
};

/**
 * Autoscaling per process type (issue 9, `ps:autoscale`): `apps.autoscaling` maps a type to `{min, max, cpu}`. It
 * sits beside `formation` on the app, not on a release, so releases and rollbacks keep it as they keep ps:scale.
 */
const autoscaling: Migration = {
  name: '011_autoscaling',
  async up(knex) {
    await knex.schema.alterTable('apps', (t) => { t.jsonb('autoscaling').notNullable().defaultTo('{}'); });
  },
  async down(knex) {
    await knex.schema.alterTable('apps', (t) => { t.dropColumn('autoscaling'); });
  },
};

const all: Migration[] = [initial, dashboard, kubernetes, leases, stack, appUids, accounts, certificates, processModel, observability, autoscaling,
  projectsPlans, planUsage, userIdentities, appSources, outgoingWebhooks, reviewApps, webhookLeases,
];

/** A knex migration source over the in-code list, so migrations work the same under tsx and in any cwd. */
export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => all,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};
