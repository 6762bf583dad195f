// test/support/test-schema.ts — a migrated, throwaway PostgreSQL schema per test, on the machine's server (DATABASE_URL).
import crypto from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Knex } from 'knex';
import { openDb } from '../../core/db/connect.ts';

/** Opens a fresh migrated schema, dropped when the test ends; undefined (and the test skipped) without DATABASE_URL. */
export async function openTestSchema(t: TestContext, prefix = 't'): Promise<Knex | undefined> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    t.skip('DATABASE_URL is not set (.ci/run sets it to the machine PostgreSQL)');
    return undefined;
  }
  const schema = `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
  const db = await openDb(url, schema);
  t.after(async () => {
    await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
    await db.destroy();
  });
  return db;
}

/** Inserts a user, an app and a build row; returns the build's id. */
export async function insertBuild(db: Knex, app = 'demo'): Promise<string> {
  const [user] = await db('users').insert({ email: `${app}-${crypto.randomUUID()}@example.com`, password_hash: 'x' }).returning('id');
  const [appRow] = await db('apps').insert({ name: app, owner_id: (user as { id: number }).id }).returning('id');
  const id = crypto.randomUUID();
  await db('builds').insert({ id, app_id: (appRow as { id: number }).id, number: 1, ref: 'refs/heads/main', rev: 'a'.repeat(40), status: 'running' });
  return id;
}
