// test/support/test-schema.ts — a migrated, throwaway PostgreSQL schema per test, on the machine's server (DATABASE_URL);
// dropping a schema (the platforms the e2e tests start use one each); build rows for tests that run no builder.
import crypto from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Knex } from 'knex';
import pg from 'pg';
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
    await db.destroy();
    await dropSchema(url, schema);
  });
  return db;
}

/** Drops a schema and all in it, on its own connection (the platform that used it may be gone). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '')}" CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Records build N of an app directly in the database (no builder runs in these tests), with stored log lines;
 * creates the app, owned by a new user, when it does not exist yet. Returns the build's id.
 */
export async function insertBuild(db: Knex, app = 'demo', opts: { status?: string; lines?: string[]; number?: number } = {}): Promise<string> {
  const appId = (await db('apps').where({ name: app }).first('id'))?.id ?? await insertApp(db, app);
  const id = crypto.randomUUID();
  await db('builds').insert({ id, app_id: appId, number: opts.number ?? 1, ref: 'refs/heads/main', rev: 'c0ffee'.padEnd(40, '0'), status: opts.status ?? 'building' });
  const lines = (opts.lines ?? []).map((line, i) => ({ build_id: id, seq: i + 1, line }));
  if (lines.length) await db('build_log_lines').insert(lines);
  return id;
}

async function insertApp(db: Knex, app: string): Promise<number> {
  const [user] = await db('users').insert({ email: `${app}-${crypto.randomUUID()}@example.com`, password_hash: 'x' }).returning('id');
  const [row] = await db('apps').insert({ name: app, owner_id: (user as { id: number }).id }).returning('id');
  return (row as { id: number }).id;
}
