// test/e2e/database-external.test.ts — the platform on an external PostgreSQL (DATABASE_URL) with the least
// privileges docs/database.md names: a plain login role that owns a schema made for it, CONNECT on the database and
// nothing else. The platform migrates, the CLI creates a user and an app, a push deploys, and the role stays powerless.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createUser, fixtureRepo, getApp, git, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { withClient } from '../support/pg-probe.ts';

const adminUrl = process.env.DATABASE_URL;
const id = crypto.randomBytes(4).toString('hex');
const role = `paas_lp_${id}`;
const schema = `lp_${id}`;
let roleUrl: string;
let p: Platform | undefined;
let dir: string;
let alice: TestUser;

before(async () => {
  if (!adminUrl) return;
  const url = new URL(adminUrl);
  const database = url.pathname.slice(1);
  await withClient(adminUrl, async (c) => {
    await c.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`);
    await c.query(`GRANT CONNECT ON DATABASE ${c.escapeIdentifier(database)} TO ${role}`);
    await c.query(`CREATE SCHEMA ${schema} AUTHORIZATION ${role}`);
  });
  url.username = role;
  url.password = '';
  roleUrl = url.toString();
  dir = tempDir();
  p = await startPlatform({ schema, env: { DATABASE_URL: roleUrl, PAAS_DB_SCHEMA: schema } });
  alice = await createUser(p, 'alice@example.com', dir);
});

after(async () => {
  if (!adminUrl) return;
  await stopPlatform(p, dir);
  await withClient(adminUrl, async (c) => {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.query(`DROP OWNED BY ${role}`);
    await c.query(`DROP ROLE IF EXISTS ${role}`);
  });
});

const skip = !adminUrl && 'DATABASE_URL is not set (.ci/run sets it to the machine PostgreSQL)';

test('the platform runs on an external database as a role that only owns its schema', { skip }, async () => {
  await createApp(p!, 'least-priv', alice.email);
  const repo = await fixtureRepo('static', dir);
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p!, 'least-priv'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  assert.equal((await getApp(p!, 'least-priv')).status, 200);
  const res = await fetch(`http://127.0.0.1:${p!.httpPort}/api/apps`, { headers: { authorization: `Bearer ${alice.token}` } });
  assert.equal(res.status, 200);
  assert.match(await res.text(), /least-priv/);
});

test('the platform role on an external database is no superuser and cannot create roles or schemas', { skip }, async () => {
  await withClient(roleUrl, async (c) => {
    const { rows: [me] } = await c.query(`SELECT rolsuper, rolcreaterole, rolcreatedb,
      has_database_privilege(current_user, current_database(), 'CREATE') AS db_create FROM pg_roles WHERE rolname = current_user`);
    assert.deepEqual(me, { rolsuper: false, rolcreaterole: false, rolcreatedb: false, db_create: false });
    await assert.rejects(c.query(`CREATE ROLE ${role}_x`), /permission denied/);
    await assert.rejects(c.query(`CREATE SCHEMA ${schema}_x`), /permission denied/);
    const { rows: [tables] } = await c.query('SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tableowner = $2', [schema, role]);
    assert.ok(tables.n > 5, `the platform's tables were made by the role in its schema (${tables.n})`);
  });
});
