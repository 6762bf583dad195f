// core/db/connect.ts — opens knex over pg (external DATABASE_URL or the embedded server) and runs migrations.
import knexFactory, { type Knex } from 'knex';
import { migrationSource } from './migrations.ts';
import { PaasError } from '../errors.ts';

export type Db = Knex;

/**
 * Connects to PostgreSQL at url, in the given schema, and migrates it to the latest version. A missing schema is
 * created (that needs CREATE on the database); an existing one is only used, so a role that owns a schema made for it
 * needs no right on the database beyond CONNECT (docs/database.md).
 */
export async function openDb(url: string, schema = 'public'): Promise<Db> {
  const knex = knexFactory({
    client: 'pg',
    connection: url,
    searchPath: [schema],
    pool: { min: 0, max: 10 },
    acquireConnectionTimeout: 10_000,
  });
  try {
    // One process at a time: web, gitd and the controller boot together on a fresh database (the chart's install),
    // and knex's own lock table is itself created without one ("duplicate key value violates unique constraint
    // pg_type_typname_nsp_index" for all but one). The lock is the transaction's; migrations run on other connections.
    await knex.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`paas migrations ${schema}`]);
      if (schema !== 'public' && !(await knex('pg_namespace').where({ nspname: schema }).first())) {
        await knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [schema]);
      }
      await knex.migrate.latest({ migrationSource, schemaName: schema === 'public' ? undefined : schema });
    });
  } catch (err) {
    await knex.destroy();
    const reason = err instanceof Error ? err.message : String(err);
    throw new PaasError('E_DATABASE_UNAVAILABLE', `Cannot use the database: ${reason}`, { cause: err });
  }
  return knex;
}
