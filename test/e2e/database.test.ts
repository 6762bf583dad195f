// test/e2e/database.test.ts — the embedded PostgreSQL as a tenant on the machine would probe it: a Unix socket in
// the data dir and no TCP port, a socket other uids cannot open, a platform role that is no superuser, and the local
// CLI still reaching it; a data dir from the earlier layout (role `paas` a superuser, on TCP) upgraded on start.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createUser, startPlatform, tempDir, type Platform } from '../support/platform.ts';
import { connectAs, listeningTcpInodes, postmasterPid, socketInodes, unixSocketInodes, withClient } from '../support/pg-probe.ts';
import { loadEmbeddedPostgres } from '../../core/db/embedded.ts';
import { openDb } from '../../core/db/connect.ts';
import { findFreePort } from '../../core/net.ts';

// Without DATABASE_URL (which .ci/run exports for the other tests) the platform starts its embedded PostgreSQL.
const EMBEDDED = { DATABASE_URL: '', PAAS_DB_SCHEMA: '' };
const asRoot = os.userInfo().uid === 0;
const mode = (file: string) => fs.statSync(file).mode & 0o777;
const recordedUrl = (p: Platform) => (JSON.parse(fs.readFileSync(path.join(p.dataDir, 'run/database.json'), 'utf8')) as { url: string }).url;

describe('the embedded database', () => {
  let p: Platform;
  let dir: string;
  let pgDir: string;

  before(async () => {
    dir = tempDir();
    p = await startPlatform({ env: EMBEDDED });
    pgDir = path.join(p.dataDir, 'postgres');
  });
  after(async () => {
    await p?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the embedded database listens on a Unix socket in the data dir and on no TCP port', async () => {
    const held = socketInodes(postmasterPid(pgDir));
    const socket = path.join(pgDir, '.s.PGSQL.5432');
    assert.ok([...unixSocketInodes(socket)].some((i) => held.has(i)), `the postmaster listens on ${socket}`);
    const tcp = [...listeningTcpInodes()].filter((i) => held.has(i));
    assert.deepEqual(tcp, [], 'the postmaster holds no listening TCP socket');
    const setting = await withClient(recordedUrl(p), (c) => c.query("SELECT current_setting('listen_addresses') AS v"));
    assert.equal(setting.rows[0].v, '');
    assert.match(recordedUrl(p), new RegExp(`[?&]host=${encodeURIComponent(pgDir).replace(/[.%]/g, '\\$&')}$`));
  });

  test('the database socket directory is 0700 and owned by the database user', async () => {
    assert.equal(mode(pgDir), 0o700);
    const owner = asRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })) : os.userInfo().uid;
    assert.equal(fs.statSync(pgDir).uid, owner);
    assert.equal(mode(path.join(pgDir, '.s.PGSQL.5432')), 0o700);
  });

  test('a process of another uid cannot open the database socket', { skip: !asRoot && 'needs root to act as another uid' }, async () => {
    const socket = path.join(pgDir, '.s.PGSQL.5432');
    const nobody = await connectAs(65534, 65534, socket);
    assert.equal(nobody.stdout.trim(), 'EACCES', nobody.stderr);
    const platform = await connectAs(0, 0, socket);
    assert.equal(platform.stdout.trim(), 'connected', platform.stderr);
  });

  test('the platform database role owns its database, is no superuser and cannot create roles', async () => {
    await withClient(recordedUrl(p), async (c) => {
      const { rows: [role] } = await c.query(`SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
        (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) AS owner
        FROM pg_roles WHERE rolname = current_user`);
      assert.deepEqual(role, { rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false, owner: 'paas_platform' });
      await assert.rejects(c.query('CREATE ROLE mallory LOGIN SUPERUSER'), /permission denied/);
      await assert.rejects(c.query('ALTER ROLE current_user SUPERUSER'), /permission denied/);
      await assert.rejects(c.query("COPY (SELECT 1) TO PROGRAM 'id'"), /permission denied/);
    });
  });

  test('the database passwords are in files only the platform user can read', () => {
    for (const file of ['postgres-credentials.json', 'run/database.json']) {
      const full = path.join(p.dataDir, file);
      assert.equal(mode(full), 0o600, file);
      assert.equal(fs.statSync(full).uid, os.userInfo().uid, file);
    }
  });

  test('the local CLI reaches the embedded database through its socket', async () => {
    const alice = await createUser(p, 'alice@example.com', dir);
    const res = await fetch(`http://127.0.0.1:${p.httpPort}/api/apps`, { headers: { authorization: `Bearer ${alice.token}` } });
    assert.equal(res.status, 200);
  });
});

/** Makes a data dir as the earlier layout did: bootstrap superuser `paas`, TCP on 127.0.0.1, tables owned by `paas`. */
async function legacyDataDir(dataDir: string): Promise<void> {
  fs.mkdirSync(path.join(dataDir, 'run'), { recursive: true });
  fs.chmodSync(dataDir, 0o711);
  const creds = { user: 'paas', password: 'legacy-password' };
  fs.writeFileSync(path.join(dataDir, 'postgres-credentials.json'), JSON.stringify(creds), { mode: 0o600 });
  const port = await findFreePort();
  const Embedded = await loadEmbeddedPostgres();
  const pg = new Embedded({
    databaseDir: path.join(dataDir, 'postgres'), ...creds, port, persistent: true, createPostgresUser: true, authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], onLog: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  try {
    const admin = pg.getPgClient('postgres', '127.0.0.1');
    await admin.connect();
    await admin.query('CREATE DATABASE paas').finally(() => admin.end());
    const db = await openDb(`postgres://paas:legacy-password@127.0.0.1:${port}/paas`);
    await db('users').insert({ email: 'old@example.com', password_hash: 'x' }).finally(() => db.destroy());
  } finally {
    await pg.stop();
  }
}

test('a data dir from the earlier layout (superuser role on TCP) is upgraded on start', async () => {
  const dir = tempDir();
  const dataDir = path.join(dir, 'data');
  let p: Platform | undefined;
  try {
    await legacyDataDir(dataDir);
    p = await startPlatform({ dataDir, env: EMBEDDED });
    await withClient(recordedUrl(p), async (c) => {
      const { rows: [me] } = await c.query('SELECT current_user AS user, rolsuper FROM pg_roles WHERE rolname = current_user');
      assert.deepEqual(me, { user: 'paas_platform', rolsuper: false });
      const { rows: [left] } = await c.query(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relowner = 'paas'::regrole AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`);
      assert.equal(left.n, 0, 'nothing of the platform\'s is left owned by the superuser');
      assert.equal((await c.query("SELECT current_setting('listen_addresses') AS v")).rows[0].v, '');
    });
    const created = await p.cli(['users:create', 'new@example.com'], 'correct-horse\n');
    assert.equal(created.code, 0, created.stderr);
    const keys = await p.cli(['keys', 'old@example.com']);
    assert.equal(keys.code, 0, `the user made before the upgrade is still there: ${keys.stderr}`);
    const stored = JSON.parse(fs.readFileSync(path.join(dataDir, 'postgres-credentials.json'), 'utf8')) as Record<string, { user: string }>;
    assert.deepEqual([stored.superuser?.user, stored.owner?.user], ['paas', 'paas_platform']);
  } finally {
    await p?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
