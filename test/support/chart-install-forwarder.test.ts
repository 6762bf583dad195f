// test/support/chart-install-forwarder.test.ts — the install test's PostgreSQL forwarder against the machine's real
// PostgreSQL (which trusts 127.0.0.1): a fresh database's own role gets through to its database only; the
// superuser, another role or another database is closed before PostgreSQL sees anything; the role owns its database
// and is no superuser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freshDatabase, pgStartupGate, tcpForwarder } from './chart-install.ts';

async function query(url: URL, sql: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: url.href, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    return (await c.query(sql)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

test('the PostgreSQL forwarder passes only the fresh role to its database; the role is no superuser and owns only that database', async (t) => {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) return t.skip('DATABASE_URL is not set (.ci/run sets it to the machine PostgreSQL)');
  const db = await freshDatabase(t, adminUrl);
  const target = new URL(adminUrl);
  const forward = await tcpForwarder('127.0.0.1', { host: target.hostname, port: Number(target.port || 5432) }, { gate: pgStartupGate({ user: db.role, database: db.name }) });
  t.after(() => forward.close());
  const via = (url: URL) => { const u = new URL(url); u.hostname = '127.0.0.1'; u.port = String(forward.port); return u; };

  const [me] = await query(via(db.url), 'SELECT current_user AS user, current_database() AS db, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser') as Array<Record<string, unknown>>;
  assert.deepEqual(me, { user: db.role, db: db.name, superuser: false });
  const owned = await query(new URL(adminUrl), `SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = '${db.role}')`);
  assert.deepEqual(owned, [{ datname: db.name }]);
  // As the superuser (trusted on 127.0.0.1, so a URL naming it would log in), or into another database: closed.
  await assert.rejects(query(via(new URL(adminUrl)), 'SELECT 1'), 'the superuser');
  const superuserToIts = via(db.url); superuserToIts.username = new URL(adminUrl).username || 'postgres'; superuserToIts.password = '';
  await assert.rejects(query(superuserToIts, 'SELECT 1'), 'the superuser into the fresh database');
  const roleElsewhere = via(db.url); roleElsewhere.pathname = '/postgres';
  await assert.rejects(query(roleElsewhere, 'SELECT 1'), 'the role into another database');
  // SSL asked first is declined, then the startup goes through.
  const ssl = new pg.Client({ connectionString: via(db.url).href, ssl: { rejectUnauthorized: false }, connectionTimeoutMillis: 5000 });
  await assert.rejects(ssl.connect(), /does not support SSL/);
});

test('the fresh role and database are dropped when the test ends', async (t) => {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) return t.skip('DATABASE_URL is not set');
  let role = '';
  await t.test('make them', async (sub) => { role = (await freshDatabase(sub, adminUrl)).role; });
  assert.deepEqual(await query(new URL(adminUrl), `SELECT rolname FROM pg_roles WHERE rolname = '${role}'`), []);
  assert.deepEqual(await query(new URL(adminUrl), `SELECT datname FROM pg_database WHERE datname = '${role}'`), []);
});
