// core/db/migrations/015-user-identities.ts — sign-in with OpenID Connect providers and GitHub (issue 13 §4): which
// provider account belongs to which user, and the short-lived state of sign-ins under way.
import type { Migration } from './migration.ts';

/**
 * `user_identities`: a provider's account (`provider` id from PAAS_OIDC_PROVIDERS, its stable `subject`) linked to a
 * user, with the verified email it had when linked. `sign_in_flows`: one row per sign-in started in a browser (only
 * the hash of the cookie's random id is stored) holding its state, nonce and PKCE verifier; used once, ~10 minutes.
 */
export const userIdentities: Migration = {
  name: '015_user_identities',
  async up(knex) {
    await knex.schema.createTable('user_identities', (t) => {
      t.increments('id');
      t.text('provider').notNullable();
      t.text('subject').notNullable();
      t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
      t.text('email').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.unique(['provider', 'subject']);
    });
    await knex.schema.createTable('sign_in_flows', (t) => {
      t.text('id_hash').primary();
      t.text('provider').notNullable();
      t.text('state').notNullable();
      t.text('nonce').notNullable();
      t.text('verifier').notNullable();
      t.text('invite');
      t.text('next').notNullable();
      t.timestamp('expires_at', { useTz: true }).notNullable();
      t.text('address').notNullable().defaultTo(''); // who started it: live flows per address are capped
      t.index(['address']);
    });
  },
  async down(knex) {
    await knex.schema.dropTable('sign_in_flows');
    await knex.schema.dropTable('user_identities');
  },
};
