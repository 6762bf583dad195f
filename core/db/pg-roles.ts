// core/db/pg-roles.ts — the embedded PostgreSQL's two roles: the bootstrap superuser (used only here, at start) and
// the platform's role, which owns the `paas` database and nothing more. Security boundary: the platform and the local
// CLI connect as the owner, never as the superuser, so what they can do is what a database owner can do.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';

export interface Role { user: string; password: string }
export interface Credentials { superuser: Role; owner: Role }

/** The platform's database, and the role that owns it (never a superuser). */
export const DATABASE = 'paas';
export const OWNER_ROLE = 'paas_platform';

const secret = () => crypto.randomBytes(18).toString('base64url');

/** Where the embedded database's passwords live: 0600, owned by the platform's user, outside every sandbox. */
export function credentialsFile(dataDir: string): string {
  return path.join(dataDir, 'postgres-credentials.json');
}

/**
 * Reads (or makes) the credentials. Data dirs from before this layout hold `{ user, password }`: that role is the
 * bootstrap superuser (PostgreSQL keeps it one), and a separate owner role is added beside it.
 */
export function loadCredentials(dataDir: string): Credentials {
  const file = credentialsFile(dataDir);
  let creds: Credentials;
  if (!fs.existsSync(file)) {
    creds = { superuser: { user: 'postgres', password: secret() }, owner: { user: OWNER_ROLE, password: secret() } };
  } else {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Credentials> & Partial<Role>;
    if (stored.superuser && stored.owner) {
      fs.chmodSync(file, 0o600);
      return { superuser: stored.superuser, owner: stored.owner };
    }
    creds = { superuser: { user: stored.user!, password: stored.password! }, owner: { user: OWNER_ROLE, password: secret() } };
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(creds), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return creds;
}

/** A superuser connection over the socket in socketDir (port names the socket file: no TCP is involved). */
async function superClient(socketDir: string, port: number, su: Role, database: string): Promise<pg.Client> {
  const client = new pg.Client({ host: socketDir, port, user: su.user, password: su.password, database });
  await client.connect();
  return client;
}

/**
 * Makes the owner role (login, no superuser, no CREATEROLE/CREATEDB/REPLICATION/BYPASSRLS) with the stored password,
 * and has it own the `paas` database, which no one else may connect to. Run at each start: it also upgrades data
 * dirs whose database the superuser owned.
 */
export async function ensureOwner(socketDir: string, port: number, creds: Credentials): Promise<void> {
  const { owner } = creds;
  const client = await superClient(socketDir, port, creds.superuser, 'postgres');
  try {
    const role = client.escapeIdentifier(owner.user);
    const attrs = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${client.escapeLiteral(owner.password)}`;
    const { rowCount: hasRole } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [owner.user]);
    await client.query(hasRole ? `ALTER ROLE ${role} WITH ${attrs}` : `CREATE ROLE ${role} ${attrs}`);
    const { rows } = await client.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rows.length) await client.query(`CREATE DATABASE ${DATABASE} OWNER ${role}`);
    await client.query(`REVOKE ALL ON DATABASE ${DATABASE} FROM PUBLIC`);
    if (rows.length && rows[0]!.owner !== owner.user) await handOver(socketDir, port, creds, rows[0]!.owner);
  } finally {
    await client.end();
  }
}

// Everything the previous owner made in the platform's database: schemas, then tables (their indexes and column
// sequences follow), then whatever sequences, views and functions remain. One transaction: all or nothing.
const HAND_OVER = `
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT nspname FROM pg_namespace WHERE nspowner = $old::regrole
      AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, $new);
  END LOOP;
  FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relowner = $old::regrole AND c.relkind IN ('r', 'p', 'f') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO %I', r.rel, $new);
  END LOOP;
  FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relowner = $old::regrole AND c.relkind IN ('S', 'v', 'm') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO %I', r.rel, $new);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.proowner = $old::regrole AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.fn, $new);
  END LOOP;
END $$`;

/** Hands the database and all the platform made in it from the old owner (the superuser, before) to the owner role. */
async function handOver(socketDir: string, port: number, creds: Credentials, oldOwner: string): Promise<void> {
  const client = await superClient(socketDir, port, creds.superuser, DATABASE);
  try {
    const sql = HAND_OVER.replaceAll('$old', client.escapeLiteral(oldOwner)).replaceAll('$new', client.escapeLiteral(creds.owner.user));
    await client.query('BEGIN');
    await client.query(sql);
    await client.query(`ALTER DATABASE ${DATABASE} OWNER TO ${client.escapeIdentifier(creds.owner.user)}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}
